//! SNS events built by deserialising the `events/` fixtures (the
//! aws_lambda_events structs are `#[non_exhaustive]`), with the OnFailure
//! record's batch info patched to point at the stream under test.

use aws_lambda_events::sns::SnsEvent;
use hydrate::HydrateConfig;
use serde_json::Value;

pub const KINESIS: &str = include_str!("../../../../events/sns-onfailure-kinesis.json");
pub const RECORD_AGE_EXCEEDED: &str =
    include_str!("../../../../events/sns-onfailure-record-age-exceeded.json");
pub const DYNAMODB: &str = include_str!("../../../../events/sns-onfailure-dynamodb.json");
pub const FOREIGN_STREAM: &str =
    include_str!("../../../../events/sns-onfailure-foreign-stream.json");
pub const NOT_JSON: &str = include_str!("../../../../events/sns-malformed-not-json.json");
pub const NO_BATCH_INFO: &str = include_str!("../../../../events/sns-malformed-no-batch-info.json");
pub const BAD_SEQUENCE_NUMBER: &str =
    include_str!("../../../../events/sns-malformed-sequence-number.json");

/// The stream every non-foreign fixture names.
pub const DEMO_STREAM_ARN: &str = "arn:aws:kinesis:us-east-1:123456789012:stream/streamdlq-demo";

/// The failed range an OnFailure record reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    pub stream_arn: String,
    pub shard_id: String,
    pub start: String,
    pub end: String,
    pub batch_size: u32,
}

impl From<&streamdlq_core::BatchInfo> for Range {
    fn from(batch: &streamdlq_core::BatchInfo) -> Self {
        Self {
            stream_arn: batch.stream_arn.clone(),
            shard_id: batch.shard_id.clone(),
            start: batch.start_sequence_number.to_string(),
            end: batch.end_sequence_number.to_string(),
            batch_size: batch.batch_size,
        }
    }
}

/// The `Message` of the fixture's only SNS record, as text.
pub fn message(fixture: &str) -> String {
    let event: Value = serde_json::from_str(fixture).expect("fixture is JSON");
    event["Records"][0]["Sns"]["Message"]
        .as_str()
        .expect("Message is a string")
        .to_owned()
}

/// The fixture's OnFailure record with its batch info replaced by `range`
/// (under whichever key the fixture uses: Kinesis or DynamoDB Streams).
pub fn failure_message(fixture: &str, range: &Range) -> String {
    let mut record: Value = serde_json::from_str(&message(fixture)).expect("message is JSON");
    let key = if record.get("DDBStreamBatchInfo").is_some() {
        "DDBStreamBatchInfo"
    } else {
        "KinesisBatchInfo"
    };
    let info = &mut record[key];
    info["streamArn"] = range.stream_arn.clone().into();
    info["shardId"] = range.shard_id.clone().into();
    info["startSequenceNumber"] = range.start.clone().into();
    info["endSequenceNumber"] = range.end.clone().into();
    info["batchSize"] = range.batch_size.into();
    record.to_string()
}

/// An SNS event carrying `messages`, one record each, shaped like the
/// Kinesis fixture (each record with its own MessageId).
pub fn sns_event<S: AsRef<str>>(messages: &[S]) -> SnsEvent {
    let mut event: Value = serde_json::from_str(KINESIS).expect("fixture is JSON");
    let template = event["Records"][0].clone();
    let records: Vec<Value> = messages
        .iter()
        .enumerate()
        .map(|(n, text)| {
            let mut record = template.clone();
            record["Sns"]["Message"] = text.as_ref().into();
            record["Sns"]["MessageId"] = format!("95df01b4-ee98-5cb9-9903-{n:012}").into();
            record
        })
        .collect();
    event["Records"] = records.into();
    serde_json::from_value(event).expect("an SNS event")
}

/// A fixture file as the SNS event it is.
pub fn fixture_event(fixture: &str) -> SnsEvent {
    serde_json::from_str(fixture).expect("fixture is an SNS event")
}

/// A configuration for the queue `dlq_url` that allows `streams`, with
/// further settings from `extra`.
pub fn config(dlq_url: &str, streams: &[&str], extra: &[(&str, &str)]) -> HydrateConfig {
    let allowed = streams.join(",");
    HydrateConfig::from_lookup(|name| match name {
        "DLQ_URL" => Some(dlq_url.to_owned()),
        "ALLOWED_STREAM_ARNS" => Some(allowed.clone()),
        _ => extra
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| (*value).to_owned()),
    })
    .expect("valid configuration")
}
