//! The record entries of a DLQ message, one shape per kind of stream:
//! [`DlqRecord`] says how a record is written, whole or in fragments, so
//! that [`build_parts`](super::build_parts) packs both kinds the same way.
//!
//! - A Kinesis record ([`StreamRecord`]): `sequenceNumber`, `partitionKey`,
//!   `approximateArrivalTimestamp` and its bytes as base64 `data`;
//!   fragments carry slices of those bytes.
//! - A DynamoDB Streams record ([`DynamoDbRecord`]): `sequenceNumber` and
//!   `approximateCreationDateTime` first, then the record exactly as the
//!   Lambda event carries it (`eventID`, `eventName`, `eventVersion`,
//!   `eventSource` `aws:dynamodb`, `awsRegion`, `dynamodb` with the images,
//!   `userIdentity`). A record too big for one message (a 400 KB item in
//!   both images, escaped) is carried as slices of its JSON text, base64 in
//!   `recordJson`, which joined give that text back.
//!
//! `eventSource` tells the two apart; a reader written before DynamoDB
//! entries existed finds no `partitionKey` or `data` in them and reports the
//! message as malformed instead of misreading it.

use std::borrow::Cow;

use base64::display::Base64Display;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;

use super::message::{Fragment, millis_to_seconds};
use crate::dynamodb::{DynamoDbRecord, EVENT_SOURCE, EpochTime};
use crate::sequence::SequenceNumber;
use crate::stream::StreamRecord;

/// How a record is written into a DLQ message.
pub trait DlqRecord {
    /// A length the entry cannot be shorter than, cheap to know: an entry
    /// that cannot fit is cut into fragments without being written whole.
    fn entry_len_at_least(&self) -> usize;

    /// The whole entry.
    fn entry_json(&self) -> Result<String, serde_json::Error>;

    /// The exact length of [`DlqRecord::entry_json`], for planning parts;
    /// a record type that can say it without writing the entry does.
    fn entry_len(&self) -> Result<usize, serde_json::Error> {
        self.entry_json().map(|entry| entry.len())
    }

    /// The bytes fragments carry slices of.
    fn fragment_payload(&self) -> Result<Cow<'_, [u8]>, serde_json::Error>;

    /// The entry of one fragment carrying `slice` of the payload.
    fn fragment_json(&self, fragment: Fragment, slice: &[u8]) -> Result<String, serde_json::Error>;
}

/// A Kinesis record entry; `data` last so that a reader sees the metadata
/// first.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KinesisEntry<'a> {
    sequence_number: &'a SequenceNumber,
    partition_key: &'a str,
    approximate_arrival_timestamp: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fragment: Option<Fragment>,
    data: Base64<'a>,
}

impl StreamRecord {
    fn entry(&self, fragment: Option<Fragment>, data: &[u8]) -> Result<String, serde_json::Error> {
        serde_json::to_string(&KinesisEntry {
            sequence_number: &self.sequence_number,
            partition_key: &self.partition_key,
            approximate_arrival_timestamp: self.approximate_arrival_millis.map(millis_to_seconds),
            fragment,
            data: Base64(data),
        })
    }
}

impl DlqRecord for StreamRecord {
    fn entry_len_at_least(&self) -> usize {
        base64::encoded_len(self.data.len(), true).unwrap_or(usize::MAX)
    }

    fn entry_json(&self) -> Result<String, serde_json::Error> {
        self.entry(None, &self.data)
    }

    /// The entry without its data, plus the base64 length of the data:
    /// base64 text needs no JSON escaping, so this is exact, and planning a
    /// large range encodes nothing.
    fn entry_len(&self) -> Result<usize, serde_json::Error> {
        let without_data = self.entry(None, &[])?.len();
        Ok(without_data + base64::encoded_len(self.data.len(), true).unwrap_or(usize::MAX))
    }

    fn fragment_payload(&self) -> Result<Cow<'_, [u8]>, serde_json::Error> {
        Ok(Cow::Borrowed(&self.data))
    }

    fn fragment_json(&self, fragment: Fragment, slice: &[u8]) -> Result<String, serde_json::Error> {
        self.entry(Some(fragment), slice)
    }
}

/// A whole DynamoDB Streams record entry.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DynamoDbEntry<'a> {
    sequence_number: &'a SequenceNumber,
    #[serde(skip_serializing_if = "Option::is_none")]
    approximate_creation_date_time: Option<EpochTime>,
    #[serde(flatten)]
    record: &'a DynamoDbRecord,
}

/// One fragment of a DynamoDB Streams record too big for one message.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DynamoDbFragmentEntry<'a> {
    sequence_number: &'a SequenceNumber,
    #[serde(rename = "eventID")]
    event_id: &'a str,
    #[serde(rename = "eventSource")]
    event_source: &'static str,
    fragment: Fragment,
    /// A slice of the record's JSON text.
    record_json: Base64<'a>,
}

impl DlqRecord for DynamoDbRecord {
    fn entry_len_at_least(&self) -> usize {
        0
    }

    fn entry_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(&DynamoDbEntry {
            sequence_number: &self.dynamodb.sequence_number,
            approximate_creation_date_time: self.dynamodb.approximate_creation_date_time,
            record: self,
        })
    }

    fn fragment_payload(&self) -> Result<Cow<'_, [u8]>, serde_json::Error> {
        serde_json::to_vec(self).map(Cow::Owned)
    }

    fn fragment_json(&self, fragment: Fragment, slice: &[u8]) -> Result<String, serde_json::Error> {
        serde_json::to_string(&DynamoDbFragmentEntry {
            sequence_number: &self.dynamodb.sequence_number,
            event_id: &self.event_id,
            event_source: EVENT_SOURCE,
            fragment,
            record_json: Base64(slice),
        })
    }
}

/// Writes bytes as standard padded base64 straight into the JSON output.
struct Base64<'a>(&'a [u8]);

impl Serialize for Base64<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&Base64Display::new(self.0, &STANDARD))
    }
}
