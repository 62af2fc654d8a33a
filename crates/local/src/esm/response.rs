//! What a function's answer means for the batch it was given: the rules of
//! "partial batch response" for Kinesis, including the ones that lose data.
//!
//! AWS contract honoured here:
//! - Without `ReportBatchItemFailures` the ESM never looks at the payload:
//!   any answer that is not a function error is a complete success.
//! - With it, success is an empty or null response, or an empty or null
//!   `batchItemFailures` list.
//! - An `itemIdentifier` that is empty, null, missing (a wrong key name),
//!   not a string, or not the sequence number of a record in the batch
//!   fails the whole batch (it is retried from its first record).
//! - Several identifiers: the lowest sequence number is the checkpoint;
//!   that record and everything after it is retried.
//! - A wrong *top-level* key (`{"batchItemFailure": [...]}`) is a complete
//!   success: the failures are silently lost. Reproduced on purpose, so
//!   that a processor returning an untyped response fails its tests here
//!   rather than losing data on AWS.
//! - AWS does not document answers that are not JSON objects (a string, a
//!   number, an array) or a `batchItemFailures` that is not a list; the
//!   emulator fails the whole batch for them, the safe reading.

use serde_json::Value;
use streamdlq_core::StreamRecord;

/// How the ESM reads one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every record was processed: checkpoint after the last one.
    Success,
    /// Records before `index` (into the invoked records) were processed;
    /// the record at `index` and everything after it must be retried.
    PartialFailure { index: usize },
    /// The answer could not be read: the whole batch failed (no function
    /// error, so `functionError` is null if it is finally discarded).
    Unreadable(String),
}

/// Reads `response` to an invocation with `invoked`.
pub fn verdict(
    response: Option<&Value>,
    invoked: &[StreamRecord],
    report_batch_item_failures: bool,
) -> Verdict {
    if !report_batch_item_failures {
        return Verdict::Success;
    }
    let fields = match response {
        None | Some(Value::Null) => return Verdict::Success,
        Some(Value::Object(fields)) => fields,
        Some(other) => {
            return Verdict::Unreadable(format!(
                "the response is a JSON {}, not an object",
                kind(other)
            ));
        }
    };
    let items = match fields.get("batchItemFailures") {
        // A misspelt top-level key: nothing reported, so nothing failed.
        None | Some(Value::Null) => return Verdict::Success,
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Verdict::Unreadable(format!(
                "batchItemFailures is a JSON {}, not a list",
                kind(other)
            ));
        }
    };
    let mut lowest: Option<usize> = None;
    for item in items {
        let identifier = match item.get("itemIdentifier") {
            Some(Value::String(text)) if !text.is_empty() => text,
            Some(Value::String(_)) => {
                return Verdict::Unreadable("an itemIdentifier is empty".to_owned());
            }
            Some(Value::Null) | None => {
                return Verdict::Unreadable(
                    "an item has a null or missing itemIdentifier".to_owned(),
                );
            }
            Some(other) => {
                return Verdict::Unreadable(format!(
                    "an itemIdentifier is a JSON {}, not a string",
                    kind(other)
                ));
            }
        };
        // The identifier must name a record of this batch, digit for digit.
        let Some(index) = invoked
            .iter()
            .position(|record| record.sequence_number.as_str() == identifier)
        else {
            return Verdict::Unreadable(format!(
                "itemIdentifier {identifier:?} is not a sequence number of the batch"
            ));
        };
        lowest = Some(lowest.map_or(index, |current| current.min(index)));
    }
    match lowest {
        // Records are in sequence order, so the lowest index is the lowest
        // sequence number.
        Some(index) => Verdict::PartialFailure { index },
        None => Verdict::Success,
    }
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
mod tests {
    use serde_json::json;
    use streamdlq_core::SequenceNumber;

    use super::*;

    const SEQ: [&str; 3] = [
        "49656959252094532447391178218386271298406532436532183042",
        "49656959252094532447391178218389898075865384020637696002",
        "49656959252094532447391178218393524853324235604743208962",
    ];

