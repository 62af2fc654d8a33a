//! The port replay invokes a function through: [`FunctionInvoker`], one
//! synchronous (RequestResponse) invocation.

use std::future::Future;

/// What an invocation answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// `X-Amz-Function-Error` (`Unhandled`, …): the function threw.
    pub function_error: Option<String>,
    /// The response payload: the handler's return value, or the error object.
    pub payload: Vec<u8>,
}

/// Why an invocation did not run the function at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvokeError {
    #[error("function {0} does not exist")]
    NotFound(String),
    #[error("the event is too large for a synchronous invocation: {0}")]
    TooLarge(String),
    #[error("throttled: {0}")]
    Throttled(String),
    #[error("{0}")]
    Other(String),
}

impl InvokeError {
    /// Whether the same invocation may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Throttled(_))
    }
}

/// Invokes one function synchronously with a JSON event.
pub trait FunctionInvoker {
    /// The function's name, for messages.
    fn name(&self) -> &str;

    fn invoke(&self, event: String)
    -> impl Future<Output = Result<Invocation, InvokeError>> + Send;
}
