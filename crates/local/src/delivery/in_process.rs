//! The hydrate Lambda's own handler in this process, as core's
//! [`InProcessFunction`] (the same request id, deadline, timeout and panic
//! handling as deployed), configured from the template's environment and
//! reading and writing the emulators (the stream, the table's stream, the
//! DLQ, and the objects of an S3 failure destination).

use std::sync::Arc;

use hydrate::{HydrateConfig, Hydrator, S3ObjectSource, clients};
use lambda_runtime::LambdaEvent;
use streamdlq_core::invocation::{FunctionSettings, InProcessFunction, LambdaFunction};
use streamdlq_core::{DynamoDbShardReader, KinesisShardReader, SqsDlqSink};

use crate::function_env::{FunctionContext, lookup};

/// The hydrate function as the delivery loop's function.
pub fn hydrate_function(
    context: &FunctionContext,
) -> Result<Arc<dyn LambdaFunction>, hydrate::HydrateConfigError> {
    Ok(Arc::new(hydrate_handler(context)?))
}

/// The hydrate Lambda's handler as a function that answers invocations
/// (for one-off invocations such as `streamdlq local invoke hydrate`).
pub fn hydrate_handler(
    context: &FunctionContext,
) -> Result<impl LambdaFunction + std::fmt::Debug + 'static, hydrate::HydrateConfigError> {
    let config = HydrateConfig::from_lookup(|name| lookup(&context.environment, name))?;
    let reader = KinesisShardReader::new(clients::kinesis(&context.kinesis));
    let sink = SqsDlqSink::new(clients::sqs(&context.moto), config.dlq_url.clone());
    // The function's own S3 client (its retries), path-style for moto: a
    // local endpoint has no bucket subdomains.
    let s3 = clients::s3(&context.moto);
    let s3 = aws_sdk_s3::Client::from_conf(s3.config().to_builder().force_path_style(true).build());
    // Failures of table streams are read from moto's DynamoDB Streams, as
    // the deployed function reads them from AWS's.
    let dynamodb = DynamoDbShardReader::new(clients::dynamodb_streams(&context.moto));
    let hydrator = Arc::new(
        Hydrator::new(reader, sink, config)
            .with_dynamodb(dynamodb)
            .with_objects(S3ObjectSource::new(s3)),
    );
    let settings = FunctionSettings {
        timeout: context.timeout,
        ..FunctionSettings::new(context.function_arn.clone())
    };
    Ok(InProcessFunction::new(
        move |event: LambdaEvent<Box<serde_json::value::RawValue>>| {
            let hydrator = Arc::clone(&hydrator);
            async move { hydrate::handler(&hydrator, event).await }
        },
        settings,
    ))
}
