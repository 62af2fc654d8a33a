//! Packing one hydrated failure into DLQ messages that each fit a size limit.
//!
//! Every message repeats the failure and the hydration summary, so any single
//! message explains itself, and carries as many records as fit, in order.
//! Records are serialised once each and packed greedily; a record too big
//! for one message is cut into fragments (byte slices) that readers join
//! back byte-exact. No record is ever dropped for size, and no unparseable
//! text either: text too big for one message goes in slices (`rawPart`).
//!
//! Sizes are exact, not estimated: the limit is what SQS counts, the body
//! plus the message attributes, and the header is sized with the widest part
//! numbers (`u32::MAX`) so that the final numbers can only make it shorter.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::value::RawValue;

use super::entry::DlqRecord;
use super::id::{failure_id, raw_id};
use super::message::{
    ATTRIBUTE_SCHEMA, ATTRIBUTE_SHARD, ATTRIBUTE_STATUS, ATTRIBUTE_STREAM, ATTRIBUTE_WIDER_RANGE,
    Attribute, DlqMessage, FailureSource, Fragment, HydrationSummary, Part, RecordsFrom, SCHEMA_V1,
    WiderRange,
};
use crate::hydration::{Hydration, HydrationStatus};

/// Why a failure could not be turned into DLQ messages. None of these pass
/// on a retry: they are programming or configuration errors.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("a parsed failure record cannot have hydration status unparseable")]
    UnparseableStatusForRecord,
    #[error("unparseable text needs hydration status unparseable, not {0}")]
    StatusForRawText(HydrationStatus),
    #[error("the failure record's original text is not JSON: {0}")]
    FailureNotJson(#[source] serde_json::Error),
    #[error(
        "a {limit}-byte message limit is too small: the header, attributes and one \
         record fragment need {needed} bytes"
    )]
    LimitTooSmall { limit: usize, needed: usize },
    #[error("{0} messages would be needed, more than a part number can count")]
    TooManyParts(usize),
    #[error("serialising the DLQ message failed: {0}")]
    Serialize(#[source] serde_json::Error),
}

/// Builds the DLQ messages for one hydrated failure, each at most `limit`
/// bytes as SQS counts them (body plus attributes). Use
/// [`SQS_MESSAGE_LIMIT`](super::SQS_MESSAGE_LIMIT) unless testing.
///
/// Records are carried in the order given (the hydration engine yields
/// sequence order), Kinesis and DynamoDB Streams records alike
/// ([`DlqRecord`]). At least one message is built, even without records.
/// [`DlqParts`] builds the same messages one at a time.
pub fn build_parts<T: DlqRecord>(
    source: &FailureSource<'_>,
    hydration: &Hydration<T>,
    limit: usize,
) -> Result<Vec<DlqMessage>, BuildError> {
    let parts = DlqParts::new(source, hydration, limit)?;
    (0..parts.count())
        .map(|index| parts.message(index))
        .collect()
}

/// The DLQ messages of one hydrated failure, planned but not yet built:
/// each message is built when asked for ([`DlqParts::message`]), so that a
/// sender holds the records and one batch of bodies at a time, never every
/// body of a large range at once.
///
/// Planning needs every entry's exact length (each part says how many
/// parts there are), not the entry: a Kinesis entry's length is known
/// without encoding its data ([`DlqRecord::entry_len`]), so each record is
/// encoded once, straight into its part's body.
pub struct DlqParts<'a, T> {
    envelope: Envelope<'a>,
    records: &'a [T],
    plan: Plan<'a>,
    limit: usize,
}

impl<T: DlqRecord> std::fmt::Debug for DlqParts<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DlqParts")
            .field("id", &self.envelope.id)
            .field("count", &self.count())
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

/// What each part carries.
enum Plan<'a> {
    /// Record entries, part by part.
    Records(Vec<Vec<Piece>>),
    /// Slices of unparseable text too big for one message.
    Raw(Vec<&'a str>),
}

