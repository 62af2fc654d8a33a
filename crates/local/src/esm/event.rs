//! The Kinesis event the ESM invokes the function with, in the exact shape
//! AWS delivers (see `events/kinesis-batch-valid.json`):
//!
//! ```json
//! {"Records": [{
//!   "kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": "…",
//!               "sequenceNumber": "…", "data": "<base64>",
//!               "approximateArrivalTimestamp": 1795428897.512},
//!   "eventSource": "aws:kinesis", "eventVersion": "1.0",
//!   "eventID": "shardId-000000000000:<sequence number>",
//!   "eventName": "aws:kinesis:record",
//!   "invokeIdentityArn": "arn:aws:iam::…:role/…", "awsRegion": "us-east-1",
//!   "eventSourceARN": "arn:aws:kinesis:…:stream/…"}]}
//! ```
//!
//! `approximateArrivalTimestamp` is epoch seconds as a JSON number with
//! millisecond precision; the data is standard base64 of the exact bytes.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use serde_json::Value;
use streamdlq_core::StreamRecord;

/// Who the records are delivered as: the parts of every record that come
/// from the mapping rather than from the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSource {
    pub stream_arn: String,
    /// Parsed from the stream ARN.
    pub region: String,
    /// The function's execution role.
    pub invoke_identity_arn: String,
}

/// A synchronous invocation carries at most 6 MB (6,291,456 bytes) of event:
/// the ESM cuts batches before they grow past it.
pub const MAX_EVENT_BYTES: usize = 6 * 1024 * 1024;

/// What one record adds to the event besides its data and partition key:
/// the field names, the sequence number twice, ARNs and region. Generous,
/// so that the estimate errs on the side of smaller batches.
const RECORD_OVERHEAD_BYTES: usize = 1024;

/// The event for `records` of shard `shard_id`, as serialised JSON.
pub fn kinesis_event(shard_id: &str, records: &[StreamRecord], source: &EventSource) -> Value {
    let records: Vec<WireRecord<'_>> = records
        .iter()
        .map(|record| WireRecord {
            kinesis: WireKinesis {
                kinesis_schema_version: "1.0",
                partition_key: &record.partition_key,
                sequence_number: record.sequence_number.as_str(),
                data: STANDARD.encode(&record.data),
                approximate_arrival_timestamp: record
                    .approximate_arrival_millis
                    .map(|millis| millis as f64 / 1000.0),
            },
            event_source: "aws:kinesis",
            event_version: "1.0",
            event_id: format!("{shard_id}:{}", record.sequence_number),
            event_name: "aws:kinesis:record",
            invoke_identity_arn: &source.invoke_identity_arn,
            aws_region: &source.region,
            event_source_arn: &source.stream_arn,
        })
        .collect();
    // Serialising plain strings and numbers into a Value cannot fail.
    serde_json::to_value(WireEvent { records }).unwrap_or(Value::Null)
}

/// An upper estimate of what `record` adds to the event, in bytes.
pub fn estimated_event_bytes(record: &StreamRecord) -> usize {
    base64::encoded_len(record.data.len(), true).unwrap_or(usize::MAX)
        + record.partition_key.len()
        + RECORD_OVERHEAD_BYTES
}

#[derive(Serialize)]
struct WireEvent<'a> {
    #[serde(rename = "Records")]
    records: Vec<WireRecord<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireRecord<'a> {
    kinesis: WireKinesis<'a>,
    event_source: &'static str,
    event_version: &'static str,
    #[serde(rename = "eventID")]
    event_id: String,
    event_name: &'static str,
    invoke_identity_arn: &'a str,
    aws_region: &'a str,
    #[serde(rename = "eventSourceARN")]
    event_source_arn: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireKinesis<'a> {
    kinesis_schema_version: &'static str,
    partition_key: &'a str,
    sequence_number: &'a str,
    data: String,
    /// Kinesis always stamps records; a record read without a stamp
    /// (never from Kinesis itself) is delivered with `null`.
    approximate_arrival_timestamp: Option<f64>,
}

#[cfg(test)]
mod tests {
    use aws_lambda_events::event::kinesis::KinesisEvent;
    use streamdlq_core::SequenceNumber;

    use super::*;

    const VALID: &str = include_str!("../../../../events/kinesis-batch-valid.json");

    fn source() -> EventSource {
        EventSource {
            stream_arn: "arn:aws:kinesis:us-east-1:123456789012:stream/streamdlq-demo".to_owned(),
            region: "us-east-1".to_owned(),
            invoke_identity_arn: "arn:aws:iam::123456789012:role/streamdlq-processor-role"
                .to_owned(),
        }
    }

    /// The records of a real event, as a shard read would return them.
    fn records_of(event: &Value) -> Vec<StreamRecord> {
        event["Records"]
            .as_array()
            .expect("records")
            .iter()
            .map(|record| {
                let kinesis = &record["kinesis"];
                StreamRecord {
                    sequence_number: SequenceNumber::parse(
                        kinesis["sequenceNumber"].as_str().expect("sequence number"),
                    )
                    .expect("digits"),
                    partition_key: kinesis["partitionKey"].as_str().expect("key").to_owned(),
                    approximate_arrival_millis: Some(
                        (kinesis["approximateArrivalTimestamp"]
                            .as_f64()
                            .expect("arrival")
                            * 1000.0)
                            .round() as i64,
                    ),
                    data: STANDARD
                        .decode(kinesis["data"].as_str().expect("data"))
                        .expect("base64"),
                }
            })
            .collect()
    }

    /// Rebuilding the fixture's records gives the fixture back, field for
    /// field: the event is the shape AWS delivers.
    #[test]
    fn builds_the_event_aws_delivers() {
        let fixture: Value = serde_json::from_str(VALID).expect("fixture");
        let records = records_of(&fixture);

        let event = kinesis_event("shardId-000000000000", &records, &source());

        assert_eq!(event, fixture);
    }

    /// aws_lambda_events reads the event, bytes and arrival time intact.
    #[test]
    fn deserialises_as_an_aws_lambda_events_kinesis_event() {
        let all_bytes: Vec<u8> = (0..=255).collect();
        let record = StreamRecord {
            sequence_number: SequenceNumber::parse(
                "49656959252094532447391178218386271298406532436532183042",
            )
            .expect("digits"),
            partition_key: "pk".to_owned(),
            approximate_arrival_millis: Some(1_795_428_897_512),
            data: all_bytes.clone(),
        };

        let event = kinesis_event("shardId-000000000001", &[record], &source());
        let text = serde_json::to_string(&event).expect("json");
        let parsed: KinesisEvent = serde_json::from_str(&text).expect("kinesis event");

        let only = &parsed.records[0];
        assert_eq!(only.kinesis.data.0, all_bytes);
        assert_eq!(
            only.event_id.as_deref(),
            Some("shardId-000000000001:49656959252094532447391178218386271298406532436532183042")
        );
        assert!(text.contains("\"approximateArrivalTimestamp\":1795428897.512"));
    }

    /// The size estimate is never below what a record really adds.
    #[test]
    fn estimates_event_size_from_above() {
        let fixture: Value = serde_json::from_str(VALID).expect("fixture");
        let records = records_of(&fixture);
        let event = kinesis_event("shardId-000000000000", &records, &source());
        let actual = serde_json::to_vec(&event).expect("json").len();
        let estimate: usize = records.iter().map(estimated_event_bytes).sum();
        assert!(estimate >= actual, "{estimate} < {actual}");
    }
}
