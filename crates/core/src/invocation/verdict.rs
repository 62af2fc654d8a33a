//! [`AnswerVerdict`]: the one reading of a function's answer to a batch of
//! stream records, shared by the local ESM, `streamdlq local invoke` and
//! `streamdlq replay --to-function`.
//!
//! Each rule names its source: **recorded** means AWS was observed doing it
//! (DESIGN.md, "ESM semantics"); **safe reading** means AWS was never
//! recorded on that answer, so it is read as a whole-batch failure — the
//! reading that never acknowledges a record the function may not have
//! processed (for the ESM a retry, for replay a DLQ message kept).
//!
//! | answer | verdict | source |
//! | --- | --- | --- |
//! | zero-byte body, `null`, `{}`, `[]` | success | recorded |
//! | `{"batchItemFailures": []}`, `{"batchItemFailures": null}` | success | recorded |
//! | a wrong top-level key (`{"batchItemFailure": [...]}`) | success (the failures are lost: processors must return the typed response) | recorded |
//! | an `itemIdentifier` that is empty, null, not a string, missing (wrong key) or not a sequence number of the batch | whole-batch failure, `functionError: null` | recorded |
//! | several identifiers | the lowest sequence number is the checkpoint | recorded |
//! | a thrown error (`X-Amz-Function-Error`) | function error (`Unhandled`), may bisect | recorded |
//! | a string, a number, a boolean, a non-empty array, a body that is not JSON, `batchItemFailures` not a list | whole-batch failure | safe reading |
//!
//! With `ReportBatchItemFailures` off, the ESM never looks at the payload:
//! any answer that is not a function error is a complete success
//! ([`PayloadReading::Ignored`]). Replay always reads the payload
//! ([`PayloadReading::BatchItemFailures`]), because it deletes DLQ messages
//! on success and must never delete on a doubtful answer.

use std::fmt;

use serde_json::Value;

use super::answer::{FunctionAnswer, FunctionError};
use crate::sequence::SequenceNumber;

/// Whether the payload of a returned answer is read at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadReading {
    /// `FunctionResponseTypes: [ReportBatchItemFailures]`: the payload is a
    /// partial batch response.
    BatchItemFailures,
    /// Without `ReportBatchItemFailures`: the ESM ignores the payload.
    Ignored,
}

impl PayloadReading {
    /// The reading an ESM with this `ReportBatchItemFailures` setting uses.
    pub fn for_esm(report_batch_item_failures: bool) -> Self {
        if report_batch_item_failures {
            Self::BatchItemFailures
        } else {
            Self::Ignored
        }
    }
}

/// What an answer means for the batch it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerVerdict {
    /// Every record of the batch was processed.
    Success,
    /// Records before `index` (into the batch) were processed; the record at
    /// `index`, the lowest reported, and everything after it were not.
    PartialFailure { index: usize },
    /// The whole batch failed without a function error (an unusable
    /// partial batch response): never bisected, `functionError: null`.
    BatchFailure { reason: String },
    /// The function threw, panicked or timed out.
    FunctionError(FunctionError),
    /// The function never ran.
    NotInvoked(String),
}

impl AnswerVerdict {
    /// Judges `answer` to an invocation with the records whose sequence
    /// numbers are `batch`, in batch order.
    pub fn judge<'a>(
        answer: &FunctionAnswer,
        batch: impl IntoIterator<Item = &'a SequenceNumber>,
        reading: PayloadReading,
    ) -> Self {
        match answer {
            FunctionAnswer::Thrown(error) => Self::FunctionError(error.clone()),
            FunctionAnswer::NotInvoked(reason) => Self::NotInvoked(reason.clone()),
            FunctionAnswer::Returned(_) if reading == PayloadReading::Ignored => Self::Success,
            FunctionAnswer::Returned(payload) => {
                let batch: Vec<&SequenceNumber> = batch.into_iter().collect();
                judge_payload(payload, &batch)
                    .unwrap_or_else(|reason| Self::BatchFailure { reason })
            }
        }
    }

    /// Whether every record of the batch was processed.
    pub fn is_success(&self) -> bool {
        matches!(self, Self::Success)
    }
}

