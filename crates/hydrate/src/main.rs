//! The hydrate Lambda: configuration, tracing and SDK clients once, then the
//! runtime loop around [`hydrate::handler`].

use std::sync::Arc;

use aws_config::BehaviorVersion;
use hydrate::{HydrateConfig, Hydrator, S3ObjectSource, clients, handler};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::value::RawValue;
use streamdlq_core::{DynamoDbShardReader, KinesisShardReader, SqsDlqSink, StdoutMetrics};

#[tokio::main]
async fn main() -> Result<(), Error> {
    streamdlq_core::lambda_logs::init_json_logs();
    let config = HydrateConfig::from_env()?;
    tracing::info!(
        dlq_url = %config.dlq_url,
        allowed_streams = config.allowlist.len(),
        message_limit = config.message_limit,
        dlq_write_reserve_ms = u64::try_from(config.dlq_write_reserve.as_millis()).unwrap_or(u64::MAX),
        "hydrate configured"
    );
    if config.allowlist.is_empty() {
        tracing::warn!("ALLOWED_STREAM_ARNS is empty: every failure will be rejected unread");
    }
    let sdk = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let reader = KinesisShardReader::new(clients::kinesis(&sdk));
    let sink = SqsDlqSink::new(clients::sqs(&sdk), config.dlq_url.clone());
    // The retention margin reads DescribeStreamSummary with the same client;
    // metric lines go to stdout, where Lambda's log pipeline picks up EMF.
    let retention = reader.clone();
    // S3 failure destinations: the objects their notifications name.
    let objects = S3ObjectSource::new(clients::s3(&sdk));
    // Failures of table streams (DDBStreamBatchInfo) are read through
    // DynamoDB Streams with the same engine.
    let dynamodb = DynamoDbShardReader::new(clients::dynamodb_streams(&sdk));
    let hydrator = Hydrator::new(reader, sink, config)
        .with_dynamodb(dynamodb)
        .with_metrics(retention, Arc::new(StdoutMetrics))
        .with_objects(objects);
    // The raw payload: the handler reads it record by record, so one bad
    // record never fails the event before the handler runs.
    run(service_fn(|event: LambdaEvent<Box<RawValue>>| {
        handler(&hydrator, event)
    }))
    .await
}
