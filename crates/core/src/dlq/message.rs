//! The DLQ message, schema v1: the wire types shared by the builder
//! ([`crate::dlq::build_parts`]) and the reader ([`crate::dlq::assemble()`]),
//! and [`DlqMessage`], one SQS message ready to send.
//!
//! `docs/dlq-format.md` describes the format for readers in other languages.

use serde::{Deserialize, Serialize};

use crate::failure::FailureRecord;
use crate::hydration::HydrationStatus;

/// The `schema` value of every message this version writes and reads.
pub const SCHEMA_V1: &str = "streamdlq/hydrated-failure/v1";

/// The SQS message size limit: 1 MiB, counting the body and every message
/// attribute (name, type and value).
pub const SQS_MESSAGE_LIMIT: usize = 1_048_576;

/// Message attribute names, for filtering without parsing bodies. SQS allows
/// letters, digits, `-`, `_` and single periods; the prefix keeps them apart
/// from attributes other tools add.
pub const ATTRIBUTE_SCHEMA: &str = "streamdlq.schema";
pub const ATTRIBUTE_STATUS: &str = "streamdlq.status";
pub const ATTRIBUTE_STREAM: &str = "streamdlq.stream";
pub const ATTRIBUTE_SHARD: &str = "streamdlq.shard";
/// Only on failures whose range held more records than its `batchSize`:
/// `batchSize=N;found=M;likelyCause=…` (see [`WiderRange`]).
pub const ATTRIBUTE_WIDER_RANGE: &str = "streamdlq.widerRange";

/// `likelyCause` of a [`WiderRange`]: the event source mapping's
/// `ParallelizationFactor` > 1 (a shard split by partition key into
/// concurrent batches, each spread over the shard among the others'
/// records) or its event filtering (records dropped before the batch). The
/// failure record does not say which.
pub const WIDER_RANGE_CAUSE: &str = "parallelizationFactorOrFiltering";

/// The SQS `DataType` of every attribute we send.
pub const ATTRIBUTE_TYPE: &str = "String";

/// What a DLQ message is about.
#[derive(Debug, Clone, Copy)]
pub enum FailureSource<'a> {
    /// A parsed OnFailure record whose records are read from the stream;
    /// its original text is embedded verbatim.
    Record(&'a FailureRecord),
    /// A parsed OnFailure record whose records came with it, in the
    /// `payload` of an S3 failure destination's object (see
    /// [`crate::destination_payload`]); its text, without the payload, is
    /// embedded verbatim.
    DestinationPayload(&'a FailureRecord),
    /// A message that was not an OnFailure record; its text is kept as `raw`.
    Unparseable(&'a str),
}

/// Which part of a hydrated failure a message carries (`part` in the body).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Part {
    /// 0-based.
    pub index: u32,
    /// How many messages carry this failure; at least 1.
    pub count: u32,
}

/// Which slice of one record an entry carries, when the record is too big
/// for one message (`fragment` in a record entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fragment {
    /// 0-based.
    pub index: u32,
    /// How many entries carry this record; at least 1.
    pub count: u32,
}

/// `hydration` in the body: how complete the records are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HydrationSummary {
    pub status: HydrationStatus,
    /// `batchSize` of the failure record (0 when there is none).
    pub expected: u32,
    /// How many records the failure carries across all parts.
    pub found: usize,
    /// Why the status is not `complete`.
    pub reason: Option<String>,
    /// Where the records came from (`recordsFrom`); absent for
    /// `unparseable` text and in messages written before the field existed,
    /// which were all read from the stream.
    #[serde(
        rename = "recordsFrom",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub records_from: Option<RecordsFrom>,
    /// Set when the range held more records than `batchSize` (`widerRange`).
    #[serde(
        rename = "widerRange",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub wider_range: Option<WiderRange>,
}

