//! Scanned messages read back into hydrated failures, each with the
//! messages that carry it, and a one-line note for every message that is
//! not (part of) a whole failure.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;
use streamdlq_core::dlq::{AssembleError, HydratedFailure, Part, SCHEMA_V1, assemble};
use streamdlq_core::{FailureRecord, HydrationStatus, SequenceNumber};

use super::sqs::QueueMessage;

/// A message by id, with the receipt handle that can delete it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRef {
    pub message_id: String,
    pub receipt_handle: String,
    /// When SQS received it (epoch milliseconds), if it said.
    pub sent_millis: Option<i64>,
}

/// One hydrated failure and the messages (its parts) that carry it.
#[derive(Debug, Clone)]
pub struct FailureEntry {
    pub hydrated: HydratedFailure,
    /// The OnFailure record, parsed; `None` for `unparseable` failures.
    pub record: Option<FailureRecord>,
    pub messages: Vec<MessageRef>,
}

impl FailureEntry {
    pub fn status(&self) -> HydrationStatus {
        self.hydrated.hydration.status
    }

    pub fn stream_arn(&self) -> Option<&str> {
        self.record
            .as_ref()
            .map(|record| record.batch.stream_arn.as_str())
    }

    pub fn shard_id(&self) -> Option<&str> {
        self.record
            .as_ref()
            .map(|record| record.batch.shard_id.as_str())
    }

    pub fn start_sequence_number(&self) -> Option<&SequenceNumber> {
        self.record
            .as_ref()
            .map(|record| &record.batch.start_sequence_number)
    }

    /// The record that made the batch fail, where the failure record tells
    /// it: with partial batch responses (`functionError` null once retries
    /// ran out) the ESM retries from the reported record, so the range
    /// starts at it; a function error on a batch of one record (bisected
    /// down to it) names that record. Otherwise the range does not say.
    pub fn failed_sequence_number(&self) -> Option<&SequenceNumber> {
        let record = self.record.as_ref()?;
        let response = record.response_context.as_ref()?;
        let reported = response.function_error.is_none() || record.batch.batch_size == 1;
        reported.then_some(&record.batch.start_sequence_number)
    }

    /// When the first of its messages reached SQS: the queue's retention
    /// period counts from then, and drops the failure whole or in part.
    pub fn first_sent_millis(&self) -> Option<i64> {
        self.messages.iter().filter_map(|m| m.sent_millis).min()
    }

    pub fn receipt_handles(&self) -> Vec<&str> {
        self.messages
            .iter()
            .map(|message| message.receipt_handle.as_str())
            .collect()
    }
}

/// Messages that are not (part of) a whole failure, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub messages: Vec<MessageRef>,
    /// One line, naming the message or failure.
    pub text: String,
}

/// Everything a scan found.
#[derive(Debug, Clone, Default)]
pub struct DlqInventory {
    /// In order of first appearance in the queue.
    pub failures: Vec<FailureEntry>,
    pub notes: Vec<Note>,
}

/// Just enough of a body to know which failure it belongs to.
#[derive(Deserialize)]
struct Header {
    schema: Option<serde_json::Value>,
    id: Option<serde_json::Value>,
    part: Option<Part>,
}

/// Counts the failures whose parts have all been received, from the
/// message headers alone: tells a scan when it has enough.
#[derive(Debug, Default)]
pub struct WholeCount {
    parts: HashMap<String, (u32, HashSet<u32>)>,
    whole: usize,
}

impl WholeCount {
    /// Adds a message body; returns how many failures are whole now.
    pub fn add(&mut self, body: &str) -> usize {
        let Some((id, part)) = v1_header(body) else {
            return self.whole;
        };
        let (count, seen) = self
            .parts
            .entry(id)
            .or_insert_with(|| (part.count, HashSet::new()));
        if *count == part.count && seen.insert(part.index) && seen.len() == *count as usize {
            self.whole += 1;
        }
        self.whole
    }
}