/// One entry of a part: a whole record, encoded when its part is built,
/// or a fragment of an oversized one, encoded while planning (it is cut
/// to fit, so its length must be known).
enum Piece {
    Record(usize),
    Fragment(String),
}

impl<'a, T: DlqRecord> DlqParts<'a, T> {
    /// Plans the parts of `hydration` from `source` within `limit` bytes.
    pub fn new(
        source: &FailureSource<'a>,
        hydration: &'a Hydration<T>,
        limit: usize,
    ) -> Result<Self, BuildError> {
        let mut envelope = Envelope::new(source, hydration)?;
        let attributes_size: usize = envelope.attributes.iter().map(Attribute::size).sum();
        let widest = envelope.frame_len(Part {
            index: u32::MAX,
            count: u32::MAX,
        })?;
        let fixed = attributes_size + widest;
        if let Some(raw) = envelope.raw.filter(|_| fixed > limit) {
            let slices = raw_slices(&mut envelope, raw, limit, attributes_size)?;
            return Self::planned(envelope, &hydration.records, Plan::Raw(slices), limit);
        }
        let room = limit.checked_sub(fixed).ok_or(BuildError::LimitTooSmall {
            limit,
            needed: fixed,
        })?;

        let mut packer = Packer::new(room);
        for (index, record) in hydration.records.iter().enumerate() {
            // The payload alone already too big: skip measuring the entry.
            if record.entry_len_at_least() <= room {
                let len = record.entry_len().map_err(BuildError::Serialize)?;
                if packer.fits(len) {
                    packer.push(Piece::Record(index), len);
                    continue;
                }
                if len <= room {
                    packer.close();
                    packer.push(Piece::Record(index), len);
                    continue;
                }
            }
            push_fragments(&mut packer, record, limit, fixed)?;
        }
        let parts = packer.finish();
        Self::planned(envelope, &hydration.records, Plan::Records(parts), limit)
    }

    fn planned(
        envelope: Envelope<'a>,
        records: &'a [T],
        plan: Plan<'a>,
        limit: usize,
    ) -> Result<Self, BuildError> {
        let parts = match &plan {
            Plan::Records(parts) => parts.len(),
            Plan::Raw(slices) => slices.len(),
        };
        u32::try_from(parts).map_err(|_| BuildError::TooManyParts(parts))?;
        Ok(Self {
            envelope,
            records,
            plan,
            limit,
        })
    }

    /// The failure's id, shared by every part.
    pub fn id(&self) -> &str {
        &self.envelope.id
    }

    /// How many messages carry the failure; at least 1.
    pub fn count(&self) -> u32 {
        let parts = match &self.plan {
            Plan::Records(parts) => parts.len(),
            Plan::Raw(slices) => slices.len(),
        };
        // Checked when planned.
        u32::try_from(parts).unwrap_or(u32::MAX)
    }

    /// Builds message `index` (0-based, below [`DlqParts::count`]).
    ///
    /// # Panics
    ///
    /// If `index` is not below [`DlqParts::count`].
    pub fn message(&self, index: u32) -> Result<DlqMessage, BuildError> {
        let part = Part {
            index,
            count: self.count(),
        };
        let at = index as usize;
        let body = match &self.plan {
            Plan::Raw(slices) => self
                .envelope
                .body_with::<&str>(part, Some(slices[at]), &[])?,
            Plan::Records(parts) => {
                let mut entries = Vec::with_capacity(parts[at].len());
                for piece in &parts[at] {
                    entries.push(match piece {
                        Piece::Record(record) => self.records[*record]
                            .entry_json()
                            .map(Cow::Owned)
                            .map_err(BuildError::Serialize)?,
                        Piece::Fragment(entry) => Cow::Borrowed(entry.as_str()),
                    });
                }
                self.envelope.body(part, &entries)?
            }
        };
        let message = DlqMessage {
            id: self.envelope.id.clone(),
            part,
            body,
            attributes: self.envelope.attributes.clone(),
        };
        debug_assert!(message.size() <= self.limit, "part over the limit");
        Ok(message)
    }
}