/// `hydration.widerRange`: the failure's range held more records than its
/// `batchSize`, and every record of it is carried (or, `partial`, as many as
/// the hydrate function keeps). Some of them were processed by other
/// batches: a replay may deliver those again (at least once, never lost).
/// Absent when the range held no more than `batchSize` records, and in
/// messages written before the field existed; readers that do not know it
/// ignore it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WiderRange {
    /// `batchSize` of the failure record: how many records failed.
    pub batch_size: u32,
    /// How many records of the range the failure carries.
    pub found: usize,
    /// Why a range is wider than its batch ([`WIDER_RANGE_CAUSE`]); any
    /// text a newer writer puts here is kept.
    pub likely_cause: String,
}

impl WiderRange {
    /// The flag for a failure read from the stream that carries `found`
    /// records of a batch of `batch_size`; `None` unless it is wider.
    pub fn of(batch_size: u32, found: usize) -> Option<Self> {
        (found > batch_size as usize).then(|| Self {
            batch_size,
            found,
            likely_cause: WIDER_RANGE_CAUSE.to_owned(),
        })
    }

    /// The value of the `streamdlq.widerRange` message attribute.
    pub fn attribute_value(&self) -> String {
        format!(
            "batchSize={};found={};likelyCause={}",
            self.batch_size, self.found, self.likely_cause
        )
    }
}

/// `hydration.recordsFrom`: where a failure's records came from (or, when
/// none were found, where they were looked for).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RecordsFrom {
    /// Re-read from the stream with GetShardIterator/GetRecords.
    Stream,
    /// Taken from the `payload` of an S3 failure destination's object.
    DestinationPayload,
    /// A value written by a newer version: kept readable, never written.
    #[serde(other)]
    Unknown,
}

impl RecordsFrom {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stream => "stream",
            Self::DestinationPayload => "destinationPayload",
            Self::Unknown => "unknown",
        }
    }
}

/// One SQS message attribute of type `String`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub name: &'static str,
    pub value: String,
}

impl Attribute {
    /// What the attribute adds to the SQS message size: name, type and value.
    pub fn size(&self) -> usize {
        self.name.len() + ATTRIBUTE_TYPE.len() + self.value.len()
    }
}

/// One SQS message of a hydrated failure, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DlqMessage {
    /// Shared by every part of the same failure.
    pub id: String,
    pub part: Part,
    /// The JSON body, schema v1.
    pub body: String,
    pub attributes: Vec<Attribute>,
}

impl DlqMessage {
    /// The size SQS checks against its limit: body plus attributes.
    pub fn size(&self) -> usize {
        self.body.len() + self.attributes.iter().map(Attribute::size).sum::<usize>()
    }
}

/// `approximateArrivalTimestamp` is written like the Kinesis Lambda event
/// writes it: epoch seconds as a JSON number with millisecond precision.
/// Every millisecond count below 2^53 survives the trip through `f64`
/// (the shortest representation that round-trips has at most 3 decimals).
pub(crate) fn millis_to_seconds(millis: i64) -> f64 {
    millis as f64 / 1000.0
}

/// The inverse of [`millis_to_seconds`], tolerant of writers that used
/// fewer or more decimals.
pub(crate) fn seconds_to_millis(seconds: f64) -> i64 {
    (seconds * 1000.0).round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Arrival times survive the trip through JSON seconds to the millisecond.
    #[test]
    fn arrival_millis_round_trip_through_json_seconds() {
        for millis in [
            0,
            1,
            999,
            1_000,
            1_732_356_841_123,
            1_732_356_841_000,
            -1_500,
        ] {
            let json = serde_json::to_string(&millis_to_seconds(millis)).expect("json");
            let back: f64 = serde_json::from_str(&json).expect("number");
            assert_eq!(seconds_to_millis(back), millis, "{json}");
        }
        assert_eq!(
            serde_json::to_string(&millis_to_seconds(1_732_356_841_123)).expect("json"),
            "1732356841.123"
        );
    }

    /// The attribute size follows the SQS rule: name, type and value bytes.
    #[test]
    fn message_size_counts_body_and_attributes() {
        let message = DlqMessage {
            id: "x".into(),
            part: Part { index: 0, count: 1 },
            body: "{}".into(),
            attributes: vec![Attribute {
                name: ATTRIBUTE_STATUS,
                value: "complete".into(),
            }],
        };
        assert_eq!(message.size(), 2 + "streamdlq.status".len() + 6 + 8);
    }
}