impl DlqInventory {
    /// Reads scanned messages back. Never fails: what cannot be read
    /// becomes a [`Note`].
    pub fn build(messages: &[QueueMessage]) -> Self {
        let results = assemble(messages.iter().map(|message| message.body.as_str()));
        let failed_positions: HashSet<usize> = results
            .iter()
            .filter_map(|result| result.as_ref().err().and_then(position_of))
            .collect();
        // Messages of each failure id and record text, as the assembler
        // grouped them: the same failure in two encodings is two versions
        // of one id, and each keeps only its own messages.
        let mut by_id: HashMap<(String, Option<String>), Vec<MessageRef>> = HashMap::new();
        for (position, message) in messages.iter().enumerate() {
            if failed_positions.contains(&position) {
                continue;
            }
            if let Some(id) = v1_id(&message.body) {
                let version = failure_text(&message.body);
                by_id
                    .entry((id, version))
                    .or_default()
                    .push(reference(message));
            }
        }
        let mut inventory = Self::default();
        for result in results {
            match result {
                Ok(hydrated) => {
                    let record = hydrated
                        .failure
                        .as_deref()
                        .and_then(|text| FailureRecord::parse(text).ok());
                    let key = (hydrated.id.clone(), hydrated.failure.clone());
                    let messages = by_id.remove(&key).unwrap_or_default();
                    inventory.failures.push(FailureEntry {
                        hydrated,
                        record,
                        messages,
                    });
                }
                Err(error) => {
                    let refs: Vec<MessageRef> = match position_of(&error) {
                        Some(position) => {
                            messages.get(position).map(reference).into_iter().collect()
                        }
                        None => id_of(&error)
                            .map(|id| {
                                let keys: Vec<_> =
                                    by_id.keys().filter(|(key, _)| key == id).cloned().collect();
                                keys.iter()
                                    .filter_map(|key| by_id.remove(key))
                                    .flatten()
                                    .collect()
                            })
                            .unwrap_or_default(),
                    };
                    let text = note_text(&error, &refs);
                    inventory.notes.push(Note {
                        messages: refs,
                        text,
                    });
                }
            }
        }
        inventory
    }
}

fn reference(message: &QueueMessage) -> MessageRef {
    MessageRef {
        message_id: message.message_id.clone(),
        receipt_handle: message.receipt_handle.clone(),
        sent_millis: message.sent_millis,
    }
}

/// The id of a body that the assembler groups by id.
pub(crate) fn v1_id(body: &str) -> Option<String> {
    v1_header(body).map(|(id, _)| id)
}

/// The OnFailure record text a body carries, as the assembler reads it.
fn failure_text(body: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Failure {
        failure: Option<Box<serde_json::value::RawValue>>,
    }
    let body: Failure = serde_json::from_str(body).ok()?;
    body.failure.map(|failure| failure.get().to_owned())
}

fn v1_header(body: &str) -> Option<(String, Part)> {
    let header: Header = serde_json::from_str(body).ok()?;
    match (header.schema, header.id, header.part) {
        (
            Some(serde_json::Value::String(schema)),
            Some(serde_json::Value::String(id)),
            Some(part),
        ) if schema == SCHEMA_V1 => Some((id, part)),
        _ => None,
    }
}

fn position_of(error: &AssembleError) -> Option<usize> {
    match error {
        AssembleError::NotJson { position, .. }
        | AssembleError::NotStreamdlq { position }
        | AssembleError::UnknownSchema { position, .. }
        | AssembleError::Malformed { position, .. } => Some(*position),
        _ => None,
    }
}

fn id_of(error: &AssembleError) -> Option<&str> {
    match error {
        AssembleError::MissingParts { id, .. }
        | AssembleError::ConflictingParts { id, .. }
        | AssembleError::InconsistentParts { id, .. }
        | AssembleError::BrokenFragments { id, .. } => Some(id),
        _ => None,
    }
}