/// Unparseable text too big for one message (JSON escaping can make it six
/// times longer): `raw` is null and each part carries its slice of the text
/// in `rawPart`, cut at character boundaries; joined in part order the
/// slices give the text back.
fn raw_slices<'a>(
    envelope: &mut Envelope<'a>,
    raw: &'a str,
    limit: usize,
    attributes_size: usize,
) -> Result<Vec<&'a str>, BuildError> {
    envelope.raw = None;
    let widest = Part {
        index: u32::MAX,
        count: u32::MAX,
    };
    let fixed = attributes_size + envelope.frame_len_with(widest, Some(""))?;
    // The widest character escapes to six bytes (`\u0001`).
    let room =
        limit
            .checked_sub(fixed)
            .filter(|room| *room >= 6)
            .ok_or(BuildError::LimitTooSmall {
                limit,
                needed: fixed + 6,
            })?;
    let mut slices = Vec::new();
    let (mut start, mut used) = (0, 0);
    for (at, c) in raw.char_indices() {
        let len = escaped_len(c);
        if used + len > room {
            slices.push(&raw[start..at]);
            (start, used) = (at, 0);
        }
        used += len;
    }
    slices.push(&raw[start..]);
    Ok(slices)
}

/// How many bytes serde_json writes for `c` inside a string.
fn escaped_len(c: char) -> usize {
    match c {
        '"' | '\\' | '\u{8}' | '\u{c}' | '\n' | '\r' | '\t' => 2,
        c if u32::from(c) < 0x20 => 6,
        c => c.len_utf8(),
    }
}

/// Cuts a record that does not fit one message into fragments: the first
/// fills what is left of the current message, the middle ones fill whole
/// messages, the last leaves room for the records after it. Slices are
/// multiples of 3 bytes (except the last), so each base64 text has no
/// padding and its length is known before encoding.
fn push_fragments<T: DlqRecord>(
    packer: &mut Packer,
    record: &T,
    limit: usize,
    fixed: usize,
) -> Result<(), BuildError> {
    let widest = Fragment {
        index: u32::MAX,
        count: u32::MAX,
    };
    let overhead = record
        .fragment_json(widest, &[])
        .map_err(BuildError::Serialize)?
        .len();
    let slice_for = |space: usize| space.saturating_sub(overhead) / 4 * 3;
    let full = slice_for(packer.room);
    if full == 0 {
        return Err(BuildError::LimitTooSmall {
            limit,
            needed: fixed + overhead + 4,
        });
    }
    let payload = record.fragment_payload().map_err(BuildError::Serialize)?;
    let data: &[u8] = &payload;
    let first = slice_for(packer.space_left()).min(data.len());
    let rest = data.len() - first;
    let count = usize::from(first > 0) + rest.div_ceil(full);
    let count = u32::try_from(count).map_err(|_| BuildError::TooManyParts(count))?;

    let slices = data[..first]
        .chunks(first.max(1))
        .chain(data[first..].chunks(full));
    for (index, slice) in (0..count).zip(slices) {
        let entry = record
            .fragment_json(Fragment { index, count }, slice)
            .map_err(BuildError::Serialize)?;
        if !packer.fits(entry.len()) {
            packer.close();
        }
        let len = entry.len();
        packer.push(Piece::Fragment(entry), len);
    }
    Ok(())
}

/// Greedy packing of entries, by their exact lengths, into parts of `room`
/// bytes, counting the comma between entries.
struct Packer {
    room: usize,
    parts: Vec<Vec<Piece>>,
    current: Vec<Piece>,
    used: usize,
}

impl Packer {
    fn new(room: usize) -> Self {
        Self {
            room,
            parts: Vec::new(),
            current: Vec::new(),
            used: 0,
        }
    }

    fn separator(&self) -> usize {
        usize::from(!self.current.is_empty())
    }

    /// Bytes left in the current part for one more entry.
    fn space_left(&self) -> usize {
        self.room.saturating_sub(self.used + self.separator())
    }

