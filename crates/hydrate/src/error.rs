//! Why an invocation of the hydrate function fails.
//!
//! Two things fail an invocation: a failure that did not reach the DLQ
//! (`DlqWriteFailed`; for an SQS event only when a message cannot be named
//! in the partial batch response), and a payload of no known kind
//! (`UnsupportedEvent`).
//! Lambda then retries the event (asynchronous invocations are retried
//! twice), and when retries run out the function's own OnFailure
//! destination keeps it. Everything else, an unreadable stream included,
//! ends up in the DLQ with a status that says so.

use lambda_runtime::Diagnostic;
use streamdlq_core::dlq::BuildError;
use streamdlq_core::{HydrationStatus, SinkError};

use crate::event::EventError;
use crate::object_source::ObjectReadError;

/// Why the DLQ messages of one failure were not all written.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The messages could not be built (a configuration or programming
    /// error: the same input fails the same way).
    #[error("building the DLQ messages failed: {0}")]
    Build(#[from] BuildError),
    /// The queue did not accept every message.
    #[error("writing to the DLQ failed: {0}")]
    Send(#[from] SinkError),
    /// The S3 object a notification names could not be read, and may be
    /// later: the notification must be retried.
    #[error("reading the S3 object failed: {0}")]
    ObjectRead(#[from] ObjectReadError),
}

impl DeliveryError {
    /// Whether writing the same failure again may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Build(_) => false,
            Self::Send(error) => error.is_retryable(),
            Self::ObjectRead(error) => error.is_retryable(),
        }
    }
}

/// One failure that did not reach the DLQ.
#[derive(Debug, thiserror::Error)]
#[error("failure {id} ({status}): {error}")]
pub struct Undelivered {
    /// The DLQ message id the failure would have had.
    pub id: String,
    pub status: HydrationStatus,
    #[source]
    pub error: DeliveryError,
}

/// Why the invocation failed.
#[derive(Debug, thiserror::Error)]
pub enum HydrateError {
    /// Some failures of the event are not in the DLQ. Every record of the
    /// event was tried; the others were written.
    #[error(
        "{} of {total} failure record(s) did not reach the DLQ, so the event must be retried: {}",
        undelivered.len(),
        list(undelivered)
    )]
    DlqWriteFailed {
        /// Failure records in the event.
        total: usize,
        undelivered: Vec<Undelivered>,
    },
    /// The payload is not an event this function reads (SNS, SQS or S3;
    /// a Kinesis event sent by mistake, a JSON string, …): nothing in it can be hydrated,
    /// and retrying would fail the same way. The function's own OnFailure
    /// destination keeps the event.
    #[error("unsupported event: {0}")]
    UnsupportedEvent(#[from] EventError),
}

impl HydrateError {
    /// The Lambda `errorType`: stable, for alarms and metric filters.
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::DlqWriteFailed { .. } => "DlqWriteFailed",
            Self::UnsupportedEvent(_) => "UnsupportedEvent",
        }
    }

    /// Whether retrying the invocation may succeed: true unless every
    /// undelivered failure would fail the same way again.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::DlqWriteFailed { undelivered, .. } => {
                undelivered.iter().any(|u| u.error.is_retryable())
            }
            Self::UnsupportedEvent(_) => false,
        }
    }
}

impl From<HydrateError> for Diagnostic {
    fn from(error: HydrateError) -> Self {
        Self {
            error_type: error.error_type().to_owned(),
            error_message: error.to_string(),
        }
    }
}

fn list(undelivered: &[Undelivered]) -> String {
    undelivered
        .iter()
        .map(Undelivered::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn undelivered(id: &str, error: SinkError) -> Undelivered {
        Undelivered {
            id: id.to_owned(),
            status: HydrationStatus::Complete,
            error: DeliveryError::Send(error),
        }
    }

    /// The Lambda error carries a stable type and names every failure lost.
    #[test]
    fn reports_a_stable_error_type_and_every_undelivered_failure() {
        let error = HydrateError::DlqWriteFailed {
            total: 3,
            undelivered: vec![
                undelivered(
                    "a1",
                    SinkError::Request {
                        message: "SendMessageBatch: connection refused".into(),
                        retryable: true,
                    },
                ),
                undelivered(
                    "b2",
                    SinkError::Request {
                        message: "SendMessageBatch: QueueDoesNotExist".into(),
                        retryable: false,
                    },
                ),
            ],
        };
        assert!(error.is_retryable());
        let diagnostic = Diagnostic::from(error);
        assert_eq!(diagnostic.error_type, "DlqWriteFailed");
        assert!(
            diagnostic
                .error_message
                .starts_with("2 of 3 failure record(s) did not reach the DLQ"),
            "{}",
            diagnostic.error_message
        );
        assert!(diagnostic.error_message.contains("failure a1 (complete)"));
        assert!(diagnostic.error_message.contains("connection refused"));
        assert!(diagnostic.error_message.contains("failure b2 (complete)"));
    }

    /// Errors that would repeat make the whole error not retryable.
    #[test]
    fn is_not_retryable_when_every_cause_would_repeat() {
        let error = HydrateError::DlqWriteFailed {
            total: 1,
            undelivered: vec![undelivered("a1", SinkError::Rejected(Vec::new()))],
        };
        assert!(!error.is_retryable());
    }
}
