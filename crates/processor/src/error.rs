//! [`BatchError`]: why an invocation fails as a whole, with the stable
//! `errorType` Lambda reports it under.

use lambda_runtime::Diagnostic;
use streamdlq_core::batch::PoisonAtHead;

/// The invocation's error. Record failures are answered in the response;
/// this is the one case that fails the invocation on purpose: the first
/// record of the batch is poison, and a function error is what makes the
/// event source mapping bisect (`BisectBatchOnFunctionError`) without using
/// up its retries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    #[error(transparent)]
    PoisonAtHead(#[from] PoisonAtHead),
}

impl BatchError {
    /// The `errorType` of the Runtime API error report.
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::PoisonAtHead(_) => PoisonAtHead::ERROR_TYPE,
        }
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
