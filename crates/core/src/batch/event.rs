//! [`KinesisBatch`]: a Kinesis event as the event source mapping delivers
//! it, read so that one bad record cannot fail the whole invocation.
//!
//! `aws_lambda_events::kinesis::KinesisEvent` decodes every record's base64
//! `data` while the event is deserialised: one record with invalid base64
//! makes the whole event unreadable, the runtime reports a function error and
//! the ESM retries the entire batch (and, without bisection, finally sends
//! all of it to the OnFailure destination). [`KinesisBatch`] keeps `data`
//! encoded until its record's turn comes, so that record fails alone, at its
//! own sequence number.
//!
//! Everything except `data` is written by the ESM itself and is read
//! strictly. A record without a valid `sequenceNumber` could not be named in
//! a `batchItemFailures` answer (an empty or unknown identifier fails the
//! whole batch), so an event holding one is rejected as a whole: the runtime
//! reports a function error and the ESM retries; nothing is acknowledged.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;

use super::context::{RecordContext, seconds_to_millis, shard_of_event_id};
use crate::sequence::SequenceNumber;

/// The records of one Kinesis event, in the order the event lists them.
///
/// Deserialise it from the event JSON (`{"Records": [...]}`), e.g. as the
/// payload type of `lambda_runtime::LambdaEvent`.
#[derive(Debug, Clone, Deserialize)]
#[serde(from = "WireEvent")]
pub struct KinesisBatch {
    records: Vec<BatchRecord>,
}

/// One record: its identity and its still-encoded bytes.
#[derive(Debug, Clone)]
pub(crate) struct BatchRecord {
    pub(crate) context: RecordContext,
    pub(crate) data: EncodedData,
}

/// `kinesis.data` as it appeared in the event.
#[derive(Debug, Clone)]
pub(crate) enum EncodedData {
    Base64(String),
    Missing,
    NotAString,
}

/// Why a record's bytes could not be recovered from the event. The bytes are
/// what the producer put, so no retry can change them: always permanent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DataError {
    #[error("the record has no kinesis.data")]
    Missing,
    #[error("kinesis.data is not a string")]
    NotAString,
    /// The detail names a position, never the offending bytes.
    #[error("kinesis.data is not valid base64: {0}")]
    InvalidBase64(String),
}

impl KinesisBatch {
    /// Number of records in the event.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether the event holds no records.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The identity of each record, in event order.
    pub fn records(&self) -> impl ExactSizeIterator<Item = &RecordContext> {
        self.records.iter().map(|record| &record.context)
    }

    pub(crate) fn into_records(self) -> Vec<BatchRecord> {
        self.records
    }
}

impl EncodedData {
    /// The producer's bytes, decoded with the standard padded alphabet the
    /// ESM uses.
    pub(crate) fn decode(&self) -> Result<Vec<u8>, DataError> {
        match self {
            Self::Base64(text) => STANDARD
                .decode(text)
                .map_err(|error| DataError::InvalidBase64(describe(&error))),
            Self::Missing => Err(DataError::Missing),
            Self::NotAString => Err(DataError::NotAString),
        }
    }
}

/// A base64 error without the offending symbol: logs never carry payload.
fn describe(error: &base64::DecodeError) -> String {
    match error {
        base64::DecodeError::InvalidByte(offset, _) => format!("invalid symbol at offset {offset}"),
        base64::DecodeError::InvalidLength(length) => format!("invalid length {length}"),
        base64::DecodeError::InvalidLastSymbol { offset, .. } => {
            format!("invalid last symbol at offset {offset}")
        }
        base64::DecodeError::InvalidPadding => "invalid padding".to_owned(),
    }
}

/// The event as it is on the wire; only the fields the batch needs.
#[derive(Deserialize)]
struct WireEvent {
    #[serde(rename = "Records")]
    records: Vec<WireRecord>,
}

