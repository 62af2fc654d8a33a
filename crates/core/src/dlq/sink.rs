//! The port through which DLQ messages leave: [`DlqSink`].
//!
//! The hydrate function only sees this trait; the SQS adapter
//! ([`SqsDlqSink`](super::SqsDlqSink)) implements it over aws-sdk-sqs and tests
//! use an in-memory recording sink.

use std::fmt;
use std::future::Future;
use std::ops::AddAssign;

use super::message::{DlqMessage, SQS_MESSAGE_LIMIT};

/// Sends DLQ messages. `Ok` means every message was accepted by the queue.
pub trait DlqSink {
    fn send(
        &self,
        messages: &[DlqMessage],
    ) -> impl Future<Output = Result<SendStats, SinkError>> + Send;
}

/// What sending took.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendStats {
    /// Requests made (SendMessageBatch calls for SQS), retries included.
    pub calls: usize,
    /// Messages accepted.
    pub messages: usize,
    /// Bytes accepted, as the queue counts them (body plus attributes).
    pub bytes: usize,
    /// Messages sent again after the queue failed them.
    pub retries: usize,
}

impl AddAssign for SendStats {
    fn add_assign(&mut self, other: Self) {
        self.calls += other.calls;
        self.messages += other.messages;
        self.bytes += other.bytes;
        self.retries += other.retries;
    }
}

/// One message the queue did not accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedMessage {
    /// The DLQ message id and part index.
    pub id: String,
    pub part: u32,
    /// The queue's error code and message.
    pub code: String,
    pub message: Option<String>,
}

impl fmt::Display for FailedMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} part {}: {}", self.id, self.part, self.code)?;
        if let Some(message) = &self.message {
            write!(f, " ({message})")?;
        }
        Ok(())
    }
}

/// Why messages could not be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SinkError {
    /// The queue refused messages as the sender's fault (e.g. an invalid
    /// attribute or a KMS key it may not use): sending them again as they
    /// are will fail again.
    #[error("the queue rejected {}", summary(.0))]
    Rejected(Vec<FailedMessage>),
    /// The queue kept failing messages on its side through every retry.
    #[error("the queue still fails {} after {attempts} attempts", summary(.entries))]
    RetriesExhausted {
        entries: Vec<FailedMessage>,
        attempts: u32,
    },
    /// A message exceeds what the queue accepts; nothing was sent.
    #[error("message {id} part {part} is {size} bytes, over the {limit}-byte limit")]
    TooLarge {
        id: String,
        part: u32,
        size: usize,
        limit: usize,
    },
    /// The request as a whole failed (after the SDK's own retries).
    #[error("sending to the DLQ failed: {message}")]
    Request { message: String, retryable: bool },
}

impl SinkError {
    /// `TooLarge` for the first message SQS would refuse for its size, so
    /// that a sink can refuse the whole send before any of it goes out.
    pub fn check_sizes(messages: &[DlqMessage]) -> Result<(), Self> {
        match messages.iter().find(|m| m.size() > SQS_MESSAGE_LIMIT) {
            Some(message) => Err(Self::TooLarge {
                id: message.id.clone(),
                part: message.part.index,
                size: message.size(),
                limit: SQS_MESSAGE_LIMIT,
            }),
            None => Ok(()),
        }
    }

    /// Whether sending the same messages later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::RetriesExhausted { .. } => true,
            Self::Request { retryable, .. } => *retryable,
            Self::Rejected(_) | Self::TooLarge { .. } => false,
        }
    }
}

fn summary(entries: &[FailedMessage]) -> String {
    match entries {
        [] => "no messages".to_owned(),
        [only] => format!("message {only}"),
        [first, rest @ ..] => format!("{} messages, first {first}", rest.len() + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(part: u32) -> FailedMessage {
        FailedMessage {
            id: "abc".into(),
            part,
            code: "InvalidParameterValue".into(),
            message: Some("bad attribute".into()),
        }
    }

    /// Errors name the message and the queue's code, and say how many.
    #[test]
    fn errors_name_the_failed_messages() {
        let one = SinkError::Rejected(vec![failed(0)]);
        assert_eq!(
            one.to_string(),
            "the queue rejected message abc part 0: InvalidParameterValue (bad attribute)"
        );
        let two = SinkError::RetriesExhausted {
            entries: vec![failed(0), failed(3)],
            attempts: 5,
        };
        assert!(
            two.to_string()
                .starts_with("the queue still fails 2 messages, first abc part 0")
        );
    }

    /// Only failures that may pass are retryable.
    #[test]
    fn classifies_retryable_errors() {
        assert!(!SinkError::Rejected(vec![failed(0)]).is_retryable());
        assert!(
            SinkError::RetriesExhausted {
                entries: vec![failed(0)],
                attempts: 3
            }
            .is_retryable()
        );
        assert!(
            SinkError::Request {
                message: "timeout".into(),
                retryable: true
            }
            .is_retryable()
        );
    }

    /// Stats of several sends add up field by field.
    #[test]
    fn stats_add_up() {
        let mut total = SendStats::default();
        total += SendStats {
            calls: 1,
            messages: 2,
            bytes: 3,
            retries: 4,
        };
        total += SendStats {
            calls: 10,
            messages: 20,
            bytes: 30,
            retries: 40,
        };
        assert_eq!(
            total,
            SendStats {
                calls: 11,
                messages: 22,
                bytes: 33,
                retries: 44
            }
        );
    }
}
