//! The OnFailure port: [`FailureDestination`], where the ESM sends the
//! record of a batch it gave up on, and [`RecordingDestination`], an
//! in-memory one for tests.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

/// Why an OnFailure record could not be delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DestinationError {
    /// Throttled, or a network or service fault that may pass.
    #[error("the failure destination is unavailable: {0}")]
    Unavailable(String),
    /// The destination refused the record (missing topic, no permission,
    /// record too large): retrying the same call will not help.
    #[error("the failure destination refused the record: {0}")]
    Rejected(String),
}

impl DestinationError {
    /// Whether the same call may succeed later without changing anything.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

/// An OnFailure destination: an SNS topic, an SQS queue, or a test double.
pub trait FailureDestination: Send + Sync {
    /// Delivers one OnFailure record, exactly as given.
    fn send(
        &self,
        record_json: String,
    ) -> impl Future<Output = Result<(), DestinationError>> + Send;
}

/// Keeps every record sent to it, in order. Clones share the records.
#[derive(Debug, Clone, Default)]
pub struct RecordingDestination {
    records: Arc<Mutex<Vec<String>>>,
}

impl RecordingDestination {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every record received so far, as sent.
    pub fn records(&self) -> Vec<String> {
        self.records
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Every record received so far, parsed.
    pub fn json(&self) -> Vec<serde_json::Value> {
        self.records()
            .iter()
            .map(|text| serde_json::from_str(text).unwrap_or(serde_json::Value::Null))
            .collect()
    }
}

impl FailureDestination for RecordingDestination {
    async fn send(&self, record_json: String) -> Result<(), DestinationError> {
        self.records
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(record_json);
        Ok(())
    }
}
