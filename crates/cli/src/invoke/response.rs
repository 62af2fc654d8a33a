//! What an invocation's answer means for the records it carried, read the
//! way the Kinesis event source mapping reads it.
//!
//! AWS contract honoured here (`ReportBatchItemFailures`): the batch
//! succeeded when the response is empty or null, or when `batchItemFailures`
//! is null, empty or absent (a response without the key counts as success,
//! as for the ESM). Any item failure, or a function error, means the records
//! were not all processed: replay keeps the DLQ message.

use serde_json::Value;

/// The meaning of one invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Processed,
    /// The function threw (`X-Amz-Function-Error`).
    FunctionError {
        kind: String,
        message: String,
    },
    /// The function reported records it did not process.
    ItemFailures {
        /// The first `itemIdentifier`, when it is a string.
        first: Option<String>,
        count: usize,
    },
    /// The answer is not JSON: nothing can be assumed.
    Unreadable,
}

impl Outcome {
    pub fn is_processed(&self) -> bool {
        matches!(self, Self::Processed)
    }

    /// Why the records were not processed, in a few words.
    pub fn describe(&self) -> String {
        match self {
            Self::Processed => "processed".to_owned(),
            Self::FunctionError { kind, message } => format!("function error {kind}: {message}"),
            Self::ItemFailures {
                first: Some(first),
                count,
            } => format!("{count} batch item failure(s), the first at sequence number {first}"),
            Self::ItemFailures { first: None, count } => {
                format!("{count} batch item failure(s) without a usable itemIdentifier")
            }
            Self::Unreadable => "the function's answer is not JSON".to_owned(),
        }
    }
}

/// Reads an invocation's answer.
pub fn interpret(function_error: Option<&str>, payload: &[u8]) -> Outcome {
    if let Some(kind) = function_error {
        let message = serde_json::from_slice::<Value>(payload)
            .ok()
            .and_then(|value| value.get("errorMessage")?.as_str().map(str::to_owned))
            .unwrap_or_default();
        return Outcome::FunctionError {
            kind: kind.to_owned(),
            message,
        };
    }
    if payload.iter().all(u8::is_ascii_whitespace) {
        return Outcome::Processed;
    }
    let Ok(value) = serde_json::from_slice::<Value>(payload) else {
        return Outcome::Unreadable;
    };
    match value.get("batchItemFailures") {
        None | Some(Value::Null) => Outcome::Processed,
        Some(Value::Array(items)) if items.is_empty() => Outcome::Processed,
        Some(Value::Array(items)) => Outcome::ItemFailures {
            first: items
                .first()
                .and_then(|item| item.get("itemIdentifier"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            count: items.len(),
        },
        Some(_) => Outcome::ItemFailures {
            first: None,
            count: 1,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POISON_PILL_RESPONSE: &str =
        include_str!("../../../../events/kinesis-batch-response-poison-pill.json");

    /// Empty, null and empty-list answers are success, as for the ESM.
    #[test]
    fn reads_success_like_the_event_source_mapping() {
        for payload in [
            "",
            "null",
            "{}",
            r#"{"batchItemFailures":[]}"#,
            r#"{"batchItemFailures":null}"#,
        ] {
            assert_eq!(
                interpret(None, payload.as_bytes()),
                Outcome::Processed,
                "{payload}"
            );
        }
    }

    /// The processor's poison-pill answer names the record that failed.
    #[test]
    fn reads_batch_item_failures() {
        let outcome = interpret(None, POISON_PILL_RESPONSE.as_bytes());
        assert!(
            matches!(
                outcome,
                Outcome::ItemFailures {
                    first: Some(_),
                    count: 1
                }
            ),
            "{outcome:?}"
        );
        assert!(!outcome.is_processed());
    }

    /// A thrown error is not processed, with its message kept.
    #[test]
    fn reads_function_errors() {
        let outcome = interpret(
            Some("Unhandled"),
            br#"{"errorType":"Oops","errorMessage":"database down"}"#,
        );
        assert_eq!(
            outcome,
            Outcome::FunctionError {
                kind: "Unhandled".into(),
                message: "database down".into()
            }
        );
        assert_eq!(interpret(None, b"not json"), Outcome::Unreadable);
    }
}
