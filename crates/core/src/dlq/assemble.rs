//! Reading DLQ messages back: parts grouped by id, put in order, record
//! fragments joined, so a reader gets each hydrated failure whole.
//!
//! Readers see whatever the queue holds: messages of other producers,
//! retried hydrations that sent the same part twice, parts not received yet.
//! Each of these is a clear [`AssembleError`] for the failure or message
//! concerned, never a panic, and never hides the failures that are whole.

use std::collections::{BTreeMap, HashMap};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::message::{Fragment, HydrationSummary, Part, SCHEMA_V1, seconds_to_millis};
use crate::dynamodb::{DynamoDbRecord, EVENT_SOURCE, StreamChange, UserIdentity};
use crate::sequence::SequenceNumber;
use crate::stream::StreamRecord;

/// One failure read back from the DLQ, with every record byte-exact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HydratedFailure {
    pub id: String,
    /// The OnFailure record's JSON text as the ESM sent it; `None` when the
    /// message was unparseable.
    pub failure: Option<String>,
    /// The text that was not an OnFailure record (status `unparseable`).
    pub raw: Option<String>,
    pub hydration: HydrationSummary,
    /// The Kinesis records, in the order they were carried: sequence order.
    pub records: Vec<StreamRecord>,
    /// The DynamoDB Streams records of a `DDBStreamBatchInfo` failure, in
    /// sequence order. A failure carries one kind or the other, never both.
    pub dynamodb_records: Vec<DynamoDbRecord>,
}

impl HydratedFailure {
    /// How many records it carries, of either kind.
    pub fn record_count(&self) -> usize {
        self.records.len() + self.dynamodb_records.len()
    }
}

/// Why a message or a failure could not be read back. `position` is the
/// 0-based position of the message in the input.
#[derive(Debug, thiserror::Error)]
pub enum AssembleError {
    #[error("message {position} is not JSON: {source}")]
    NotJson {
        position: usize,
        #[source]
        source: serde_json::Error,
    },
    #[error("message {position} is not a streamdlq DLQ message (no \"schema\" field)")]
    NotStreamdlq { position: usize },
    #[error("message {position} has schema {schema:?}; this reader understands {SCHEMA_V1:?}")]
    UnknownSchema { position: usize, schema: String },
    #[error("message {position} is a malformed {SCHEMA_V1} message: {reason}")]
    Malformed { position: usize, reason: String },
    #[error("failure {id}: {} of {count} parts missing (indexes {missing:?})", missing.len())]
    MissingParts {
        id: String,
        count: u32,
        missing: Vec<u32>,
    },
    #[error("failure {id}: part {index} received twice with different content")]
    ConflictingParts { id: String, index: u32 },
    #[error("failure {id}: parts disagree: {reason}")]
    InconsistentParts { id: String, reason: String },
    #[error("failure {id}: record {sequence_number} has broken fragments: {reason}")]
    BrokenFragments {
        id: String,
        sequence_number: SequenceNumber,
        reason: String,
    },
}

/// Reads DLQ message bodies back into hydrated failures.
///
/// Returns one result per failure id and one error per message that could
/// not be read, in order of first appearance. Identical copies of a part
/// (a retried hydration sends the same bytes again) are read once.
///
/// The id does not hash the OnFailure record's text (`id.rs`): the same
/// failure delivered twice in two encodings (another tool's re-encoding,
/// other whitespace) is hydrated twice under one id, each time with its
/// own text in every part. Each such version is assembled on its own, so
/// both are readable, and the id's result appears once per version.
pub fn assemble<'a>(
    messages: impl IntoIterator<Item = &'a str>,
) -> Vec<Result<HydratedFailure, AssembleError>> {
    let mut slots: Vec<Slot<'a>> = Vec::new();
    // Keyed by id and the record text the parts carry (see above).
    let mut by_id: HashMap<(String, Option<String>), usize> = HashMap::new();
    for (position, text) in messages.into_iter().enumerate() {
        let body = match parse(position, text) {
            Ok(body) => body,
            Err(error) => {
                slots.push(Slot::Failed(error));
                continue;
            }
        };
        let version = body
            .failure
            .as_ref()
            .map(|failure| failure.get().to_owned());
        let slot = *by_id.entry((body.id.clone(), version)).or_insert_with(|| {
            slots.push(Slot::Group(Group::new(body.id.clone(), body.part.count)));
            slots.len() - 1
        });
        if let Slot::Group(group) = &mut slots[slot] {
            group.add(text, body);
        }
    }
    slots
        .into_iter()
        .map(|slot| match slot {
            Slot::Failed(error) => Err(error),
            Slot::Group(group) => group.finish(),
        })
        .collect()
}