    fn fits(&self, len: usize) -> bool {
        len <= self.space_left()
    }

    fn push(&mut self, piece: Piece, len: usize) {
        self.used += self.separator() + len;
        self.current.push(piece);
    }

    fn close(&mut self) {
        if !self.current.is_empty() {
            self.parts.push(std::mem::take(&mut self.current));
            self.used = 0;
        }
    }

    /// The parts; one empty part when there were no records, because a
    /// failure without records must still reach the DLQ.
    fn finish(mut self) -> Vec<Vec<Piece>> {
        self.close();
        if self.parts.is_empty() {
            self.parts.push(Vec::new());
        }
        self.parts
    }
}

/// Everything every part repeats: id, failure, raw text, hydration summary
/// and attributes.
struct Envelope<'a> {
    id: String,
    failure: Option<&'a RawValue>,
    raw: Option<&'a str>,
    hydration: HydrationSummary,
    attributes: Vec<Attribute>,
}

/// The body without `records`; serde writes the fields in this order.
#[derive(Serialize)]
struct Header<'a> {
    schema: &'static str,
    id: &'a str,
    part: Part,
    failure: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw: Option<&'a str>,
    /// This part's slice of a `raw` too big for one message.
    #[serde(rename = "rawPart", skip_serializing_if = "Option::is_none")]
    raw_part: Option<&'a str>,
    hydration: &'a HydrationSummary,
}

const RECORDS_OPEN: &str = ",\"records\":[";
const RECORDS_CLOSE: &str = "]}";

impl<'a> Envelope<'a> {
    fn new<T>(source: &FailureSource<'a>, hydration: &Hydration<T>) -> Result<Self, BuildError> {
        let status = hydration.status;
        let mut attributes = vec![
            Attribute {
                name: ATTRIBUTE_SCHEMA,
                value: SCHEMA_V1.to_owned(),
            },
            Attribute {
                name: ATTRIBUTE_STATUS,
                value: status.as_str().to_owned(),
            },
        ];
        let (id, failure, raw, records_from) = match *source {
            FailureSource::Record(record) | FailureSource::DestinationPayload(record) => {
                if status == HydrationStatus::Unparseable {
                    return Err(BuildError::UnparseableStatusForRecord);
                }
                // Borrowing the text as a RawValue embeds it byte for byte
                // (surrounding whitespace aside, which JSON ignores).
                let failure: &RawValue =
                    serde_json::from_str(&record.original).map_err(BuildError::FailureNotJson)?;
                attributes.push(Attribute {
                    name: ATTRIBUTE_STREAM,
                    value: record.batch.stream_arn.clone(),
                });
                attributes.push(Attribute {
                    name: ATTRIBUTE_SHARD,
                    value: record.batch.shard_id.clone(),
                });
                let records_from = match source {
                    FailureSource::DestinationPayload(_) => RecordsFrom::DestinationPayload,
                    _ => RecordsFrom::Stream,
                };
                (failure_id(record), Some(failure), None, Some(records_from))
            }
            FailureSource::Unparseable(text) => {
                if status != HydrationStatus::Unparseable {
                    return Err(BuildError::StatusForRawText(status));
                }
                (raw_id(text), None, Some(text), None)
            }
        };
        // Only a range re-read from the stream can be wider than its batch.
        let wider_range = (records_from == Some(RecordsFrom::Stream))
            .then(|| WiderRange::of(hydration.expected, hydration.found()))
            .flatten();
        if let Some(wider) = &wider_range {
            attributes.push(Attribute {
                name: ATTRIBUTE_WIDER_RANGE,
                value: wider.attribute_value(),
            });
        }
        // SQS rejects empty attribute values.
        attributes.retain(|attribute| !attribute.value.is_empty());
        Ok(Self {
            id,
            failure,
            raw,
            hydration: HydrationSummary {
                status,
                expected: hydration.expected,
                found: hydration.found(),
                reason: hydration.reason.clone(),
                records_from,
                wider_range,
            },
            attributes,
        })
    }

