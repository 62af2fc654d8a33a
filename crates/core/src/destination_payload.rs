//! The object an S3 failure destination writes for a failed batch, turned
//! into what the DLQ carries: the OnFailure record and the batch's records,
//! taken from the object rather than re-read from the stream.
//!
//! AWS contract honoured here:
//! - An event source mapping whose OnFailure destination is an S3 bucket
//!   (Kinesis, DynamoDB Streams and Kafka sources, since November 2024)
//!   writes one object per failed batch, under
//!   `aws/lambda/<ESM-UUID>/<shardId>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<UUID>`.
//! - The object is the OnFailure record (the same fields SNS and SQS
//!   destinations get) plus `payload`: the function's original event, the
//!   batch itself. `payload` is accepted as a JSON object or as a JSON
//!   string holding one.
//! - For Kinesis the payload is the Kinesis Lambda event, read by the one
//!   reader of that event ([`crate::KinesisBatch`]): `data` is the base64 of
//!   the record's exact bytes, `approximateArrivalTimestamp` epoch seconds.
//!
//! [`DestinationObject::parse`] separates the two: the OnFailure record is
//! kept verbatim *without* its payload (every other member byte for byte, in
//! order), because the DLQ repeats the record in every part and the payload
//! can be megabytes. [`DestinationObject::hydration`] then judges the
//! records like the engine judges a re-read: `complete` when the payload
//! holds `batchSize` records of the range, `partial` with the reason when it
//! holds some, `unavailable` when it holds none. Reasons never quote payload
//! bytes.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::batch::KinesisBatch;
use crate::failure::{FailureParseError, FailureRecord, StreamSource};
use crate::hydration::{Hydration, HydrationStatus};
use crate::stream::StreamRecord;

/// The member of the object that carries the batch.
pub const PAYLOAD_FIELD: &str = "payload";

/// An S3 failure destination's object, split into the OnFailure record and
/// the batch's payload.
#[derive(Debug, Clone, PartialEq)]
pub struct DestinationObject {
    /// The OnFailure record; its `original` is the object's text without
    /// `payload`.
    pub record: FailureRecord,
    /// The payload's JSON text, or why the object has none that can be read.
    pub payload: Result<String, PayloadError>,
}

/// Why an object is not an OnFailure record at all.
#[derive(Debug, thiserror::Error)]
pub enum DestinationObjectError {
    /// Not JSON, or not an object. Only the position is given: the text
    /// may hold anything.
    #[error("the object is not a JSON object ({0})")]
    NotAnObject(String),
    /// A JSON object, but not an OnFailure record.
    #[error(transparent)]
    Record(#[from] FailureParseError),
}

/// Why the payload of an object cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("the object has no payload")]
    Missing,
    #[error("payload is {0}, not a JSON object or a string holding one")]
    WrongType(&'static str),
    #[error("payload is a string that is not JSON ({0})")]
    StringNotJson(String),
}

impl DestinationObject {
    /// Splits an object's text into the OnFailure record and its payload.
    pub fn parse(text: &str) -> Result<Self, DestinationObjectError> {
        let Members(members) = serde_json::from_str(text)
            .map_err(|error| DestinationObjectError::NotAnObject(position(&error)))?;
        let mut record_text = String::with_capacity(text.len().min(4096));
        let mut payload = None;
        record_text.push('{');
        for (name, value) in &members {
            if name == PAYLOAD_FIELD {
                payload.get_or_insert(*value);
                continue;
            }
            if record_text.len() > 1 {
                record_text.push(',');
            }
            // A key re-encoded by serde_json reads back as the same string.
            let key = serde_json::to_string(name).map_err(|error| {
                DestinationObjectError::NotAnObject(format!("unwritable key: {error}"))
            })?;
            record_text.push_str(&key);
            record_text.push(':');
            record_text.push_str(value.get());
        }
        record_text.push('}');
        let record = FailureRecord::parse(&record_text)?;
        let payload = payload.map_or(Err(PayloadError::Missing), payload_text);
        Ok(Self { record, payload })
    }