enum Slot<'a> {
    Failed(AssembleError),
    Group(Group<'a>),
}

/// The parts received for one id.
struct Group<'a> {
    id: String,
    count: u32,
    parts: BTreeMap<u32, (&'a str, Body)>,
    error: Option<AssembleError>,
}

impl<'a> Group<'a> {
    fn new(id: String, count: u32) -> Self {
        Self {
            id,
            count,
            parts: BTreeMap::new(),
            error: None,
        }
    }

    fn add(&mut self, text: &'a str, body: Body) {
        if self.error.is_some() {
            return;
        }
        if body.part.count != self.count {
            self.error = Some(self.inconsistent(format!(
                "part counts {} and {} (two different hydrations?)",
                self.count, body.part.count
            )));
            return;
        }
        if let Some((first, _)) = self.parts.get(&body.part.index) {
            if *first != text {
                self.error = Some(AssembleError::ConflictingParts {
                    id: self.id.clone(),
                    index: body.part.index,
                });
            }
            return;
        }
        self.parts.insert(body.part.index, (text, body));
    }

    fn inconsistent(&self, reason: String) -> AssembleError {
        AssembleError::InconsistentParts {
            id: self.id.clone(),
            reason,
        }
    }

    fn finish(self) -> Result<HydratedFailure, AssembleError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let missing: Vec<u32> = (0..self.count)
            .filter(|index| !self.parts.contains_key(index))
            .collect();
        if !missing.is_empty() {
            return Err(AssembleError::MissingParts {
                id: self.id,
                count: self.count,
                missing,
            });
        }
        let mut bodies = self.parts.into_values().map(|(_, body)| body);
        let Some(first) = bodies.next() else {
            return Err(AssembleError::MissingParts {
                id: self.id,
                count: self.count,
                missing: Vec::new(),
            });
        };
        let failure = first.failure.map(|raw| raw.get().to_owned());
        let (mut raw, hydration) = (first.raw, first.hydration);
        // A `raw` too big for one message comes as slices, one per part.
        let mut raw_parts = first.raw_part.map(|part| vec![part]);
        let mut joiner = Joiner::new(&self.id);
        joiner.extend(first.records)?;
        for body in bodies {
            let same_header = body.failure.map(|raw| raw.get().to_owned()) == failure
                && body.raw == raw
                && body.hydration == hydration;
            if !same_header {
                return Err(AssembleError::InconsistentParts {
                    id: self.id,
                    reason: format!(
                        "part {} carries another failure or hydration",
                        body.part.index
                    ),
                });
            }
            match (&mut raw_parts, body.raw_part) {
                (Some(parts), Some(part)) => parts.push(part),
                (None, None) => {}
                _ => {
                    return Err(AssembleError::InconsistentParts {
                        id: self.id,
                        reason: format!(
                            "part {} disagrees on whether raw text comes in parts",
                            body.part.index
                        ),
                    });
                }
            }
            joiner.extend(body.records)?;
        }
        if let Some(parts) = raw_parts {
            if raw.is_some() {
                return Err(AssembleError::InconsistentParts {
                    id: self.id,
                    reason: "both raw and rawPart are set".to_owned(),
                });
            }
            raw = Some(parts.concat());
        }
        let (records, dynamodb_records) = joiner.finish()?;
        if !records.is_empty() && !dynamodb_records.is_empty() {
            return Err(AssembleError::InconsistentParts {
                id: self.id,
                reason: "the parts mix Kinesis and DynamoDB Streams records".to_owned(),
            });
        }
        let carried = records.len() + dynamodb_records.len();
        if carried != hydration.found {
            return Err(AssembleError::InconsistentParts {
                id: self.id,
                reason: format!(
                    "hydration.found is {} but the parts carry {carried} records",
                    hydration.found,
                ),
            });
        }
        Ok(HydratedFailure {
            id: self.id,
            failure,
            raw,
            hydration,
            records,
            dynamodb_records,
        })
    }
}

/// Joins record entries in order, fragments into whole records.
struct Joiner<'a> {
    id: &'a str,
    records: Vec<StreamRecord>,
    dynamodb: Vec<DynamoDbRecord>,
    /// A fragmented record being joined, and the fragment expected next.
    open: Option<(StreamRecord, Fragment)>,
    /// A fragmented DynamoDB record's JSON text being joined.
    open_dynamodb: Option<(SequenceNumber, Vec<u8>, Fragment)>,
}