impl fmt::Display for AnswerVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Success => f.write_str("processed"),
            Self::PartialFailure { index } => {
                write!(f, "batch item failure at record {index} of the batch")
            }
            Self::BatchFailure { reason } => write!(f, "whole-batch failure: {reason}"),
            Self::FunctionError(error) => write!(f, "function error {error}"),
            Self::NotInvoked(reason) => write!(f, "not invoked: {reason}"),
        }
    }
}

/// A returned payload, read as a partial batch response; `Err` is why the
/// whole batch failed.
fn judge_payload(payload: &[u8], batch: &[&SequenceNumber]) -> Result<AnswerVerdict, String> {
    let identifiers: Vec<&str> = batch.iter().map(|number| number.as_str()).collect();
    let named = batch_item_failures(payload, &identifiers, "a sequence number")?;
    // Recorded: the lowest reported sequence number is the checkpoint.
    let lowest = named.into_iter().reduce(|current, index| {
        if batch[current] <= batch[index] {
            current
        } else {
            index
        }
    });
    Ok(match lowest {
        Some(index) => AnswerVerdict::PartialFailure { index },
        // Recorded: an empty list is success.
        None => AnswerVerdict::Success,
    })
}

/// The items a returned payload names as failed, as positions in
/// `identifiers` (the batch's sequence numbers, or an SQS batch's message
/// ids), in the order named: empty when the payload means success; `Err` is
/// why the whole batch failed. The same rules for every event source that
/// takes a partial batch response (`what` names the identifiers in reasons).
pub(crate) fn batch_item_failures(
    payload: &[u8],
    identifiers: &[&str],
    what: &str,
) -> Result<Vec<usize>, String> {
    // Recorded: a zero-byte body is success.
    if payload.is_empty() {
        return Ok(Vec::new());
    }
    // Safe reading: a body that is not JSON.
    let value: Value = serde_json::from_slice(payload)
        .map_err(|error| format!("the answer is not JSON ({error})"))?;
    let fields = match value {
        // Recorded: `null` is success.
        Value::Null => return Ok(Vec::new()),
        // Recorded: `[]` is success. Safe reading: a non-empty array.
        Value::Array(items) if items.is_empty() => return Ok(Vec::new()),
        Value::Object(fields) => fields,
        // Safe reading: a string, a number, a boolean, a non-empty array.
        other => {
            return Err(format!(
                "the answer is a JSON {}, not an object",
                kind(&other)
            ));
        }
    };
    let items = match fields.get("batchItemFailures") {
        // Recorded: `{}`, a wrong top-level key and a null list are success.
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        // Safe reading: a list that is not a list.
        Some(other) => {
            return Err(format!(
                "batchItemFailures is a JSON {}, not a list",
                kind(other)
            ));
        }
    };
    items
        .iter()
        .map(|item| identified_item(item, identifiers, what))
        .collect()
}

/// The position in the batch of the item an entry names. Recorded: an
/// identifier that is empty, null, missing, not a string or not one of the
/// batch (character for character) fails the whole batch.
fn identified_item(item: &Value, identifiers: &[&str], what: &str) -> Result<usize, String> {
    let identifier = match item.get("itemIdentifier") {
        Some(Value::String(text)) if !text.is_empty() => text,
        Some(Value::String(_)) => return Err("an itemIdentifier is empty".to_owned()),
        Some(Value::Null) | None => {
            return Err("an item has a null or missing itemIdentifier".to_owned());
        }
        Some(other) => {
            return Err(format!(
                "an itemIdentifier is a JSON {}, not a string",
                kind(other)
            ));
        }
    };
    identifiers
        .iter()
        .position(|known| *known == identifier)
        .ok_or_else(|| format!("itemIdentifier {identifier:?} is not {what} of the batch"))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests;