    fn header(&self, part: Part, raw_part: Option<&str>) -> Result<String, BuildError> {
        serde_json::to_string(&Header {
            schema: SCHEMA_V1,
            id: &self.id,
            part,
            failure: self.failure,
            raw: self.raw,
            raw_part,
            hydration: &self.hydration,
        })
        .map_err(BuildError::Serialize)
    }

    /// Length of a body without records.
    fn frame_len(&self, part: Part) -> Result<usize, BuildError> {
        self.frame_len_with(part, None)
    }

    fn frame_len_with(&self, part: Part, raw_part: Option<&str>) -> Result<usize, BuildError> {
        Ok(self.header(part, raw_part)?.len() - 1 + RECORDS_OPEN.len() + RECORDS_CLOSE.len())
    }

    fn body<E: AsRef<str>>(&self, part: Part, entries: &[E]) -> Result<String, BuildError> {
        self.body_with(part, None, entries)
    }

    /// The body: the header object with its closing brace replaced by the
    /// `records` array of already serialised entries.
    fn body_with<E: AsRef<str>>(
        &self,
        part: Part,
        raw_part: Option<&str>,
        entries: &[E],
    ) -> Result<String, BuildError> {
        let header = self.header(part, raw_part)?;
        let entries_len: usize = entries.iter().map(|entry| entry.as_ref().len() + 1).sum();
        let mut body = String::with_capacity(
            header.len() + RECORDS_OPEN.len() + entries_len + RECORDS_CLOSE.len(),
        );
        body.push_str(header.strip_suffix('}').unwrap_or(&header));
        body.push_str(RECORDS_OPEN);
        for (n, entry) in entries.iter().enumerate() {
            if n > 0 {
                body.push(',');
            }
            body.push_str(entry.as_ref());
        }
        body.push_str(RECORDS_CLOSE);
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dlq::SQS_MESSAGE_LIMIT;
    use crate::fixtures::{KINESIS_FAILURE, complete, failure, record, records};

    fn bodies(messages: &[DlqMessage]) -> Vec<serde_json::Value> {
        messages
            .iter()
            .map(|m| serde_json::from_str(&m.body).expect("body is JSON"))
            .collect()
    }

    /// Every part stays within the limit, for the SQS limit and small ones.
    #[test]
    fn every_part_fits_the_limit() {
        let failure_record = failure(KINESIS_FAILURE);
        let mut input = records(1_500, 700);
        input.push(record(900, "big", vec![7; 50_000]));
        let hydration = complete(input);
        for limit in [SQS_MESSAGE_LIMIT, 64 * 1024, 4096, 2048] {
            let messages = build_parts(&FailureSource::Record(&failure_record), &hydration, limit)
                .expect("parts");
            assert!(messages.len() > 1, "limit {limit} must force several parts");
            for message in &messages {
                assert!(message.size() <= limit, "{} > {limit}", message.size());
            }
        }
    }

    /// Parts are numbered 0..count and all share the failure's id.
    #[test]
    fn parts_are_numbered_and_share_the_id() {
        let failure_record = failure(KINESIS_FAILURE);
        let messages = build_parts(
            &FailureSource::Record(&failure_record),
            &complete(records(50, 300)),
            4096,
        )
        .expect("parts");
        let count = messages.len() as u32;
        for (index, (message, body)) in messages.iter().zip(bodies(&messages)).enumerate() {
            assert_eq!(
                message.part,
                Part {
                    index: index as u32,
                    count
                }
            );
            assert_eq!(body["part"]["index"], index);
            assert_eq!(body["part"]["count"], count);
            assert_eq!(body["id"], message.id.as_str());
            assert_eq!(message.id, messages[0].id);
        }
    }

    /// Packing is greedy: 10,000 records of 600 bytes need no more messages
    /// than their total size divided by the limit, plus one.
    #[test]
    fn packs_ten_thousand_records_into_about_total_over_limit_messages() {
        let failure_record = failure(KINESIS_FAILURE);
        let hydration = complete(records(10_000, 600));
        let messages = build_parts(
            &FailureSource::Record(&failure_record),
            &hydration,
            SQS_MESSAGE_LIMIT,
        )
        .expect("parts");
        let total: usize = messages.iter().map(DlqMessage::size).sum();
        assert!(messages.len() <= total.div_ceil(SQS_MESSAGE_LIMIT) + 1);
        let entries: usize = bodies(&messages)
            .iter()
            .map(|body| body["records"].as_array().expect("records").len())
            .sum();
        assert_eq!(entries, 10_000, "no fragments needed for small records");
        eprintln!(
            "10,000 x 600 B: {} messages, {total} bytes, largest {}",
            messages.len(),
            messages.iter().map(DlqMessage::size).max().unwrap_or(0)
        );
    }

    /// A record bigger than one message is carried in fragments of at most
    /// the limit, never dropped.
    #[test]
    fn carries_an_oversized_record_in_fragments() {
        let failure_record = failure(KINESIS_FAILURE);
        let big = record(1, "k", vec![0xab; 1024 * 1024]);
        let messages = build_parts(
            &FailureSource::Record(&failure_record),
            &complete(vec![big]),
            SQS_MESSAGE_LIMIT,
        )
        .expect("parts");
        assert_eq!(messages.len(), 2, "a 1 MiB record is 1.33 MiB of base64");
        for (index, body) in bodies(&messages).iter().enumerate() {
            let entry = &body["records"][0];
            assert_eq!(entry["fragment"]["index"], index);
            assert_eq!(entry["fragment"]["count"], 2);
        }
    }

    /// A failure without records still makes one message.
    #[test]
    fn builds_one_message_without_records() {
        let failure_record = failure(KINESIS_FAILURE);
        let hydration = Hydration::without_records(HydrationStatus::Rejected, 3, "not allowed");
        let messages = build_parts(
            &FailureSource::Record(&failure_record),
            &hydration,
            SQS_MESSAGE_LIMIT,
        )
        .expect("parts");
        assert_eq!(messages.len(), 1);
        let body = &bodies(&messages)[0];
        assert_eq!(body["records"], serde_json::json!([]));
        assert_eq!(body["hydration"]["status"], "rejected");
        assert_eq!(body["hydration"]["reason"], "not allowed");
    }

    /// The attributes name the schema, status, stream and shard.
    #[test]
    fn sets_filtering_attributes() {
        let failure_record = failure(KINESIS_FAILURE);
        let messages = build_parts(
            &FailureSource::Record(&failure_record),
            &complete(records(1, 10)),
            SQS_MESSAGE_LIMIT,
        )
        .expect("parts");
        let attributes: Vec<(&str, &str)> = messages[0]
            .attributes
            .iter()
            .map(|a| (a.name, a.value.as_str()))
            .collect();
        assert_eq!(
            attributes,
            [
                ("streamdlq.schema", SCHEMA_V1),
                ("streamdlq.status", "complete"),
                (
                    "streamdlq.stream",
                    "arn:aws:kinesis:eu-west-1:123456789012:stream/orders"
                ),
                ("streamdlq.shard", "shardId-000000000001"),
            ]
        );
    }

    /// A range that held more records than its `batchSize` says so in every
    /// part: `hydration.widerRange` with both counts and the likely cause,
    /// and an attribute to filter on without parsing bodies.
    #[test]
    fn flags_a_range_wider_than_its_batch_in_every_part() {
        let failure_record = failure(KINESIS_FAILURE);
        let mut hydration = complete(records(40, 300));
        hydration.expected = 12;
        let messages =
            build_parts(&FailureSource::Record(&failure_record), &hydration, 4096).expect("parts");
        assert!(messages.len() > 1);
        for (message, body) in messages.iter().zip(bodies(&messages)) {
            assert_eq!(
                body["hydration"]["widerRange"],
                serde_json::json!({
                    "batchSize": 12,
                    "found": 40,
                    "likelyCause": "parallelizationFactorOrFiltering"
                })
            );
            let attribute = message
                .attributes
                .iter()
                .find(|a| a.name == ATTRIBUTE_WIDER_RANGE)
                .expect("attribute");
            assert_eq!(
                attribute.value,
                "batchSize=12;found=40;likelyCause=parallelizationFactorOrFiltering"
            );
            assert!(message.size() <= 4096);
        }
    }

    /// A range no wider than its batch carries no flag, as before.
    #[test]
    fn does_not_flag_a_range_as_wide_as_its_batch() {
        let failure_record = failure(KINESIS_FAILURE);
        let messages = build_parts(
            &FailureSource::Record(&failure_record),
            &complete(records(3, 10)),
            SQS_MESSAGE_LIMIT,
        )
        .expect("parts");
        let body = &bodies(&messages)[0];
        assert!(body["hydration"].get("widerRange").is_none(), "{body}");
        assert!(
            messages[0]
                .attributes
                .iter()
                .all(|a| a.name != ATTRIBUTE_WIDER_RANGE)
        );
    }

    /// The OnFailure record appears byte for byte in every part's body.
    #[test]
    fn embeds_the_failure_record_verbatim() {
        let failure_record = failure(KINESIS_FAILURE);
        let messages = build_parts(
            &FailureSource::Record(&failure_record),
            &complete(records(20, 500)),
            4096,
        )
        .expect("parts");
        assert!(messages.len() > 1);
        for message in &messages {
            assert!(message.body.contains(KINESIS_FAILURE));
        }
    }

    /// Whitespace around the record (a trailing newline from a file) is the
    /// only thing left out; the JSON itself is kept byte for byte.
    #[test]
    fn embeds_the_failure_without_surrounding_whitespace() {
        let text = format!("\n  {KINESIS_FAILURE}\n");
        let failure_record = failure(&text);
        let messages = build_parts(
            &FailureSource::Record(&failure_record),
            &complete(records(1, 10)),
            SQS_MESSAGE_LIMIT,
        )
        .expect("parts");
        assert!(
            messages[0]
                .body
                .contains(&format!("\"failure\":{KINESIS_FAILURE},"))
        );
    }

    /// Unparseable text is kept as `raw`, with a null failure and its own id.
    #[test]
    fn keeps_unparseable_text_as_raw() {
        let text = "{\"not\": \"an OnFailure record\"";
        let hydration = Hydration::without_records(HydrationStatus::Unparseable, 0, "not JSON");
        let messages =
            build_parts(&FailureSource::Unparseable(text), &hydration, 4096).expect("parts");
        let body = &bodies(&messages)[0];
        assert_eq!(body["raw"], text);
        assert_eq!(body["failure"], serde_json::Value::Null);
        assert_eq!(messages[0].id, crate::dlq::id::raw_id(text));
        assert_eq!(messages[0].attributes.len(), 2, "no stream or shard known");
    }

    /// Status and source must agree, so readers never see a contradiction.
    #[test]
    fn rejects_a_status_that_contradicts_the_source() {
        let failure_record = failure(KINESIS_FAILURE);
        let unparseable = Hydration::without_records(HydrationStatus::Unparseable, 0, "x");
        assert!(matches!(
            build_parts(&FailureSource::Record(&failure_record), &unparseable, 4096),
            Err(BuildError::UnparseableStatusForRecord)
        ));
        assert!(matches!(
            build_parts(&FailureSource::Unparseable("x"), &complete(vec![]), 4096),
            Err(BuildError::StatusForRawText(HydrationStatus::Complete))
        ));
    }

    /// A limit that cannot hold the header is a clear error, not a loop.
    #[test]
    fn rejects_a_limit_below_the_header() {
        let failure_record = failure(KINESIS_FAILURE);
        let hydration = complete(vec![record(1, "k", b"x".to_vec())]);
        assert!(matches!(
            build_parts(&FailureSource::Record(&failure_record), &hydration, 500),
            Err(BuildError::LimitTooSmall { limit: 500, .. })
        ));
    }
}
