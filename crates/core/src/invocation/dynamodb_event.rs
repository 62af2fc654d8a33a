//! The Lambda event for DynamoDB Streams records, in the shape the event
//! source mapping delivers:
//!
//! ```json
//! {"Records": [{
//!   "eventID": "…", "eventName": "MODIFY", "eventVersion": "1.1",
//!   "eventSource": "aws:dynamodb", "awsRegion": "eu-west-1",
//!   "dynamodb": {"ApproximateCreationDateTime": 1795428841,
//!                "Keys": {…}, "NewImage": {…}, "OldImage": {…},
//!                "SequenceNumber": "…", "SizeBytes": 231,
//!                "StreamViewType": "NEW_AND_OLD_IMAGES"},
//!   "eventSourceARN": "arn:aws:dynamodb:…:table/…/stream/…"}]}
//! ```
//!
//! AWS contract honoured here: the `dynamodb` change is the stream record's
//! own, images in DynamoDB JSON exactly as read; `eventVersion` is `1.1`,
//! what the ESM delivers (whatever the stream API said, e.g. moto's
//! `1.0`); `eventSourceARN` is the table stream's ARN; `userIdentity` is
//! there for TTL deletes only. Events are cut within the 6 MB synchronous
//! payload limit, in order ([`DynamoDbEventSource::events`]).

use serde::Serialize;

use super::event_batches::StreamEvent;
use super::event_batches::cut_into_events;
use crate::dynamodb::{DynamoDbRecord, EVENT_SOURCE, StreamChange, UserIdentity};

/// `eventVersion` of the records an event source mapping delivers.
pub const DYNAMODB_EVENT_VERSION: &str = "1.1";

/// The parts of every record that come from the mapping rather than from
/// the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DynamoDbEventSource {
    /// `eventSourceARN`: the table stream's ARN.
    pub stream_arn: String,
}

impl DynamoDbEventSource {
    /// The records as events of at most `max_records` records and
    /// `max_bytes` bytes each, in order.
    pub fn events(
        &self,
        records: &[DynamoDbRecord],
        max_records: usize,
        max_bytes: usize,
    ) -> Vec<StreamEvent> {
        let entries = records.iter().map(|record| self.record_json(record));
        cut_into_events(entries, max_records, max_bytes)
    }

    fn record_json(&self, record: &DynamoDbRecord) -> String {
        let wire = DynamoDbWireRecord {
            event_id: &record.event_id,
            event_name: &record.event_name,
            event_version: DYNAMODB_EVENT_VERSION,
            event_source: EVENT_SOURCE,
            aws_region: &record.aws_region,
            dynamodb: &record.dynamodb,
            user_identity: record.user_identity.as_ref(),
            event_source_arn: &self.stream_arn,
        };
        // Strings, numbers and maps of them: serialising cannot fail.
        serde_json::to_string(&wire).unwrap_or_default()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DynamoDbWireRecord<'a> {
    #[serde(rename = "eventID")]
    event_id: &'a str,
    event_name: &'a str,
    event_version: &'static str,
    event_source: &'static str,
    aws_region: &'a str,
    dynamodb: &'a StreamChange,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_identity: Option<&'a UserIdentity>,
    #[serde(rename = "eventSourceARN")]
    event_source_arn: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD: &str = include_str!("../../../../events/dynamodb-stream-record.json");
    const ARN: &str =
        "arn:aws:dynamodb:eu-west-1:123456789012:table/elements/stream/2026-11-23T10:00:00.000";

    fn record() -> DynamoDbRecord {
        serde_json::from_str(RECORD).expect("record")
    }

    /// The event carries the mapping's fields and the record's change
    /// exact.
    #[test]
    fn builds_the_event_the_mapping_delivers() {
        let source = DynamoDbEventSource {
            stream_arn: ARN.to_owned(),
        };
        let events = source.events(&[record()], 100, 6 * 1024 * 1024);
        assert_eq!(events.len(), 1);
        let event: serde_json::Value = serde_json::from_str(&events[0].body).expect("json");
        let first = &event["Records"][0];
        assert_eq!(first["eventSource"], "aws:dynamodb");
        assert_eq!(first["eventVersion"], "1.1");
        assert_eq!(first["eventSourceARN"], ARN);
        assert_eq!(first["eventName"], "MODIFY");
        let original: serde_json::Value = serde_json::from_str(RECORD).expect("json");
        assert_eq!(first["dynamodb"], original["dynamodb"]);
    }

    /// Records are cut into events within the record count, in order.
    #[test]
    fn cuts_records_into_events_in_order() {
        let mut records = Vec::new();
        for n in 0..5u8 {
            let mut record = record();
            record.event_id = format!("e{n}");
            records.push(record);
        }
        let source = DynamoDbEventSource {
            stream_arn: ARN.to_owned(),
        };
        let events = source.events(&records, 2, 6 * 1024 * 1024);
        let ranges: Vec<_> = events.iter().map(|event| event.records.clone()).collect();
        assert_eq!(ranges, [0..2, 2..4, 4..5]);
    }
}