#[derive(Deserialize)]
struct WireRecord {
    #[serde(rename = "eventID", default)]
    event_id: Option<String>,
    #[serde(rename = "eventSourceARN", default)]
    event_source_arn: Option<String>,
    kinesis: WireKinesis,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireKinesis {
    sequence_number: SequenceNumber,
    #[serde(default)]
    partition_key: String,
    #[serde(default)]
    approximate_arrival_timestamp: Option<f64>,
    /// Any JSON value: a record whose data is not a base64 string fails on
    /// its own instead of failing the event.
    #[serde(default)]
    data: Option<serde_json::Value>,
}

impl From<WireEvent> for KinesisBatch {
    fn from(event: WireEvent) -> Self {
        let records = event
            .records
            .into_iter()
            .enumerate()
            .map(|(position, record)| BatchRecord::from_wire(position, record))
            .collect();
        Self { records }
    }
}

impl BatchRecord {
    fn from_wire(position: usize, record: WireRecord) -> Self {
        let WireRecord {
            event_id,
            event_source_arn,
            kinesis,
        } = record;
        let data = match kinesis.data {
            Some(serde_json::Value::String(text)) => EncodedData::Base64(text),
            None | Some(serde_json::Value::Null) => EncodedData::Missing,
            Some(_) => EncodedData::NotAString,
        };
        let context = RecordContext {
            shard_id: event_id
                .as_deref()
                .and_then(shard_of_event_id)
                .map(str::to_owned),
            stream_arn: event_source_arn,
            sequence_number: kinesis.sequence_number,
            partition_key: kinesis.partition_key,
            approximate_arrival_millis: kinesis
                .approximate_arrival_timestamp
                .and_then(seconds_to_millis),
            position,
        };
        Self { context, data }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = include_str!("../../../../events/kinesis-batch-valid.json");
    const INVALID_BASE64: &str =
        include_str!("../../../../events/kinesis-batch-invalid-base64.json");
    const EMPTY: &str = include_str!("../../../../events/kinesis-batch-empty.json");

    fn batch(json: &str) -> KinesisBatch {
        serde_json::from_str(json).expect("fixture is a Kinesis event")
    }

    /// Every identity field of a real-shaped record reaches the context.
    #[test]
    fn reads_record_identity_from_the_event() {
        let batch = batch(VALID);
        let first = batch.records().next().expect("five records");
        assert_eq!(first.shard_id.as_deref(), Some("shardId-000000000000"));
        assert_eq!(
            first.stream_arn.as_deref(),
            Some("arn:aws:kinesis:us-east-1:123456789012:stream/streamdlq-demo")
        );
        assert_eq!(
            first.sequence_number.as_str(),
            "49656959252094532447391178218386271298406532436532183042"
        );
        assert_eq!(first.partition_key, "periodic-table");
        assert_eq!(first.approximate_arrival_millis, Some(1_795_428_897_512));
        assert_eq!(first.position, 0);
        let positions: Vec<usize> = batch.records().map(|record| record.position).collect();
        assert_eq!(positions, [0, 1, 2, 3, 4]);
    }

    /// Invalid base64 in one record leaves the event readable; only that
    /// record's data fails to decode.
    #[test]
    fn keeps_an_event_with_invalid_base64_readable() {
        let records = batch(INVALID_BASE64).into_records();
        assert_eq!(records.len(), 3);
        assert!(records[0].data.decode().is_ok());
        assert!(matches!(
            records[1].data.decode(),
            Err(DataError::InvalidBase64(_))
        ));
        assert!(records[2].data.decode().is_ok());
    }

    /// The typed aws_lambda_events event rejects the same fixture outright,
    /// which is why the helper reads its own event type.
    #[test]
    fn typed_event_cannot_read_invalid_base64() {
        let typed =
            serde_json::from_str::<aws_lambda_events::kinesis::KinesisEvent>(INVALID_BASE64);
        assert!(typed.is_err());
    }

    /// The decoded bytes are the same as aws_lambda_events produces.
    #[test]
    fn decodes_the_same_bytes_as_the_typed_event() {
        let typed: aws_lambda_events::kinesis::KinesisEvent =
            serde_json::from_str(VALID).expect("typed event");
        let ours = batch(VALID).into_records();
        assert_eq!(typed.records.len(), ours.len());
        for (typed, ours) in typed.records.iter().zip(&ours) {
            assert_eq!(
                ours.data.decode().expect("valid base64"),
                typed.kinesis.data.0
            );
            assert_eq!(
                ours.context.sequence_number.as_str(),
                typed.kinesis.sequence_number
            );
        }
    }

    /// A record whose data is missing or not a string fails on its own.
    #[test]
    fn tolerates_data_that_is_missing_or_not_a_string() {
        let mut event: serde_json::Value = serde_json::from_str(VALID).expect("json");
        event["Records"][0]["kinesis"]
            .as_object_mut()
            .expect("kinesis object")
            .remove("data");
        event["Records"][1]["kinesis"]["data"] = serde_json::json!(42);
        let records = serde_json::from_value::<KinesisBatch>(event)
            .expect("still readable")
            .into_records();
        assert_eq!(records[0].data.decode(), Err(DataError::Missing));
        assert_eq!(records[1].data.decode(), Err(DataError::NotAString));
        assert!(records[2].data.decode().is_ok());
    }

    /// A record that cannot be named by a sequence number makes the event
    /// unreadable rather than producing an unusable failure report.
    #[test]
    fn rejects_records_without_a_valid_sequence_number() {
        for bad in [
            serde_json::json!(null),
            serde_json::json!(""),
            serde_json::json!("12ab"),
        ] {
            let mut event: serde_json::Value = serde_json::from_str(VALID).expect("json");
            event["Records"][3]["kinesis"]["sequenceNumber"] = bad.clone();
            assert!(
                serde_json::from_value::<KinesisBatch>(event).is_err(),
                "{bad} must be rejected"
            );
        }
    }

    /// `{"Records": []}` is a batch of nothing.
    #[test]
    fn reads_an_empty_event() {
        assert!(batch(EMPTY).is_empty());
    }

    /// Base64 errors name a position, never the offending symbol.
    #[test]
    fn describes_base64_errors_without_payload_bytes() {
        let error = EncodedData::Base64("QUJD$A==".to_owned())
            .decode()
            .expect_err("invalid");
        assert_eq!(
            error.to_string(),
            "kinesis.data is not valid base64: invalid symbol at offset 4"
        );
    }
}