impl<'a> Joiner<'a> {
    fn new(id: &'a str) -> Self {
        Self {
            id,
            records: Vec::new(),
            dynamodb: Vec::new(),
            open: None,
            open_dynamodb: None,
        }
    }

    fn extend(&mut self, entries: Vec<Entry>) -> Result<(), AssembleError> {
        for entry in entries {
            match entry {
                Entry::Kinesis(record, fragment) => self.push(record, fragment)?,
                Entry::DynamoDb(record) => {
                    self.expect_no_open_dynamodb()?;
                    self.expect_no_open_kinesis()?;
                    self.dynamodb.push(*record);
                }
                Entry::DynamoDbFragment {
                    sequence_number,
                    fragment,
                    bytes,
                } => {
                    self.expect_no_open_kinesis()?;
                    self.push_dynamodb_fragment(sequence_number, fragment, bytes)?;
                }
            }
        }
        Ok(())
    }

    fn expect_no_open_kinesis(&mut self) -> Result<(), AssembleError> {
        match self.open.take() {
            None => Ok(()),
            Some((open, expected)) => Err(self.broken(
                open.sequence_number,
                format!(
                    "expected fragment {} of {}, found another entry",
                    expected.index, expected.count
                ),
            )),
        }
    }

    fn expect_no_open_dynamodb(&mut self) -> Result<(), AssembleError> {
        match self.open_dynamodb.take() {
            None => Ok(()),
            Some((sequence_number, _, expected)) => Err(self.broken(
                sequence_number,
                format!(
                    "expected fragment {} of {}, found another entry",
                    expected.index, expected.count
                ),
            )),
        }
    }

    fn push_dynamodb_fragment(
        &mut self,
        sequence_number: SequenceNumber,
        fragment: Fragment,
        bytes: Vec<u8>,
    ) -> Result<(), AssembleError> {
        let (mut text, expected) = match self.open_dynamodb.take() {
            None if fragment.index == 0 => (Vec::new(), fragment),
            None => {
                return Err(self.broken(
                    sequence_number,
                    format!(
                        "starts at fragment {} of {}",
                        fragment.index, fragment.count
                    ),
                ));
            }
            Some((open, text, expected)) if open == sequence_number => (text, expected),
            Some((open, _, expected)) => {
                return Err(self.broken(
                    open,
                    format!(
                        "expected fragment {} of {}, found another entry",
                        expected.index, expected.count
                    ),
                ));
            }
        };
        if fragment != expected {
            return Err(self.broken(
                sequence_number,
                format!(
                    "expected fragment {} of {}, found {} of {}",
                    expected.index, expected.count, fragment.index, fragment.count
                ),
            ));
        }
        text.extend_from_slice(&bytes);
        if fragment.index + 1 < fragment.count {
            let next = Fragment {
                index: fragment.index + 1,
                count: fragment.count,
            };
            self.open_dynamodb = Some((sequence_number, text, next));
            return Ok(());
        }
        let record: DynamoDbRecord = serde_json::from_slice(&text).map_err(|error| {
            self.broken(
                sequence_number.clone(),
                format!("joined fragments are not a DynamoDB stream record: {error}"),
            )
        })?;
        if record.dynamodb.sequence_number != sequence_number {
            return Err(self.broken(
                sequence_number,
                format!(
                    "joined fragments hold record {}",
                    record.dynamodb.sequence_number
                ),
            ));
        }
        self.dynamodb.push(record);
        Ok(())
    }

