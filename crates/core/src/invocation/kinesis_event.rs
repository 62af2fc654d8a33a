//! The Lambda event for Kinesis records, in the exact shape the event
//! source mapping delivers (see `events/kinesis-batch-valid.json`):
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
//! AWS contract honoured here: `approximateArrivalTimestamp` is epoch
//! seconds as a JSON number with millisecond precision; `data` is standard
//! base64 of the exact bytes; `eventID` is `shardId:sequenceNumber`; a
//! synchronous invocation carries at most 6 MB of event
//! ([`SYNC_INVOKE_PAYLOAD_LIMIT`]), so callers that may exceed it cut the
//! records into several events, in order ([`KinesisEventSource::events`]).
//!
//! The DynamoDB Streams event is its sibling builder
//! ([`DynamoDbEventSource`](super::DynamoDbEventSource)), producing the same
//! [`StreamEvent`]; the verdict on the answer is the same for both, since
//! both name records by sequence number.

use base64::display::Base64Display;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;

use super::event_batches::{StreamEvent, cut_into_events};
use crate::stream::StreamRecord;

/// The synchronous invocation payload limit: 6 MB (6,291,456 bytes).
pub const SYNC_INVOKE_PAYLOAD_LIMIT: usize = 6 * 1024 * 1024;

/// What one record adds to the event besides its data and partition key:
/// the field names, the sequence number twice, ARNs and region. Generous,
/// so that an estimate errs on the side of smaller batches.
const RECORD_OVERHEAD_BYTES: usize = 1024;

const OPEN: &str = "{\"Records\":[";
const CLOSE: &str = "]}";

/// The parts of every record that come from the mapping rather than from
/// the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KinesisEventSource {
    /// `eventSourceARN`.
    pub stream_arn: String,
    /// `awsRegion`: the stream's region.
    pub region: String,
    /// `invokeIdentityArn`: the function's execution role. AWS always sets
    /// it; `None` (omitted) only where the role is not known to the caller.
    pub invoke_identity_arn: Option<String>,
}

impl KinesisEventSource {
    /// The event for `records` of shard `shard_id`, whatever its size.
    pub fn event(&self, shard_id: &str, records: &[StreamRecord]) -> String {
        let mut body = String::from(OPEN);
        for (position, record) in records.iter().enumerate() {
            if position > 0 {
                body.push(',');
            }
            body.push_str(&self.record_json(shard_id, record));
        }
        body.push_str(CLOSE);
        body
    }

    /// The records as events of at most `max_records` records and
    /// `max_bytes` bytes each, in order. A record too big for an event on
    /// its own still gets one (its invocation then fails and says so).
    pub fn events(
        &self,
        shard_id: &str,
        records: &[StreamRecord],
        max_records: usize,
        max_bytes: usize,
    ) -> Vec<StreamEvent> {
        let entries = records
            .iter()
            .map(|record| self.record_json(shard_id, record));
        cut_into_events(entries, max_records, max_bytes)
    }

    fn record_json(&self, shard_id: &str, record: &StreamRecord) -> String {
        let wire = KinesisWireRecord {
            kinesis: KinesisWirePayload {
                kinesis_schema_version: "1.0",
                partition_key: &record.partition_key,
                sequence_number: record.sequence_number.as_str(),
                data: Base64Data(&record.data),
                approximate_arrival_timestamp: record
                    .approximate_arrival_millis
                    .map(|millis| millis as f64 / 1000.0),
            },
            event_source: "aws:kinesis",
            event_version: "1.0",
            event_id: EventId {
                shard_id,
                sequence_number: record.sequence_number.as_str(),
            },
            event_name: "aws:kinesis:record",
            invoke_identity_arn: self.invoke_identity_arn.as_deref(),
            aws_region: &self.region,
            event_source_arn: &self.stream_arn,
        };
        // Strings and numbers only: serialising to a String cannot fail.
        serde_json::to_string(&wire).unwrap_or_default()
    }
}

/// An upper estimate of what `record` adds to a Kinesis event, in bytes,
/// for cutting batches before the event is built.
pub fn estimated_kinesis_event_bytes(record: &StreamRecord) -> usize {
    base64::encoded_len(record.data.len(), true).unwrap_or(usize::MAX)
        + record.partition_key.len()
        + RECORD_OVERHEAD_BYTES
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KinesisWireRecord<'a> {
    kinesis: KinesisWirePayload<'a>,
    event_source: &'static str,
    event_version: &'static str,
    #[serde(rename = "eventID")]
    event_id: EventId<'a>,
    event_name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    invoke_identity_arn: Option<&'a str>,
    aws_region: &'a str,
    #[serde(rename = "eventSourceARN")]
    event_source_arn: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KinesisWirePayload<'a> {
    kinesis_schema_version: &'static str,
    partition_key: &'a str,
    sequence_number: &'a str,
    data: Base64Data<'a>,
    /// Kinesis always stamps records; a record read without a stamp (never
    /// from Kinesis itself) is delivered with `null`.
    approximate_arrival_timestamp: Option<f64>,
}

/// Bytes written as standard base64 straight into the JSON.
struct Base64Data<'a>(&'a [u8]);

impl Serialize for Base64Data<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&Base64Display::new(self.0, &STANDARD))
    }
}

/// `shardId:sequenceNumber`.
struct EventId<'a> {
    shard_id: &'a str,
    sequence_number: &'a str,
}

impl Serialize for EventId<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("{}:{}", self.shard_id, self.sequence_number))
    }
}

#[cfg(test)]
mod tests;
