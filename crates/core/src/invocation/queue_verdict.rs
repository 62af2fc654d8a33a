//! [`QueueBatchVerdict`]: the reading of a function's answer to a batch of
//! SQS messages, for the local SQS event source that feeds an OnFailure
//! queue to the hydrate function.
//!
//! The partial batch response is read by the same rules as for streams
//! ([`AnswerVerdict`](super::AnswerVerdict), each rule recorded on AWS or
//! the safe reading): success for an empty or null answer and an empty or
//! null `batchItemFailures`; a whole-batch failure for an identifier that
//! is empty, null, not a string or not a message id of the batch, and for
//! answers never recorded. What differs is the consequence: an SQS event
//! source has no checkpoint, so every message not named is done (deleted)
//! and every named one stays for a retry. A function error, or an answer
//! read as a whole-batch failure, deletes nothing.

use super::answer::{FunctionAnswer, FunctionError};
use super::verdict::{PayloadReading, batch_item_failures};

/// What an answer means for the SQS messages it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueBatchVerdict {
    /// Every message was processed: delete them all.
    Success,
    /// The messages at these positions (into the batch, ascending, each
    /// once) failed; every other one was processed.
    ItemFailures { failed: Vec<usize> },
    /// The whole batch failed without a function error (an unusable
    /// partial batch response): delete nothing.
    BatchFailure { reason: String },
    /// The function threw, panicked or timed out: delete nothing.
    FunctionError(FunctionError),
    /// The function never ran: delete nothing.
    NotInvoked(String),
}

impl QueueBatchVerdict {
    /// Judges `answer` to an invocation with the messages whose ids are
    /// `message_ids`, in batch order. With [`PayloadReading::Ignored`]
    /// (no `ReportBatchItemFailures`) any returned answer is success.
    pub fn judge(answer: &FunctionAnswer, message_ids: &[&str], reading: PayloadReading) -> Self {
        match answer {
            FunctionAnswer::Thrown(error) => Self::FunctionError(error.clone()),
            FunctionAnswer::NotInvoked(reason) => Self::NotInvoked(reason.clone()),
            FunctionAnswer::Returned(_) if reading == PayloadReading::Ignored => Self::Success,
            FunctionAnswer::Returned(payload) => {
                match batch_item_failures(payload, message_ids, "a message id") {
                    Err(reason) => Self::BatchFailure { reason },
                    Ok(named) if named.is_empty() => Self::Success,
                    Ok(mut failed) => {
                        failed.sort_unstable();
                        failed.dedup();
                        Self::ItemFailures { failed }
                    }
                }
            }
        }
    }

    /// The positions of the messages that were processed and may be
    /// deleted, out of a batch of `batch_len`.
    pub fn processed(&self, batch_len: usize) -> Vec<usize> {
        match self {
            Self::Success => (0..batch_len).collect(),
            Self::ItemFailures { failed } => (0..batch_len)
                .filter(|index| failed.binary_search(index).is_err())
                .collect(),
            Self::BatchFailure { .. } | Self::FunctionError(_) | Self::NotInvoked(_) => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDS: [&str; 3] = [
        "059f36b4-87a3-44ab-83d2-661975830a7d",
        "2e1424d4-f796-459a-8184-9c92662be6da",
        "a7c5e1f0-7f3b-4b1e-9d2a-3c4b5d6e7f80",
    ];

    fn returned(text: &str) -> FunctionAnswer {
        FunctionAnswer::Returned(text.as_bytes().to_vec())
    }

    fn judge(text: &str) -> QueueBatchVerdict {
        QueueBatchVerdict::judge(&returned(text), &IDS, PayloadReading::BatchItemFailures)
    }

    /// The recorded successes delete every message.
    #[test]
    fn recorded_successes_delete_everything() {
        for text in [
            "",
            "null",
            "{}",
            "[]",
            r#"{"batchItemFailures":[]}"#,
            r#"{"batchItemFailures":null}"#,
        ] {
            let verdict = judge(text);
            assert_eq!(verdict, QueueBatchVerdict::Success, "{text:?}");
            assert_eq!(verdict.processed(3), [0, 1, 2], "{text:?}");
        }
    }

    /// Named messages stay; the others are deleted, whatever the order.
    #[test]
    fn keeps_only_the_named_messages() {
        let text = format!(
            r#"{{"batchItemFailures":[{{"itemIdentifier":"{}"}},{{"itemIdentifier":"{}"}},{{"itemIdentifier":"{}"}}]}}"#,
            IDS[2], IDS[0], IDS[2]
        );
        let verdict = judge(&text);
        assert_eq!(
            verdict,
            QueueBatchVerdict::ItemFailures { failed: vec![0, 2] }
        );
        assert_eq!(verdict.processed(3), [1]);
    }

    /// A doubtful answer deletes nothing: an unknown or empty id, a body
    /// that is not a response, a thrown error.
    #[test]
    fn a_doubtful_answer_deletes_nothing() {
        for text in [
            r#"{"batchItemFailures":[{"itemIdentifier":"not-in-batch"}]}"#,
            r#"{"batchItemFailures":[{"itemIdentifier":""}]}"#,
            r#"{"batchItemFailures":[{"itemIdentifier":null}]}"#,
            r#"{"batchItemFailures":"all"}"#,
            r#""done""#,
            "not json",
        ] {
            let verdict = judge(text);
            assert!(
                matches!(verdict, QueueBatchVerdict::BatchFailure { .. }),
                "{text:?}"
            );
            assert!(verdict.processed(3).is_empty(), "{text:?}");
        }
        let thrown = QueueBatchVerdict::judge(
            &FunctionAnswer::Thrown(FunctionError::new("DlqUnavailable", "queue gone")),
            &IDS,
            PayloadReading::BatchItemFailures,
        );
        assert!(thrown.processed(3).is_empty());
    }

    /// Without ReportBatchItemFailures the payload is not read.
    #[test]
    fn ignores_the_payload_without_report_batch_item_failures() {
        let verdict = QueueBatchVerdict::judge(
            &returned(r#"{"batchItemFailures":[{"itemIdentifier":"x"}]}"#),
            &IDS,
            PayloadReading::Ignored,
        );
        assert_eq!(verdict, QueueBatchVerdict::Success);
    }
}
