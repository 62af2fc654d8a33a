//! [`KinesisBatch`]: a Kinesis event as the event source mapping delivers
//! it, read so that one bad record cannot fail the whole invocation.
//!
//! `aws_lambda_events::kinesis::KinesisEvent` decodes every record's base64
//! `data` while the event is deserialised: one record with invalid base64
//! makes the whole event unreadable, the runtime reports a function error and
//! the ESM retries the entire batch (and, without bisection, finally sends
//! all of it to the OnFailure destination). [`KinesisBatch`] reads each
//! record's own fields (`data`, `partitionKey`, `approximateArrivalTimestamp`)
//! loosely: a wrong type or invalid base64 becomes a [`DataError`] of that
//! record, which fails alone, at its own sequence number, when its turn
//! comes.
//!
//! What names a record and its shard (`kinesis.sequenceNumber`, `eventID`,
//! `eventSourceARN`) is read strictly. A record without a valid
//! `sequenceNumber` could not be named in a `batchItemFailures` answer (an
//! empty or unknown identifier fails the whole batch), and a record whose
//! shard cannot be told would let records of its shard run past it, so an
//! event holding one is rejected as a whole: the runtime reports a function
//! error and the ESM retries; nothing is acknowledged.
//!
//! Reading is built for 10,000-record events: strings are borrowed from the
//! event text where it has no escapes, the shard and stream of consecutive
//! records are shared rather than copied, and every record's bytes are
//! decoded once into one buffer for the whole batch, and a record's sequence
//! number and partition key are held inline in its context: a record of a
//! real-shaped event allocates nothing.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, de::Error as _};

use super::context::{PartitionKey, RecordContext, seconds_to_millis, shard_of_event_id};
use crate::sequence::SequenceNumber;

/// The records of one Kinesis event, in the order the event lists them.
///
/// Deserialise it from the event JSON (`{"Records": [...]}`), e.g. as the
/// payload type of `lambda_runtime::LambdaEvent`.
#[derive(Debug, Clone, Default)]
pub struct KinesisBatch {
    records: Vec<BatchRecord>,
    /// The decoded bytes of every record, back to back.
    bytes: Vec<u8>,
}

/// One record: its identity and where its bytes are.
#[derive(Debug, Clone)]
pub(crate) struct BatchRecord {
    pub(crate) context: RecordContext,
    /// The record's bytes in [`KinesisBatch::bytes`], or why there are none.
    pub(crate) data: Result<Range<usize>, DataError>,
}

/// Why a record's bytes or fields could not be recovered from the event.
/// The event is what the ESM delivered, so no retry can change it: always
/// permanent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DataError {
    #[error("the record has no kinesis.data")]
    Missing,
    #[error("kinesis.data is not a string")]
    NotAString,
    /// The detail names a position, never the offending bytes.
    #[error("kinesis.data is not valid base64: {0}")]
    InvalidBase64(String),
    /// A field of the record has the wrong JSON type; the message names the
    /// field and the type found, never its value.
    #[error("kinesis.{field} is {found}, not {expected}")]
    MalformedField {
        field: &'static str,
        expected: &'static str,
        found: &'static str,
    },
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

    pub(crate) fn parts(&self) -> (&[BatchRecord], &[u8]) {
        (&self.records, &self.bytes)
    }

    /// A record's bytes, or why it has none.
    pub(crate) fn data_of(&self, record: &BatchRecord) -> Result<&[u8], DataError> {
        record
            .data
            .as_ref()
            .map(|range| &self.bytes[range.clone()])
            .map_err(Clone::clone)
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

impl<'de> Deserialize<'de> for KinesisBatch {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(EventVisitor)
    }
}

/// `{"Records": [...]}`; other top-level keys are ignored.
struct EventVisitor;

impl<'de> Visitor<'de> for EventVisitor {
    type Value = KinesisBatch;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Kinesis event object with Records")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KinesisBatch, A::Error> {
        let mut batch = None;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key == "Records" {
                if batch.is_some() {
                    return Err(A::Error::duplicate_field("Records"));
                }
                batch = Some(map.next_value_seed(RecordsSeed)?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        batch.ok_or_else(|| A::Error::missing_field("Records"))
    }
}

/// The `Records` array, read record by record into the batch.
struct RecordsSeed;

impl<'de> de::DeserializeSeed<'de> for RecordsSeed {
    type Value = KinesisBatch;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<KinesisBatch, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RecordsSeed {
    type Value = KinesisBatch;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of Kinesis records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<KinesisBatch, A::Error> {
        let mut builder = Builder::with_capacity(seq.size_hint().unwrap_or(0), 0);
        while let Some(record) = seq.next_element::<WireRecord<'de>>()? {
            builder.push(record).map_err(A::Error::custom)?;
        }
        Ok(builder.finish())
    }
}

/// Turns wire records into batch records, sharing the shard and stream of
/// consecutive records and decoding bytes into one buffer.
pub(super) struct Builder {
    batch: KinesisBatch,
    shard: Option<Arc<str>>,
    stream: Option<Arc<str>>,
}

impl Builder {
    pub(super) fn with_capacity(records: usize, bytes: usize) -> Self {
        Self {
            batch: KinesisBatch {
                records: Vec::with_capacity(records),
                bytes: Vec::with_capacity(bytes),
            },
            shard: None,
            stream: None,
        }
    }

