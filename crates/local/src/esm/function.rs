//! The function port: [`StreamFunction`], what the ESM invokes with a
//! Kinesis event, and [`Invocation`], what came back.
//!
//! AWS contract honoured here: a synchronous invocation either returns the
//! function's response payload (possibly empty), or reports a function
//! error (`X-Amz-Function-Error: Unhandled`, with `errorType` and
//! `errorMessage` in the payload), or never reaches the function (throttled,
//! endpoint down). The ESM treats the three differently: only a function
//! error may bisect the batch, and only an invocation that ran counts
//! against `MaximumRetryAttempts`.

use std::fmt;
use std::future::Future;

use serde_json::Value;

/// A Lambda function that an event source mapping invokes synchronously.
pub trait StreamFunction: Send + Sync {
    /// Invokes the function with a Kinesis event (`{"Records": [...]}`).
    fn invoke(&self, event: Value) -> impl Future<Output = Invocation> + Send;
}

/// The outcome of one synchronous invocation.
#[derive(Debug, Clone, PartialEq)]
pub enum Invocation {
    /// The function returned. `None` when the payload was empty; JSON
    /// `null` arrives as `Some(Value::Null)`.
    Ok(Option<Value>),
    /// The function ran and failed: it threw, panicked, or timed out.
    FunctionError(FunctionError),
    /// The function was not run: throttled, or its endpoint unreachable.
    /// The ESM retries without counting an attempt, as AWS does for errors
    /// "before invocation".
    NotInvoked(String),
}

/// A function error as the Invoke API reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionError {
    /// The `X-Amz-Function-Error` header: `Unhandled` for every error a
    /// runtime reports. It becomes the OnFailure record's `functionError`.
    pub kind: String,
    /// `errorType` from the error payload.
    pub error_type: String,
    /// `errorMessage` from the error payload.
    pub message: String,
}

impl FunctionError {
    /// The `X-Amz-Function-Error` value of errors reported by a runtime.
    pub const UNHANDLED: &str = "Unhandled";

    /// An `Unhandled` error with this type and message.
    pub fn unhandled(error_type: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            kind: Self::UNHANDLED.to_owned(),
            error_type: error_type.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FunctionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.kind, self.error_type, self.message)
    }
}

/// A [`StreamFunction`] made of an async closure, for scripted functions in
/// tests and demos.
pub struct FnFunction<C>(C);

impl<C> FnFunction<C> {
    pub fn new(function: C) -> Self {
        Self(function)
    }
}

impl<C> fmt::Debug for FnFunction<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FnFunction")
    }
}

impl<C, Fut> StreamFunction for FnFunction<C>
where
    C: Fn(Value) -> Fut + Send + Sync,
    Fut: Future<Output = Invocation> + Send,
{
    fn invoke(&self, event: Value) -> impl Future<Output = Invocation> + Send {
        (self.0)(event)
    }
}