/// A note names the SQS message id, not a position in the scan.
fn note_text(error: &AssembleError, refs: &[MessageRef]) -> String {
    let message = refs
        .first()
        .map_or("?", |reference| reference.message_id.as_str());
    match error {
        AssembleError::NotJson { .. } => {
            format!("message {message} is not a streamdlq DLQ message (not JSON)")
        }
        AssembleError::NotStreamdlq { .. } => {
            format!("message {message} is not a streamdlq DLQ message (no \"schema\" field)")
        }
        AssembleError::UnknownSchema { schema, .. } => {
            format!("message {message} has schema {schema:?}; this streamdlq reads {SCHEMA_V1:?}")
        }
        AssembleError::Malformed { reason, .. } => {
            format!("message {message} is a malformed {SCHEMA_V1} message: {reason}")
        }
        AssembleError::MissingParts { .. } => format!(
            "{error} (not received yet, or lost): its {} other messages stay in the queue",
            refs.len()
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use streamdlq_core::dlq::{FailureSource, build_parts};
    use streamdlq_core::{Hydration, StreamRecord};

    use super::*;

    const FAILURE: &str = include_str!("../../../../events/onfailure-kinesis.json");

    fn message(n: usize, body: &str) -> QueueMessage {
        QueueMessage {
            message_id: format!("m-{n}"),
            receipt_handle: format!("h-{n}"),
            body: body.to_owned(),
            attributes: BTreeMap::new(),
            sent_millis: Some(1_795_428_841_000),
        }
    }

    fn parts(limit: usize) -> Vec<String> {
        let record = FailureRecord::parse(FAILURE).expect("fixture");
        let records = (0..20)
            .map(|n| StreamRecord {
                sequence_number: SequenceNumber::parse(&format!("{}", 1000 + n)).expect("seq"),
                partition_key: "k".into(),
                approximate_arrival_millis: Some(1_795_428_841_123),
                data: vec![n as u8; 200],
            })
            .collect();
        let hydration = Hydration {
            status: HydrationStatus::Complete,
            expected: 20,
            records,
            reason: None,
        };
        build_parts(&FailureSource::Record(&record), &hydration, limit)
            .expect("parts")
            .into_iter()
            .map(|m| m.body)
            .collect()
    }

    /// A failure in several parts comes back whole with all its messages;
    /// a foreign message becomes a note naming it.
    #[test]
    fn groups_parts_and_notes_foreign_messages() {
        let bodies = parts(2048);
        assert!(bodies.len() > 1);
        let mut messages: Vec<QueueMessage> = Vec::new();
        messages.push(message(0, "{\"orderId\": 42}"));
        for (n, body) in bodies.iter().enumerate().rev() {
            messages.push(message(n + 1, body));
        }
        let inventory = DlqInventory::build(&messages);
        assert_eq!(inventory.failures.len(), 1);
        let failure = &inventory.failures[0];
        assert_eq!(failure.hydrated.records.len(), 20);
        assert_eq!(failure.messages.len(), bodies.len());
        assert_eq!(failure.shard_id(), Some("shardId-000000000000"));
        assert_eq!(inventory.notes.len(), 1);
        assert_eq!(
            inventory.notes[0].text,
            "message m-0 is not a streamdlq DLQ message (no \"schema\" field)"
        );
        assert_eq!(inventory.notes[0].messages[0].receipt_handle, "h-0");
    }

    /// The same failure in two encodings (one id, different record text):
    /// each version comes back whole with only its own messages, so
    /// deleting one version's messages never deletes the other's.
    #[test]
    fn the_same_failure_in_two_encodings_keeps_its_messages_apart() {
        let compact = parts(2048);
        let value: serde_json::Value = serde_json::from_str(FAILURE).expect("JSON");
        // The fixture is pretty-printed; the other encoding is compact.
        let other_text = serde_json::to_string(&value).expect("JSON");
        let other: Vec<String> = compact
            .iter()
            .map(|body| body.replace(FAILURE.trim(), &other_text))
            .collect();
        assert_ne!(compact, other);
        let messages: Vec<QueueMessage> = compact
            .iter()
            .chain(&other)
            .enumerate()
            .map(|(n, body)| message(n, body))
            .collect();
        let inventory = DlqInventory::build(&messages);
        assert!(inventory.notes.is_empty(), "{:?}", inventory.notes.len());
        assert_eq!(inventory.failures.len(), 2);
        for (failure, bodies) in inventory.failures.iter().zip([&compact, &other]) {
            assert_eq!(failure.hydrated.records.len(), 20);
            assert_eq!(failure.messages.len(), bodies.len());
        }
        assert_eq!(inventory.failures[0].messages[0].message_id, "m-0");
        assert_eq!(
            inventory.failures[1].messages[0].message_id,
            format!("m-{}", compact.len())
        );
    }

    /// A failure counts as whole once every part was seen, copies aside.
    #[test]
    fn counts_whole_failures_from_headers() {
        let bodies = parts(2048);
        let mut count = WholeCount::default();
        assert_eq!(count.add("{\"orderId\": 1}"), 0);
        for body in &bodies[1..] {
            assert_eq!(count.add(body), 0);
        }
        assert_eq!(count.add(&bodies[1]), 0, "a copy adds nothing");
        assert_eq!(count.add(&bodies[0]), 1);
    }

    /// A failure with a part missing is a note holding the parts present.
    #[test]
    fn notes_a_failure_with_missing_parts() {
        let bodies = parts(2048);
        let messages: Vec<QueueMessage> = bodies
            .iter()
            .enumerate()
            .skip(1)
            .map(|(n, body)| message(n, body))
            .collect();
        let inventory = DlqInventory::build(&messages);
        assert!(inventory.failures.is_empty());
        assert_eq!(inventory.notes.len(), 1);
        assert_eq!(inventory.notes[0].messages.len(), bodies.len() - 1);
        assert!(
            inventory.notes[0].text.contains("missing"),
            "{}",
            inventory.notes[0].text
        );
    }
}