    pub(super) fn push(&mut self, record: WireRecord<'_>) -> Result<(), String> {
        let WireRecord {
            event_id,
            event_source_arn,
            kinesis,
        } = record;
        let sequence_number = SequenceNumber::parse(&kinesis.sequence_number)
            .map_err(|error| format!("kinesis.sequenceNumber: {error}"))?;
        let shard_id = event_id
            .as_deref()
            .and_then(shard_of_event_id)
            .map(|shard| shared(&mut self.shard, shard));
        let stream_arn = event_source_arn
            .as_deref()
            .map(|arn| shared(&mut self.stream, arn));
        let mut error = None;
        let partition_key = match kinesis.partition_key {
            None | Some(Loose::Null) => PartitionKey::new(),
            Some(Loose::Str(key)) => PartitionKey::from(key),
            Some(other) => {
                error.get_or_insert(other.malformed("partitionKey", "a string"));
                PartitionKey::new()
            }
        };
        let approximate_arrival_millis = match kinesis.approximate_arrival_timestamp {
            None | Some(Loose::Null) => None,
            Some(Loose::Number(seconds)) => seconds_to_millis(seconds),
            Some(Loose::Millis(millis)) => Some(millis),
            Some(other) => {
                error.get_or_insert(
                    other.malformed("approximateArrivalTimestamp", "a number (epoch seconds)"),
                );
                None
            }
        };
        let data = match error {
            Some(error) => Err(error),
            None => self.decode(kinesis.data),
        };
        let context = RecordContext {
            shard_id,
            stream_arn,
            sequence_number,
            partition_key,
            approximate_arrival_millis,
            position: self.batch.records.len(),
        };
        self.batch.records.push(BatchRecord { context, data });
        Ok(())
    }

    /// Appends the record's bytes to the batch buffer.
    fn decode(&mut self, data: Option<Loose<'_>>) -> Result<Range<usize>, DataError> {
        let text = match data {
            Some(Loose::Str(text)) => text,
            None | Some(Loose::Null) => return Err(DataError::Missing),
            Some(_) => return Err(DataError::NotAString),
        };
        let bytes = &mut self.batch.bytes;
        let start = bytes.len();
        // Room for the decoded bytes, growing the buffer by doubling: the
        // SIMD decoder reserves exactly what it writes, which record after
        // record would copy the buffer each time.
        bytes.reserve(text.len() / 4 * 3);
        // The SIMD decoder is twice as fast on a record's few hundred bytes;
        // both read standard padded base64 and refuse non-zero trailing
        // bits, so they accept the same texts (tested below). It says only
        // that a text is not base64: the base64 crate then reads it, and
        // says where.
        if base64_simd::STANDARD
            .decode_append(text.as_bytes(), bytes)
            .is_ok()
        {
            return Ok(start..bytes.len());
        }
        bytes.truncate(start);
        match STANDARD.decode_vec(text.as_bytes(), bytes) {
            Ok(()) => Ok(start..bytes.len()),
            Err(error) => {
                bytes.truncate(start);
                Err(DataError::InvalidBase64(describe(&error)))
            }
        }
    }

    pub(super) fn finish(self) -> KinesisBatch {
        self.batch
    }
}

/// The shared copy of `text`: the previous record's when it is the same.
fn shared(last: &mut Option<Arc<str>>, text: &str) -> Arc<str> {
    match last {
        Some(shared) if **shared == *text => Arc::clone(shared),
        _ => Arc::clone(last.insert(Arc::from(text))),
    }
}

/// One record as it is on the wire; only the fields the batch needs.
#[derive(Deserialize)]
pub(super) struct WireRecord<'a> {
    #[serde(rename = "eventID", default, borrow)]
    pub(super) event_id: Option<Text<'a>>,
    #[serde(rename = "eventSourceARN", default, borrow)]
    pub(super) event_source_arn: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) kinesis: WireKinesis<'a>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WireKinesis<'a> {
    #[serde(borrow)]
    pub(super) sequence_number: Cow<'a, str>,
    #[serde(default, borrow)]
    pub(super) partition_key: Option<Loose<'a>>,
    #[serde(default, borrow)]
    pub(super) approximate_arrival_timestamp: Option<Loose<'a>>,
    #[serde(default, borrow)]
    pub(super) data: Option<Loose<'a>>,
}