    fn push(
        &mut self,
        record: StreamRecord,
        fragment: Option<Fragment>,
    ) -> Result<(), AssembleError> {
        self.expect_no_open_dynamodb()?;
        match (self.open.take(), fragment) {
            (None, None) => self.records.push(record),
            (None, Some(fragment)) if fragment.index == 0 => self.advance(record, fragment),
            (Some((mut open, expected)), Some(fragment))
                if fragment == expected
                    && open.sequence_number == record.sequence_number
                    && open.partition_key == record.partition_key =>
            {
                open.data.extend_from_slice(&record.data);
                self.advance(open, fragment);
            }
            (Some((open, expected)), _) => {
                return Err(self.broken(
                    open.sequence_number,
                    format!(
                        "expected fragment {} of {}, found another entry",
                        expected.index, expected.count
                    ),
                ));
            }
            (None, Some(fragment)) => {
                return Err(self.broken(
                    record.sequence_number,
                    format!(
                        "starts at fragment {} of {}",
                        fragment.index, fragment.count
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Completes the record after its last fragment, or waits for the next.
    fn advance(&mut self, record: StreamRecord, fragment: Fragment) {
        if fragment.index + 1 >= fragment.count {
            self.records.push(record);
        } else {
            self.open = Some((
                record,
                Fragment {
                    index: fragment.index + 1,
                    count: fragment.count,
                },
            ));
        }
    }

    fn broken(&self, sequence_number: SequenceNumber, reason: String) -> AssembleError {
        AssembleError::BrokenFragments {
            id: self.id.to_owned(),
            sequence_number,
            reason,
        }
    }

    fn finish(mut self) -> Result<(Vec<StreamRecord>, Vec<DynamoDbRecord>), AssembleError> {
        self.expect_no_open_dynamodb()
            .map_err(|error| match error {
                AssembleError::BrokenFragments {
                    id,
                    sequence_number,
                    ..
                } => AssembleError::BrokenFragments {
                    id,
                    sequence_number,
                    reason: "ends before its last fragment".to_owned(),
                },
                other => other,
            })?;
        match self.open.take() {
            None => Ok((self.records, self.dynamodb)),
            Some((open, expected)) => Err(self.broken(
                open.sequence_number,
                format!(
                    "ends before fragment {} of {}",
                    expected.index, expected.count
                ),
            )),
        }
    }
}

/// Just enough to tell a streamdlq message from anything else.
#[derive(Deserialize)]
struct Probe {
    #[serde(default)]
    schema: Option<String>,
}

/// A schema v1 body.
#[derive(Deserialize)]
struct Body {
    id: String,
    part: Part,
    failure: Option<Box<RawValue>>,
    #[serde(default)]
    raw: Option<String>,
    #[serde(rename = "rawPart", default)]
    raw_part: Option<String>,
    hydration: HydrationSummary,
    records: Vec<Entry>,
}

/// A record entry, read and checked: a Kinesis record (whole or a
/// fragment of its bytes), a whole DynamoDB Streams record, or a fragment
/// of one's JSON text (`docs/dlq-format.md`).
#[derive(Deserialize)]
#[serde(try_from = "WireEntry")]
enum Entry {
    Kinesis(StreamRecord, Option<Fragment>),
    DynamoDb(Box<DynamoDbRecord>),
    DynamoDbFragment {
        sequence_number: SequenceNumber,
        fragment: Fragment,
        bytes: Vec<u8>,
    },
}

impl Entry {
    fn fragment(&self) -> Option<Fragment> {
        match self {
            Self::Kinesis(_, fragment) => *fragment,
            Self::DynamoDb(_) => None,
            Self::DynamoDbFragment { fragment, .. } => Some(*fragment),
        }
    }
}

/// Every field a record entry of either kind may have, `data` and
/// `recordJson` already decoded.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireEntry {
    sequence_number: SequenceNumber,
    #[serde(default)]
    partition_key: Option<String>,
    #[serde(default)]
    approximate_arrival_timestamp: Option<f64>,
    #[serde(default)]
    fragment: Option<Fragment>,
    #[serde(default, deserialize_with = "base64_bytes")]
    data: Option<Vec<u8>>,
    #[serde(rename = "eventSource", default)]
    event_source: Option<String>,
    #[serde(rename = "eventID", default)]
    event_id: Option<String>,
    #[serde(rename = "eventName", default)]
    event_name: Option<String>,
    #[serde(rename = "eventVersion", default)]
    event_version: Option<String>,
    #[serde(rename = "awsRegion", default)]
    aws_region: Option<String>,
    #[serde(default)]
    dynamodb: Option<StreamChange>,
    #[serde(default)]
    user_identity: Option<UserIdentity>,
    #[serde(default, deserialize_with = "base64_bytes")]
    record_json: Option<Vec<u8>>,
}

impl TryFrom<WireEntry> for Entry {
    type Error = String;

    fn try_from(wire: WireEntry) -> Result<Self, String> {
        let sequence_number = wire.sequence_number;
        if wire.event_source.as_deref() != Some(EVENT_SOURCE) {
            let (Some(partition_key), Some(data)) = (wire.partition_key, wire.data) else {
                return Err(format!(
                    "record {sequence_number} has neither partitionKey and data (Kinesis) \
                     nor eventSource {EVENT_SOURCE:?} (DynamoDB Streams)"
                ));
            };
            let record = StreamRecord {
                sequence_number,
                partition_key,
                approximate_arrival_millis: wire
                    .approximate_arrival_timestamp
                    .map(seconds_to_millis),
                data,
            };
            return Ok(Self::Kinesis(record, wire.fragment));
        }
        if let Some(fragment) = wire.fragment {
            let bytes = wire.record_json.ok_or_else(|| {
                format!("DynamoDB record {sequence_number}: a fragment without recordJson")
            })?;
            return Ok(Self::DynamoDbFragment {
                sequence_number,
                fragment,
                bytes,
            });
        }
        let missing = |field: &str| format!("DynamoDB record {sequence_number}: no {field}");
        let dynamodb = wire.dynamodb.ok_or_else(|| missing("dynamodb"))?;
        if dynamodb.sequence_number != sequence_number {
            return Err(format!(
                "DynamoDB record {sequence_number}: dynamodb.SequenceNumber is {}",
                dynamodb.sequence_number
            ));
        }
        Ok(Self::DynamoDb(Box::new(DynamoDbRecord {
            event_id: wire.event_id.ok_or_else(|| missing("eventID"))?,
            event_name: wire.event_name.ok_or_else(|| missing("eventName"))?,
            event_version: wire.event_version.ok_or_else(|| missing("eventVersion"))?,
            event_source: EVENT_SOURCE.to_owned(),
            aws_region: wire.aws_region.ok_or_else(|| missing("awsRegion"))?,
            dynamodb,
            user_identity: wire.user_identity,
        })))
    }
}

fn base64_bytes<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<u8>>, D::Error> {
    let text = String::deserialize(deserializer)?;
    STANDARD
        .decode(text.as_bytes())
        .map(Some)
        .map_err(|error| serde::de::Error::custom(format_args!("data is not base64: {error}")))
}

fn parse(position: usize, text: &str) -> Result<Body, AssembleError> {
    let probe: Probe = serde_json::from_str(text).map_err(|source| {
        if source.is_data() {
            AssembleError::NotStreamdlq { position }
        } else {
            AssembleError::NotJson { position, source }
        }
    })?;
    match probe.schema {
        None => return Err(AssembleError::NotStreamdlq { position }),
        Some(schema) if schema != SCHEMA_V1 => {
            return Err(AssembleError::UnknownSchema { position, schema });
        }
        Some(_) => {}
    }
    let body: Body = serde_json::from_str(text).map_err(|error| AssembleError::Malformed {
        position,
        reason: error.to_string(),
    })?;
    // The OnFailure record is an object; an array would read as one in order.
    if let Some(failure) = &body.failure
        && !failure.get().trim_start().starts_with('{')
    {
        return Err(AssembleError::Malformed {
            position,
            reason: "failure is not a JSON object".to_owned(),
        });
    }
    if body.part.count == 0 || body.part.index >= body.part.count {
        return Err(AssembleError::Malformed {
            position,
            reason: format!("part {} of {}", body.part.index, body.part.count),
        });
    }
    if let Some(fragment) = body
        .records
        .iter()
        .filter_map(Entry::fragment)
        .find(|fragment| fragment.count == 0 || fragment.index >= fragment.count)
    {
        return Err(AssembleError::Malformed {
            position,
            reason: format!("fragment {} of {}", fragment.index, fragment.count),
        });
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dlq::{DlqMessage, FailureSource, SQS_MESSAGE_LIMIT, build_parts};
    use crate::fixtures::{KINESIS_FAILURE, complete, failure, record, records};
    use crate::hydration::{Hydration, HydrationStatus};

    fn build(hydration: &Hydration, limit: usize) -> Vec<DlqMessage> {
        let failure_record = failure(KINESIS_FAILURE);
        build_parts(&FailureSource::Record(&failure_record), hydration, limit).expect("parts")
    }

    fn one(results: Vec<Result<HydratedFailure, AssembleError>>) -> HydratedFailure {
        let mut results = results.into_iter();
        let first = results.next().expect("one result").expect("assembled");
        assert!(results.next().is_none(), "exactly one result");
        first
    }

    fn round_trip(hydration: &Hydration, limit: usize) -> HydratedFailure {
        let messages = build(hydration, limit);
        for message in &messages {
            assert!(message.size() <= limit);
        }
        let assembled = one(assemble(messages.iter().map(|m| m.body.as_str())));
        assert_eq!(assembled.records, hydration.records, "records byte-exact");
        assembled
    }

    /// Text records come back as they went in, with failure and summary.
    #[test]
    fn round_trips_text_records() {
        let input: Vec<_> = (0..5)
            .map(|n| record(n, "order", format!("{{\"order\": {n}}}").into_bytes()))
            .collect();
        let hydration = complete(input);
        let assembled = round_trip(&hydration, SQS_MESSAGE_LIMIT);
        assert_eq!(assembled.failure.as_deref(), Some(KINESIS_FAILURE));
        assert_eq!(assembled.raw, None);
        assert_eq!(assembled.hydration.status, HydrationStatus::Complete);
        assert_eq!(assembled.hydration.found, 5);
        assert_eq!(
            assembled.id,
            crate::dlq::id::failure_id(&failure(KINESIS_FAILURE))
        );
    }

    /// The wider-range flag is read back with the records; a message
    /// without it (written before it existed) reads as not flagged.
    #[test]
    fn reads_back_the_wider_range_flag() {
        let mut hydration = complete(records(30, 200));
        hydration.expected = 7;
        let assembled = round_trip(&hydration, 2048);
        let wider = assembled.hydration.wider_range.expect("flagged");
        assert_eq!((wider.batch_size, wider.found), (7, 30));
        assert_eq!(wider.likely_cause, crate::dlq::WIDER_RANGE_CAUSE);

        let plain = round_trip(&complete(records(3, 20)), SQS_MESSAGE_LIMIT);
        assert_eq!(plain.hydration.wider_range, None);
    }

    /// Every byte value survives, in one message and cut into fragments.
    #[test]
    fn round_trips_all_256_byte_values() {
        let all: Vec<u8> = (0..=255u8).collect();
        let hydration = complete(vec![
            record(1, "binary", all.clone()),
            record(
                2,
                "binary",
                all.iter().rev().copied().cycle().take(5_000).collect(),
            ),
        ]);
        round_trip(&hydration, SQS_MESSAGE_LIMIT);
        round_trip(&hydration, 2048);
    }

    /// A record of about 1 MiB is carried in fragments and joined byte-exact.
    #[test]
    fn round_trips_a_one_mebibyte_record() {
        let big: Vec<u8> = (0..1024 * 1024 - 3)
            .map(|i: u32| (i * 7 % 251) as u8)
            .collect();
        let hydration = complete(vec![
            record(1, "before", b"small".to_vec()),
            record(2, "big", big),
            record(3, "after", b"small".to_vec()),
        ]);
        round_trip(&hydration, SQS_MESSAGE_LIMIT);
    }

    /// Small limits force many parts and many fragments; all join back.
    #[test]
    fn round_trips_with_a_4_kib_limit() {
        let mut input = records(40, 900);
        input.push(record(100, "big", vec![0xfe; 60_000]));
        input.push(record(101, "tail", vec![1, 2, 3]));
        let hydration = complete(input);
        let messages = build(&hydration, 4096);
        assert!(messages.len() > 20, "got {}", messages.len());
        round_trip(&hydration, 4096);
    }

    /// Unicode partition keys (and quotes, controls) survive JSON escaping.
    #[test]
    fn round_trips_unicode_partition_keys() {
        let hydration = complete(vec![
            record(1, "клиент-42", b"a".to_vec()),
            record(2, "顧客🚀", b"b".to_vec()),
            record(3, "quote\" back\\slash\ttab\u{0}", b"c".to_vec()),
        ]);
        round_trip(&hydration, SQS_MESSAGE_LIMIT);
        round_trip(&hydration, 1800);
    }

    /// Parts may arrive in any order and twice; the result is the same.
    #[test]
    fn tolerates_reordered_and_duplicated_parts() {
        let hydration = complete(records(30, 400));
        let messages = build(&hydration, 4096);
        assert!(messages.len() > 2);
        let mut bodies: Vec<&str> = messages.iter().map(|m| m.body.as_str()).collect();
        bodies.reverse();
        bodies.extend(messages.iter().map(|m| m.body.as_str()));
        let assembled = one(assemble(bodies));
        assert_eq!(assembled.records, hydration.records);
    }

    /// Hydrating the same failure twice gives the same bytes and one result.
    #[test]
    fn same_failure_built_twice_assembles_once() {
        let hydration = complete(records(10, 100));
        let first = build(&hydration, SQS_MESSAGE_LIMIT);
        let second = build(&hydration, SQS_MESSAGE_LIMIT);
        assert_eq!(first, second);
        let bodies = first.iter().chain(&second).map(|m| m.body.as_str());
        one(assemble(bodies));
    }

    /// The same failure in two encodings has one id but different parts
    /// (each carries its own text): both versions read back whole, rather
    /// than refusing the id for conflicting parts.
    #[test]
    fn the_same_failure_in_two_encodings_reads_back_in_both() {
        let hydration = complete(records(30, 400));
        let compact = failure(KINESIS_FAILURE);
        let value: serde_json::Value = serde_json::from_str(KINESIS_FAILURE).expect("JSON");
        let pretty = failure(&serde_json::to_string_pretty(&value).expect("JSON"));
        assert_ne!(compact.original, pretty.original);
        let mut bodies = Vec::new();
        for record in [&compact, &pretty] {
            let parts = build_parts(&FailureSource::Record(record), &hydration, 4096);
            bodies.extend(parts.expect("parts").into_iter().map(|m| m.body));
        }
        let results = assemble(bodies.iter().map(String::as_str));
        assert_eq!(results.len(), 2, "one result per version");
        for (result, record) in results.into_iter().zip([&compact, &pretty]) {
            let assembled = result.expect("assembled");
            assert_eq!(assembled.id, crate::dlq::id::failure_id(&compact));
            assert_eq!(assembled.failure.as_deref(), Some(record.original.as_str()));
            assert_eq!(assembled.records, hydration.records);
        }
    }

    /// A missing part is reported with its index, not silently skipped.
    #[test]
    fn reports_missing_parts() {
        let messages = build(&complete(records(30, 400)), 4096);
        let count = messages.len() as u32;
        let bodies = messages
            .iter()
            .filter(|m| m.part.index != 1)
            .map(|m| m.body.as_str());
        match assemble(bodies).pop() {
            Some(Err(AssembleError::MissingParts {
                count: c, missing, ..
            })) => {
                assert_eq!((c, missing), (count, vec![1]));
            }
            other => panic!("expected missing parts, got {other:?}"),
        }
    }

    /// Messages from other producers and unknown schemas are clear errors,
    /// and do not hide the failures that are whole.
    #[test]
    fn reports_foreign_messages_clearly() {
        let good = build(&complete(records(1, 10)), SQS_MESSAGE_LIMIT);
        let v2 = good[0]
            .body
            .replace(SCHEMA_V1, "streamdlq/hydrated-failure/v2");
        let inputs = [
            "plain text",
            "{\"orderId\": 42}",
            "[1, 2]",
            v2.as_str(),
            good[0].body.as_str(),
        ];
        let results = assemble(inputs);
        assert_eq!(results.len(), 5);
        assert!(matches!(
            results[0],
            Err(AssembleError::NotJson { position: 0, .. })
        ));
        assert!(matches!(
            results[1],
            Err(AssembleError::NotStreamdlq { position: 1 })
        ));
        assert!(matches!(
            results[2],
            Err(AssembleError::NotStreamdlq { position: 2 })
        ));
        match &results[3] {
            Err(error @ AssembleError::UnknownSchema { position: 3, .. }) => {
                assert!(error.to_string().contains("v2"), "{error}");
            }
            other => panic!("expected unknown schema, got {other:?}"),
        }
        assert!(results[4].is_ok());
    }

    /// Bad base64 or impossible part numbers are malformed, not a panic.
    #[test]
    fn reports_malformed_v1_messages() {
        let good = build(&complete(records(1, 10)), SQS_MESSAGE_LIMIT);
        let body: serde_json::Value = serde_json::from_str(&good[0].body).expect("json");
        let mut bad_data = body.clone();
        bad_data["records"][0]["data"] = "***".into();
        let mut bad_part = body;
        bad_part["part"]["index"] = 5.into();
        for text in [bad_data.to_string(), bad_part.to_string()] {
            assert!(matches!(
                assemble([text.as_str()]).pop(),
                Some(Err(AssembleError::Malformed { position: 0, .. }))
            ));
        }
    }

    /// A `failure` that is not a JSON object (an array, a string) is a
    /// malformed message: the format says it is the OnFailure object.
    #[test]
    fn refuses_a_failure_that_is_not_an_object() {
        let good = build(&complete(records(1, 10)), SQS_MESSAGE_LIMIT);
        let body: serde_json::Value = serde_json::from_str(&good[0].body).expect("json");
        let mut array = body.clone();
        array["failure"] = serde_json::json!([null, null, "1.0"]);
        let mut string = body;
        string["failure"] = "{}".into();
        for text in [array.to_string(), string.to_string()] {
            let result = assemble([text.as_str()]).pop();
            match result {
                Some(Err(error @ AssembleError::Malformed { position: 0, .. })) => {
                    assert!(error.to_string().contains("failure"), "{error}");
                }
                other => panic!("expected malformed, got {other:?}"),
            }
        }
    }

    /// A different copy of the same part is a conflict, not a silent pick.
    #[test]
    fn reports_conflicting_copies_of_a_part() {
        let a = build(&complete(records(2, 10)), SQS_MESSAGE_LIMIT);
        let mut changed = complete(records(2, 10));
        changed.records[1].data.push(0);
        let b = build(&changed, SQS_MESSAGE_LIMIT);
        assert_eq!(a[0].id, b[0].id);
        assert!(matches!(
            assemble([a[0].body.as_str(), b[0].body.as_str()]).pop(),
            Some(Err(AssembleError::ConflictingParts { index: 0, .. }))
        ));
    }

    /// A fragmented record with a fragment missing is reported as broken.
    #[test]
    fn reports_a_missing_fragment() {
        let big = record(7, "big", vec![9; 3_000]);
        let messages = build(&complete(vec![big]), 2048);
        // Drop the entries of part 1 and nothing else: the header must stay
        // byte-identical to the other parts'.
        let body = &messages[1].body;
        let records_at = body.find(",\"records\":[").expect("records");
        let text = format!("{},\"records\":[]}}", &body[..records_at]);
        let bodies = messages.iter().enumerate().map(|(i, m)| {
            if i == 1 {
                text.as_str()
            } else {
                m.body.as_str()
            }
        });
        let result = assemble(bodies).pop();
        assert!(
            matches!(result, Some(Err(AssembleError::BrokenFragments { .. }))),
            "{result:?}"
        );
    }

    /// The example in docs/dlq-format.md is a valid message whose id is the
    /// one its failure record gets.
    #[test]
    fn documented_example_is_a_valid_message() {
        let doc = include_str!("../../../../docs/dlq-format.md");
        let example = doc
            .split("```json\n")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .expect("a json block in the docs");
        let assembled = one(assemble([example]));
        let failure_text = assembled.failure.as_deref().expect("failure");
        assert_eq!(
            assembled.id,
            crate::dlq::id::failure_id(&failure(failure_text))
        );
        assert_eq!(assembled.hydration.status, HydrationStatus::Partial);
        assert_eq!(
            assembled.records[0].data,
            br#"{"order":17,"total":"12.50"}"#
        );
        assert_eq!(assembled.records[1].data, [0, 255, 16, 128, 10]);
        assert_eq!(assembled.records[1].partition_key, "sensor-☃");
        assert_eq!(
            assembled.records[1].approximate_arrival_millis,
            Some(1_795_428_842_500)
        );
    }

    /// The issue's input: 250 KiB of U+0001 escapes to six bytes a
    /// character, far over one message; it is carried in parts and comes
    /// back whole.
    #[test]
    fn round_trips_unparseable_text_that_escapes_big() {
        let text = "\u{1}".repeat(250 * 1024);
        let hydration = Hydration::without_records(HydrationStatus::Unparseable, 0, "not JSON");
        let messages = build_parts(
            &FailureSource::Unparseable(&text),
            &hydration,
            SQS_MESSAGE_LIMIT,
        )
        .expect("parts");
        assert!(messages.len() >= 2, "{} parts", messages.len());
        assert!(messages.iter().all(|m| m.size() <= SQS_MESSAGE_LIMIT));
        // In any order, as SQS delivers them.
        let assembled = one(assemble(messages.iter().rev().map(|m| m.body.as_str())));
        assert_eq!(assembled.raw.as_deref(), Some(text.as_str()));
        assert_eq!(assembled.hydration.status, HydrationStatus::Unparseable);
    }

    /// Multi-byte characters and escapes are never cut: any text, a small
    /// limit, the same text back.
    #[test]
    fn round_trips_raw_text_cut_at_character_boundaries() {
        let text = "é☃\"\\\n\u{1}𝄞".repeat(2_000);
        let hydration = Hydration::without_records(HydrationStatus::Unparseable, 0, "x");
        let messages =
            build_parts(&FailureSource::Unparseable(&text), &hydration, 2048).expect("parts");
        assert!(messages.len() > 10);
        assert!(messages.iter().all(|m| m.size() <= 2048));
        let assembled = one(assemble(messages.iter().map(|m| m.body.as_str())));
        assert_eq!(assembled.raw.as_deref(), Some(text.as_str()));
    }

    /// Unparseable messages come back with their raw text and no failure.
    #[test]
    fn round_trips_unparseable_text() {
        let text = "{\"Message\": truncated";
        let hydration = Hydration::without_records(HydrationStatus::Unparseable, 0, "not JSON");
        let messages = build_parts(
            &FailureSource::Unparseable(text),
            &hydration,
            SQS_MESSAGE_LIMIT,
        )
        .expect("parts");
        let assembled = one(assemble(messages.iter().map(|m| m.body.as_str())));
        assert_eq!(assembled.raw.as_deref(), Some(text));
        assert_eq!(assembled.failure, None);
        assert_eq!(assembled.hydration.status, HydrationStatus::Unparseable);
        assert_eq!(assembled.hydration.reason.as_deref(), Some("not JSON"));
    }
}