    /// The batch's records as the payload holds them, judged against the
    /// failure record's range. Kinesis payloads only: any other source is
    /// the caller's to keep (its record format is not this function's).
    pub fn hydration(&self) -> Hydration {
        let batch = &self.record.batch;
        let expected = batch.batch_size;
        let unreadable = |reason: String| {
            Hydration::without_records(
                HydrationStatus::Unavailable,
                expected,
                format!("{reason}; the failure record is kept"),
            )
        };
        if self.record.source != StreamSource::Kinesis {
            return unreadable("the destination payload is not a Kinesis event".to_owned());
        }
        let payload = match &self.payload {
            Ok(payload) => payload,
            Err(error) => {
                return unreadable(format!("the destination payload is unusable: {error}"));
            }
        };
        let event: KinesisBatch = match serde_json::from_str(payload) {
            Ok(event) => event,
            Err(error) => {
                return unreadable(format!(
                    "the destination payload is not a Kinesis event ({})",
                    position(&error)
                ));
            }
        };
        let mut records = Vec::with_capacity(event.len());
        let mut reasons = Vec::new();
        let (mut outside, mut elsewhere) = (0usize, 0usize);
        let (entries, _) = event.parts();
        for entry in entries {
            let context = &entry.context;
            let sequence_number = &context.sequence_number;
            if context
                .stream_arn
                .as_deref()
                .is_some_and(|arn| arn != batch.stream_arn)
                || context
                    .shard_id
                    .as_deref()
                    .is_some_and(|shard| shard != batch.shard_id)
            {
                elsewhere += 1;
                continue;
            }
            if *sequence_number < batch.start_sequence_number
                || *sequence_number > batch.end_sequence_number
            {
                outside += 1;
                continue;
            }
            match event.data_of(entry) {
                Ok(data) => records.push(StreamRecord {
                    sequence_number: sequence_number.clone(),
                    partition_key: context.partition_key.to_string(),
                    approximate_arrival_millis: context.approximate_arrival_millis,
                    data: data.to_vec(),
                }),
                Err(error) => reasons.push(format!("record {sequence_number} left out: {error}")),
            }
        }
        if elsewhere > 0 {
            reasons.push(format!(
                "{elsewhere} record(s) of another stream or shard left out"
            ));
        }
        let found = records.len();
        let count_matches = usize::try_from(expected).is_ok_and(|expected| expected == found);
        if !count_matches {
            let beyond = if outside > 0 {
                format!(" ({outside} more outside the range)")
            } else {
                String::new()
            };
            reasons.insert(
                0,
                format!("the destination payload holds {found} of {expected} records of the range{beyond}"),
            );
        }
        let status = if reasons.is_empty() {
            HydrationStatus::Complete
        } else if records.is_empty() {
            HydrationStatus::Unavailable
        } else {
            HydrationStatus::Partial
        };
        Hydration {
            status,
            expected,
            records,
            reason: (!reasons.is_empty()).then(|| reasons.join("; ")),
        }
    }
}

/// The payload's event text: the object itself, or the JSON a string holds.
fn payload_text(value: &RawValue) -> Result<String, PayloadError> {
    let text = value.get();
    match text.trim_start().bytes().next() {
        Some(b'{') => Ok(text.to_owned()),
        Some(b'"') => {
            let inner: String = serde_json::from_str(text)
                .map_err(|error| PayloadError::StringNotJson(position(&error)))?;
            serde_json::from_str::<serde::de::IgnoredAny>(&inner)
                .map_err(|error| PayloadError::StringNotJson(position(&error)))?;
            if inner.trim_start().starts_with('{') {
                Ok(inner)
            } else {
                Err(PayloadError::WrongType(
                    "a string holding JSON that is not an object",
                ))
            }
        }
        Some(b'[') => Err(PayloadError::WrongType("an array")),
        Some(b'n') => Err(PayloadError::Missing),
        Some(b't' | b'f') => Err(PayloadError::WrongType("a boolean")),
        _ => Err(PayloadError::WrongType("a number")),
    }
}

/// Where a JSON error is, and of which kind, without the text around it.
fn position(error: &serde_json::Error) -> String {
    let kind = match error.classify() {
        serde_json::error::Category::Io => "unreadable",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected value",
        serde_json::error::Category::Eof => "ends early",
    };
    format!("{kind} at line {}, column {}", error.line(), error.column())
}

/// The members of a JSON object in order, each value as its raw text.
struct Members<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(MembersVisitor)
    }
}

struct MembersVisitor;

impl<'de> Visitor<'de> for MembersVisitor {
    type Value = Members<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members<'de>, A::Error> {
        let mut members = Vec::new();
        while let Some(key) = map.next_key::<Key<'de>>()? {
            members.push((key.0, map.next_value::<&'de RawValue>()?));
        }
        Ok(Members(members))
    }
}

/// An object key, borrowed from the text when it has no escapes.
#[derive(Serialize)]
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(
                self,
                text: &'de str,
            ) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(text)))
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(text.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests;
