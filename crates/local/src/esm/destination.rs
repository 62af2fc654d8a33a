//! The OnFailure port: [`FailureDestination`], where the ESM sends the
//! record of a batch it gave up on ([`DiscardedBatch`]), and
//! [`RecordingDestination`], an in-memory one for tests. The adapters
//! ([`SnsDestination`](super::SnsDestination),
//! [`SqsDestination`](super::SqsDestination),
//! [`S3Destination`](super::S3Destination)) each write the record in the
//! shape AWS gives that kind of destination;
//! [`AnyDestination`](super::AnyDestination) is the one the template names,
//! chosen at run time.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

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

    /// Throttling, 5xx answers and transport faults may pass; anything else
    /// the service answered is a refusal. The same reading for every AWS
    /// service a destination writes to.
    pub fn from_sdk<E>(error: SdkError<E, aws_smithy_runtime_api::http::Response>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let message = DisplayErrorContext(&error).to_string();
        match &error {
            SdkError::ServiceError(context) => {
                let status = context.raw().status().as_u16();
                let throttled = matches!(
                    context.err().code(),
                    Some(
                        "Throttling"
                            | "ThrottlingException"
                            | "ThrottledException"
                            | "SlowDown"
                            | "RequestThrottled"
                    )
                );
                if throttled || status == 429 || status >= 500 {
                    Self::Unavailable(message)
                } else {
                    Self::Rejected(message)
                }
            }
            SdkError::TimeoutError(_)
            | SdkError::DispatchFailure(_)
            | SdkError::ResponseError(_) => Self::Unavailable(message),
            _ => Self::Rejected(message),
        }
    }
}

/// What the ESM hands its OnFailure destination for one discard. Nothing
/// here depends on the kind of stream: the record and the payload are the
/// JSON the source's own writers produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscardedBatch {
    /// The OnFailure record's JSON text: what an SNS topic or SQS queue
    /// receives, unchanged.
    pub record: String,
    /// The event the function was given for the discarded records (the
    /// records of the range, in the source's event shape): what an S3
    /// destination adds to the record as `payload`.
    pub payload: String,
    /// The shard the records came from (part of an S3 object's key).
    pub shard_id: String,
    /// When the batch was discarded, epoch milliseconds (the S3 key's time).
    pub discarded_at_millis: i64,
}

/// An OnFailure destination: an SNS topic, an SQS queue, an S3 bucket, or a
/// test double.
pub trait FailureDestination: Send + Sync {
    /// Delivers one discarded batch in the destination's format.
    fn send(
        &self,
        discarded: &DiscardedBatch,
    ) -> impl Future<Output = Result<(), DestinationError>> + Send;
}

/// Keeps every discarded batch sent to it, in order. Clones share them.
#[derive(Debug, Clone, Default)]
pub struct RecordingDestination {
    batches: Arc<Mutex<Vec<DiscardedBatch>>>,
}

impl RecordingDestination {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every discarded batch received so far.
    pub fn batches(&self) -> Vec<DiscardedBatch> {
        self.batches
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Every OnFailure record received so far, as sent.
    pub fn records(&self) -> Vec<String> {
        self.batches()
            .into_iter()
            .map(|batch| batch.record)
            .collect()
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
    async fn send(&self, discarded: &DiscardedBatch) -> Result<(), DestinationError> {
        self.batches
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(discarded.clone());
        Ok(())
    }
}
