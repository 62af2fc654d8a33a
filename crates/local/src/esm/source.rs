//! [`EsmRecord`]: what differs between the stream kinds an event source
//! mapping reads — Kinesis data streams and DynamoDB table streams — so
//! that the rest of the ESM (batches, retries, bisection, record age,
//! OnFailure) is one piece of code for both.
//!
//! AWS contract honoured here:
//! - The event is core's builder for the kind: [`KinesisEventSource`]
//!   (`aws:kinesis`) or [`DynamoDbEventSource`] (`aws:dynamodb`,
//!   `eventVersion` `1.1`), the same builders `replay --to-function` uses.
//! - The OnFailure record describes the range under `KinesisBatchInfo` or
//!   `DDBStreamBatchInfo`; the fields are the same, but a DynamoDB
//!   record's arrival times carry no milliseconds
//!   (`2026-11-23T10:14:01Z`, see `events/onfailure-dynamodb.json`).
//! - DynamoDB Streams' GetRecords takes at most 1,000 records a call
//!   ([`ShardRecord::MAX_RECORDS_PER_CALL`]).

use std::fmt;

use streamdlq_core::dynamodb::DynamoDbRecord;
use streamdlq_core::invocation::{
    DynamoDbEventSource, KinesisEventSource, estimated_kinesis_event_bytes,
};
use streamdlq_core::{ShardRecord, StreamRecord};

use super::target::EsmTarget;

/// The kind of stream a mapping reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    Kinesis,
    DynamoDb,
}

impl StreamKind {
    /// The key of the range in the OnFailure record.
    pub fn batch_info_key(self) -> &'static str {
        match self {
            Self::Kinesis => "KinesisBatchInfo",
            Self::DynamoDb => "DDBStreamBatchInfo",
        }
    }

    /// Whether the OnFailure record's arrival times carry milliseconds.
    pub fn arrival_millis(self) -> bool {
        matches!(self, Self::Kinesis)
    }
}

/// A record type the ESM can deliver: its event and its OnFailure shape.
pub trait EsmRecord: ShardRecord + fmt::Debug {
    /// The mapping's part of every event (ARNs, region, role).
    type EventSource: fmt::Debug + Send + Sync + 'static;

    const KIND: StreamKind;

    /// The event source for the mapping `target`.
    fn event_source(target: &EsmTarget) -> Self::EventSource;

    /// The Lambda event for `records` of shard `shard_id`, whatever its size.
    fn event(source: &Self::EventSource, shard_id: &str, records: &[Self]) -> String;

    /// An upper estimate of what this record adds to an event, in bytes,
    /// for cutting batches within the 6 MB synchronous payload limit.
    fn estimated_event_bytes(&self) -> usize;
}

impl EsmRecord for StreamRecord {
    type EventSource = KinesisEventSource;

    const KIND: StreamKind = StreamKind::Kinesis;

    fn event_source(target: &EsmTarget) -> KinesisEventSource {
        KinesisEventSource {
            region: target.region().to_owned(),
            stream_arn: target.stream_arn.clone(),
            invoke_identity_arn: Some(target.invoke_identity_arn.clone()),
        }
    }

    fn event(source: &KinesisEventSource, shard_id: &str, records: &[Self]) -> String {
        source.event(shard_id, records)
    }

    fn estimated_event_bytes(&self) -> usize {
        estimated_kinesis_event_bytes(self)
    }
}

/// What a DynamoDB Streams record adds to an event besides its change:
/// field names, the event id, region and the stream ARN. Generous.
const DYNAMODB_RECORD_OVERHEAD_BYTES: usize = 1024;

impl EsmRecord for DynamoDbRecord {
    type EventSource = DynamoDbEventSource;

    const KIND: StreamKind = StreamKind::DynamoDb;

    fn event_source(target: &EsmTarget) -> DynamoDbEventSource {
        DynamoDbEventSource {
            stream_arn: target.stream_arn.clone(),
        }
    }

    fn event(source: &DynamoDbEventSource, _shard_id: &str, records: &[Self]) -> String {
        // One event, uncut: the batcher already kept it within the limit.
        source
            .events(records, usize::MAX, usize::MAX)
            .into_iter()
            .next()
            .map(|event| event.body)
            .unwrap_or_else(|| "{\"Records\":[]}".to_owned())
    }

    fn estimated_event_bytes(&self) -> usize {
        // The change as the event writes it (images in DynamoDB JSON,
        // binary as base64); serialising maps of strings cannot fail.
        serde_json::to_vec(&self.dynamodb).map_or(usize::MAX, |json| json.len())
            + self.event_id.len()
            + DYNAMODB_RECORD_OVERHEAD_BYTES
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD: &str = include_str!("../../../../events/dynamodb-stream-record.json");
    const STREAM: &str =
        "arn:aws:dynamodb:eu-west-1:123456789012:table/elements/stream/2026-11-23T10:00:00.000";
    const FUNCTION: &str = "arn:aws:lambda:eu-west-1:123456789012:function:table-processor";

    /// The estimate of a DynamoDB record is never below what the event
    /// really holds for it.
    #[test]
    fn estimates_no_less_than_the_dynamodb_event_holds() {
        let record: DynamoDbRecord = serde_json::from_str(RECORD).expect("fixture");
        let target = EsmTarget::new(STREAM, FUNCTION).expect("target");
        let source = DynamoDbRecord::event_source(&target);
        let event = DynamoDbRecord::event(&source, "shardId-1", std::slice::from_ref(&record));
        assert!(record.estimated_event_bytes() >= event.len());
        let parsed: serde_json::Value = serde_json::from_str(&event).expect("json");
        assert_eq!(parsed["Records"][0]["eventSourceARN"], STREAM);
        assert_eq!(parsed["Records"][0]["eventSource"], "aws:dynamodb");
    }
}