/// A JSON string, borrowed from the event text when it has no escapes.
///
/// serde's own `Cow<str>` borrows only as a struct field of its own; inside
/// an `Option` it always copies, which costs two allocations per record.
pub(super) struct Text<'a>(pub(super) Cow<'a, str>);

impl std::ops::Deref for Text<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Borrowed(text)))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Owned(text.to_owned())))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Owned(text)))
    }
}

/// A field read as whatever JSON it holds, so that a wrong type fails its
/// record rather than the event. Only strings keep their value.
pub(super) enum Loose<'a> {
    Str(Cow<'a, str>),
    Number(f64),
    /// A number of epoch seconds the event reader read straight to whole
    /// milliseconds (`approximateArrivalTimestamp` only).
    Millis(i64),
    Null,
    Other(&'static str),
}

impl Loose<'_> {
    fn malformed(&self, field: &'static str, expected: &'static str) -> DataError {
        let found = match self {
            Self::Str(_) => "a string",
            Self::Number(_) | Self::Millis(_) => "a number",
            Self::Null => "null",
            Self::Other(found) => found,
        };
        DataError::MalformedField {
            field,
            expected,
            found,
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Loose<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LooseVisitor)
    }
}

struct LooseVisitor;

impl<'de> Visitor<'de> for LooseVisitor {
    type Value = Loose<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Loose<'de>, E> {
        Ok(Loose::Str(Cow::Borrowed(text)))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Loose<'de>, E> {
        Ok(Loose::Str(Cow::Owned(text.to_owned())))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Loose<'de>, E> {
        Ok(Loose::Str(Cow::Owned(text)))
    }

    fn visit_f64<E: de::Error>(self, number: f64) -> Result<Loose<'de>, E> {
        Ok(Loose::Number(number))
    }

    #[allow(clippy::cast_precision_loss)] // epoch seconds are far below 2^53
    fn visit_i64<E: de::Error>(self, number: i64) -> Result<Loose<'de>, E> {
        Ok(Loose::Number(number as f64))
    }

    #[allow(clippy::cast_precision_loss)] // epoch seconds are far below 2^53
    fn visit_u64<E: de::Error>(self, number: u64) -> Result<Loose<'de>, E> {
        Ok(Loose::Number(number as f64))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Loose<'de>, E> {
        Ok(Loose::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Loose<'de>, E> {
        Ok(Loose::Null)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Loose<'de>, E> {
        Ok(Loose::Other("a boolean"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Loose<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Loose::Other("an array"))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Loose<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Loose::Other("an object"))
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

    fn data(batch: &KinesisBatch) -> Vec<Result<&[u8], DataError>> {
        let (records, _) = batch.parts();
        records.iter().map(|record| batch.data_of(record)).collect()
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
        let batch = batch(INVALID_BASE64);
        let data = data(&batch);
        assert_eq!(data.len(), 3);
        assert!(data[0].is_ok());
        assert!(matches!(data[1], Err(DataError::InvalidBase64(_))));
        assert!(data[2].is_ok());
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
        let ours = batch(VALID);
        assert_eq!(typed.records.len(), ours.len());
        for ((typed, data), context) in typed.records.iter().zip(data(&ours)).zip(ours.records()) {
            assert_eq!(data.expect("valid base64"), typed.kinesis.data.0);
            assert_eq!(
                context.sequence_number.as_str(),
                typed.kinesis.sequence_number
            );
        }
    }

    /// Records of one shard share one copy of the shard id and stream ARN.
    #[test]
    fn shares_the_shard_and_stream_of_consecutive_records() {
        let batch = batch(VALID);
        let contexts: Vec<&RecordContext> = batch.records().collect();
        let (first, last) = (contexts[0], contexts[4]);
        assert!(Arc::ptr_eq(
            first.shard_id.as_ref().expect("shard"),
            last.shard_id.as_ref().expect("shard")
        ));
        assert!(Arc::ptr_eq(
            first.stream_arn.as_ref().expect("stream"),
            last.stream_arn.as_ref().expect("stream")
        ));
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
        let batch = serde_json::from_value::<KinesisBatch>(event).expect("still readable");
        let data = data(&batch);
        assert_eq!(data[0], Err(DataError::Missing));
        assert_eq!(data[1], Err(DataError::NotAString));
        assert!(data[2].is_ok());
    }

    /// A partition key that is not a string, or an arrival time that is not
    /// a number, fails that record alone, named by field and type.
    #[test]
    fn fails_only_the_record_with_a_malformed_field() {
        let mut event: serde_json::Value = serde_json::from_str(VALID).expect("json");
        event["Records"][2]["kinesis"]["partitionKey"] = serde_json::json!(7);
        event["Records"][3]["kinesis"]["approximateArrivalTimestamp"] =
            serde_json::json!("1795428897.512");
        event["Records"][4]["kinesis"]["partitionKey"] = serde_json::json!({"key": "x"});
        let batch = serde_json::from_str::<KinesisBatch>(&event.to_string()).expect("readable");
        let data = data(&batch);
        assert!(data[1].is_ok());
        assert_eq!(
            data[2].clone().expect_err("malformed").to_string(),
            "kinesis.partitionKey is a number, not a string"
        );
        assert_eq!(
            data[3].clone().expect_err("malformed").to_string(),
            "kinesis.approximateArrivalTimestamp is a string, not a number (epoch seconds)"
        );
        assert_eq!(
            data[4].clone().expect_err("malformed").to_string(),
            "kinesis.partitionKey is an object, not a string"
        );
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
                serde_json::from_str::<KinesisBatch>(&event.to_string()).is_err(),
                "{bad} must be rejected"
            );
        }
    }

    /// Strings with JSON escapes (which cannot be borrowed) read the same.
    #[test]
    fn reads_escaped_strings() {
        let text = VALID.replacen("periodic-table", "periodic\\u002dtable", 1);
        let batch = batch(&text);
        assert_eq!(
            batch.records().next().expect("record").partition_key,
            "periodic-table"
        );
    }

    /// The bytes entry point reads what `serde_json::from_slice` reads, and
    /// fails where it fails, with the same message.
    #[test]
    fn reads_bytes_as_serde_json_does() {
        let from_bytes = KinesisBatch::from_json(VALID.as_bytes()).expect("valid");
        let from_slice: KinesisBatch = serde_json::from_slice(VALID.as_bytes()).expect("valid");
        let contexts = |batch: &KinesisBatch| batch.records().cloned().collect::<Vec<_>>();
        assert_eq!(contexts(&from_bytes), contexts(&from_slice));
        assert_eq!(data(&from_bytes), data(&from_slice));
        let mut not_utf8 = VALID.as_bytes().to_vec();
        not_utf8[VALID.find("periodic-table").expect("partition key") + 3] = 0xff;
        for bad in [&not_utf8[..], &b"{\"Records\": [}"[..], &b"{}"[..]] {
            let ours = KinesisBatch::from_json(bad).expect_err("unreadable");
            let theirs = serde_json::from_slice::<KinesisBatch>(bad).expect_err("unreadable");
            assert_eq!(ours.to_string(), theirs.to_string());
        }
    }

    /// `{"Records": []}` is a batch of nothing.
    #[test]
    fn reads_an_empty_event() {
        assert!(batch(EMPTY).is_empty());
    }

    /// The SIMD decoder accepts exactly the texts the base64 crate's
    /// standard engine accepts, decoded to the same bytes: valid texts of
    /// every length, and each with one byte changed, added or removed.
    #[test]
    fn decodes_base64_as_the_base64_crate_does() {
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move |bound: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % bound as u64) as usize
        };
        const SYMBOLS: &[u8] = b"AQgw/+=9aZz\n -_.\x00\xff";
        let (mut valid, mut invalid) = (0, 0);
        for round in 0..60_000 {
            let payload: Vec<u8> = (0..round % 70).map(|_| next(256) as u8).collect();
            let mut text = STANDARD.encode(&payload).into_bytes();
            if round % 4 != 0 && !text.is_empty() {
                let at = next(text.len());
                let symbol = SYMBOLS[next(SYMBOLS.len())];
                match next(3) {
                    0 => text[at] = symbol,
                    1 => text.insert(at, symbol),
                    _ => {
                        text.remove(at);
                    }
                }
            }
            let simd = base64_simd::STANDARD.decode_to_vec(&text);
            let reference = STANDARD.decode(&text);
            assert_eq!(
                simd.is_ok(),
                reference.is_ok(),
                "{}",
                String::from_utf8_lossy(&text)
            );
            if let (Ok(simd), Ok(reference)) = (&simd, &reference) {
                assert_eq!(simd, reference);
                valid += 1;
            } else {
                invalid += 1;
            }
        }
        assert!(
            valid > 10_000 && invalid > 10_000,
            "{valid} valid, {invalid} invalid"
        );
    }

    /// Base64 errors name a position, never the offending symbol.
    #[test]
    fn describes_base64_errors_without_payload_bytes() {
        let mut builder = Builder::with_capacity(1, 0);
        let error = builder
            .decode(Some(Loose::Str(Cow::Borrowed("QUJD$A=="))))
            .expect_err("invalid");
        assert_eq!(
            error.to_string(),
            "kinesis.data is not valid base64: invalid symbol at offset 4"
        );
        assert!(builder.batch.bytes.is_empty(), "nothing half-decoded kept");
    }
}
