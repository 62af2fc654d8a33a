//! [`BatchError`]: why an invocation fails as a whole, with the stable
//! `errorType` Lambda reports it under.

use lambda_runtime::Diagnostic;
use streamdlq_core::batch::{KinesisBatch, PoisonAtHead};

/// The invocation's error. Record failures are answered in the response;
/// these fail the invocation: on purpose when the first record of the batch
/// is poison (a function error is what makes the event source mapping
/// bisect, `BisectBatchOnFunctionError`, without using up its retries), and
/// when the event itself cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    #[error(transparent)]
    PoisonAtHead(#[from] PoisonAtHead),
    /// The event is not a Kinesis event the batch can read. The message is
    /// the one lambda_runtime gives when it reads the payload itself.
    #[error("{0}")]
    UnreadableEvent(String),
    /// The handler was run without [`EventBodyLayer`](crate::EventBodyLayer)
    /// in front of it, so it has no event.
    #[error("no event body: run the handler behind processor::EventBodyLayer")]
    NoEventBody,
}

impl BatchError {
    /// The `errorType` lambda_runtime reports an unreadable payload with.
    pub const UNREADABLE_EVENT_TYPE: &'static str =
        "&lambda_runtime::deserializer::DeserializeError";

    /// The `errorType` of the Runtime API error report.
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::PoisonAtHead(_) => PoisonAtHead::ERROR_TYPE,
            Self::UnreadableEvent(_) => Self::UNREADABLE_EVENT_TYPE,
            Self::NoEventBody => "StreamDlq.NoEventBody",
        }
    }

    /// The error for an event that `KinesisBatch::from_json` refused, worded
    /// as lambda_runtime words it: the event is read once more, through
    /// `serde_path_to_error`, to name the path of the bad value. Only a
    /// failing event pays for that second reading.
    pub fn unreadable_event(body: &[u8]) -> Self {
        const CONTEXT: &str =
            "failed to deserialize the incoming data into the function's payload type";
        let deserializer = &mut serde_json::Deserializer::from_slice(body);
        let message = match serde_path_to_error::deserialize::<_, KinesisBatch>(deserializer) {
            Err(error) => {
                let path = error.path().to_string();
                if path == "." {
                    format!("{CONTEXT}: {}\n", error.inner())
                } else {
                    format!("{CONTEXT}: [{path}] {}\n", error.inner())
                }
            }
            Ok(_) => format!("{CONTEXT}\n"),
        };
        Self::UnreadableEvent(message)
    }
}

impl From<BatchError> for Diagnostic {
    fn from(error: BatchError) -> Self {
        Self {
            error_type: error.error_type().to_owned(),
            error_message: error.to_string(),
        }
    }
}