    fn batch() -> Vec<StreamRecord> {
        SEQ.iter()
            .map(|seq| StreamRecord {
                sequence_number: SequenceNumber::parse(seq).expect("digits"),
                partition_key: "pk".to_owned(),
                approximate_arrival_millis: Some(0),
                data: b"x".to_vec(),
            })
            .collect()
    }

    fn read(response: Value) -> Verdict {
        verdict(Some(&response), &batch(), true)
    }

    fn failures(identifiers: Value) -> Verdict {
        read(json!({ "batchItemFailures": identifiers }))
    }

    /// Empty and null answers and lists are complete successes.
    #[test]
    fn empty_and_null_answers_are_success() {
        assert_eq!(verdict(None, &batch(), true), Verdict::Success);
        assert_eq!(read(Value::Null), Verdict::Success);
        assert_eq!(read(json!({})), Verdict::Success);
        assert_eq!(failures(json!([])), Verdict::Success);
        assert_eq!(failures(Value::Null), Verdict::Success);
    }

    /// The one failed record is where the batch resumes.
    #[test]
    fn a_reported_record_becomes_the_checkpoint() {
        assert_eq!(
            failures(json!([{ "itemIdentifier": SEQ[1] }])),
            Verdict::PartialFailure { index: 1 }
        );
    }

    /// Of several failed records, the lowest sequence number wins, whatever
    /// the order of the list.
    #[test]
    fn the_lowest_of_several_failures_becomes_the_checkpoint() {
        assert_eq!(
            failures(json!([{ "itemIdentifier": SEQ[2] }, { "itemIdentifier": SEQ[1] }])),
            Verdict::PartialFailure { index: 1 }
        );
    }

    /// Empty, null, missing (wrong key name), non-string and unknown
    /// identifiers all fail the whole batch.
    #[test]
    fn invalid_identifiers_fail_the_whole_batch() {
        for item in [
            json!({ "itemIdentifier": "" }),
            json!({ "itemIdentifier": null }),
            json!({ "itemIdentifer": SEQ[1] }),
            json!({ "itemIdentifier": 5 }),
            json!({ "itemIdentifier": "49656959252094532447391178218386271298406532436532183043" }),
            json!("not an object"),
        ] {
            let answer = failures(json!([{ "itemIdentifier": SEQ[2] }, item.clone()]));
            assert!(
                matches!(answer, Verdict::Unreadable(_)),
                "{item}: {answer:?}"
            );
        }
    }

    /// An identifier must match digit for digit: the same number with a
    /// leading zero is not a sequence number of the batch.
    #[test]
    fn identifiers_match_exactly() {
        let padded = format!("0{}", SEQ[1]);
        assert!(matches!(
            failures(json!([{ "itemIdentifier": padded }])),
            Verdict::Unreadable(_)
        ));
    }

    /// A misspelt top-level key is read as success: the data-loss trap.
    #[test]
    fn a_wrong_top_level_key_counts_as_success() {
        assert_eq!(
            read(json!({ "batchItemFailure": [{ "itemIdentifier": SEQ[0] }] })),
            Verdict::Success
        );
    }

    /// Answers that are not objects, and lists that are not lists, fail.
    #[test]
    fn answers_of_the_wrong_shape_fail_the_whole_batch() {
        for answer in [json!("ok"), json!(1), json!([]), json!(true)] {
            assert!(
                matches!(read(answer.clone()), Verdict::Unreadable(_)),
                "{answer}"
            );
        }
        assert!(matches!(
            failures(json!({ "itemIdentifier": SEQ[0] })),
            Verdict::Unreadable(_)
        ));
    }

    /// Without ReportBatchItemFailures the answer is never read.
    #[test]
    fn without_report_batch_item_failures_every_answer_is_success() {
        let response = json!({ "batchItemFailures": [{ "itemIdentifier": SEQ[0] }] });
        assert_eq!(verdict(Some(&response), &batch(), false), Verdict::Success);
        assert_eq!(
            verdict(Some(&json!("garbage")), &batch(), false),
            Verdict::Success
        );
    }
}
