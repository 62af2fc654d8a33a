//! [`RecordingSink`]: an in-memory [`DlqSink`] for tests of the code that
//! sends DLQ messages. It keeps what it was sent, enforces the SQS message
//! size limit like the real queue, and can be told to fail.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::message::DlqMessage;
use super::sink::{DlqSink, SendStats, SinkError};

/// Records every message sent; clones share the same recording.
#[derive(Debug, Clone, Default)]
pub struct RecordingSink {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    sent: Vec<DlqMessage>,
    calls: usize,
    failures: VecDeque<SinkError>,
}

impl RecordingSink {
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes the next `send` fail with `error`, recording nothing. Queued
    /// errors are used one per call, in order.
    pub fn fail_next(&self, error: SinkError) {
        self.state().failures.push_back(error);
    }

    /// Every message accepted so far, in the order sent.
    pub fn messages(&self) -> Vec<DlqMessage> {
        self.state().sent.clone()
    }

    /// The bodies of every message accepted so far, in the order sent.
    pub fn bodies(&self) -> Vec<String> {
        self.state().sent.iter().map(|m| m.body.clone()).collect()
    }

    /// How many times `send` was called, failed calls included.
    pub fn calls(&self) -> usize {
        self.state().calls
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A test that panicked while holding the lock leaves usable data.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl DlqSink for RecordingSink {
    async fn send(&self, messages: &[DlqMessage]) -> Result<SendStats, SinkError> {
        let mut state = self.state();
        state.calls += 1;
        if let Some(error) = state.failures.pop_front() {
            return Err(error);
        }
        SinkError::check_sizes(messages)?;
        state.sent.extend_from_slice(messages);
        Ok(SendStats {
            calls: 1,
            messages: messages.len(),
            bytes: messages.iter().map(DlqMessage::size).sum(),
            retries: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dlq::Part;
    use crate::dlq::message::SQS_MESSAGE_LIMIT;

    fn message(body: &str) -> DlqMessage {
        DlqMessage {
            id: "id".into(),
            part: Part { index: 0, count: 1 },
            body: body.into(),
            attributes: Vec::new(),
        }
    }

    /// Sent messages are kept in order and counted.
    #[tokio::test]
    async fn records_what_it_is_sent() {
        let sink = RecordingSink::new();
        let stats = sink
            .send(&[message("a"), message("bc")])
            .await
            .expect("sent");
        assert_eq!(stats.messages, 2);
        assert_eq!(stats.bytes, 3);
        sink.send(&[message("d")]).await.expect("sent");
        assert_eq!(sink.bodies(), ["a", "bc", "d"]);
        assert_eq!(sink.calls(), 2);
    }

    /// A queued failure fails exactly one call and records nothing.
    #[tokio::test]
    async fn fails_the_next_call_when_told() {
        let sink = RecordingSink::new();
        sink.fail_next(SinkError::Request {
            message: "down".into(),
            retryable: true,
        });
        let error = sink.send(&[message("a")]).await.expect_err("fails");
        assert!(error.is_retryable());
        assert!(sink.messages().is_empty());
        sink.send(&[message("a")]).await.expect("then succeeds");
        assert_eq!(sink.bodies(), ["a"]);
    }

    /// Messages over the SQS limit are refused like the real queue does.
    #[tokio::test]
    async fn refuses_messages_over_the_sqs_limit() {
        let sink = RecordingSink::new();
        let big = message(&"x".repeat(SQS_MESSAGE_LIMIT + 1));
        assert!(matches!(
            sink.send(&[big]).await,
            Err(SinkError::TooLarge { .. })
        ));
        assert!(sink.messages().is_empty());
    }
}
