//! [`FunctionAnswer`]: what one synchronous invocation gave back, and
//! [`FunctionError`], a function error as the Invoke API reports it.
//!
//! AWS contract honoured here: a synchronous (`RequestResponse`) invocation
//! either returns the function's payload (possibly zero bytes), or reports a
//! function error (`X-Amz-Function-Error: Unhandled`, with `errorType` and
//! `errorMessage` in the payload), or never reaches the function (throttled,
//! unknown function, endpoint down). The ESM treats the three differently:
//! only a function error may bisect a batch, and only an invocation that ran
//! counts against `MaximumRetryAttempts`.

use std::fmt;

/// The outcome of one synchronous invocation, before anyone judged it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FunctionAnswer {
    /// The function returned: the response payload exactly as it came back
    /// (zero bytes when the function returned nothing).
    Returned(Vec<u8>),
    /// The function ran and failed: it threw, panicked or timed out.
    Thrown(FunctionError),
    /// The function was not run: throttled, unknown, or its endpoint
    /// unreachable. Retrying may help; nothing was processed.
    NotInvoked(String),
}

impl FunctionAnswer {
    /// A function that returned `value`, serialised as the runtime does.
    pub fn json(value: &serde_json::Value) -> Self {
        Self::Returned(value.to_string().into_bytes())
    }
}

/// A function error as the Invoke API reports it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} {error_type}: {error_message}")]
pub struct FunctionError {
    /// The `X-Amz-Function-Error` header: `Unhandled` for every error a
    /// runtime reports. It becomes the OnFailure record's `functionError`.
    pub kind: String,
    /// `errorType` from the error payload.
    pub error_type: String,
    /// `errorMessage` from the error payload.
    pub error_message: String,
}

impl FunctionError {
    /// The `X-Amz-Function-Error` value of errors reported by a runtime.
    pub const UNHANDLED: &str = "Unhandled";

    /// An `Unhandled` error with this type and message, as a runtime
    /// reports a handler's error.
    pub fn new(error_type: impl Into<String>, error_message: impl Into<String>) -> Self {
        Self {
            kind: Self::UNHANDLED.to_owned(),
            error_type: error_type.into(),
            error_message: error_message.into(),
        }
    }

    /// The error payload's `errorType` and `errorMessage`, whatever is
    /// there, under the header value `kind`.
    pub fn from_payload(kind: impl Into<String>, payload: &[u8]) -> Self {
        let payload: serde_json::Value =
            serde_json::from_slice(payload).unwrap_or(serde_json::Value::Null);
        let field = |name: &str| {
            payload
                .get(name)
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        Self {
            kind: kind.into(),
            error_type: field("errorType"),
            error_message: field("errorMessage"),
        }
    }

    /// The error as the Invoke API's payload: `{"errorType", "errorMessage"}`.
    pub fn payload(&self) -> serde_json::Value {
        serde_json::json!({"errorType": self.error_type, "errorMessage": self.error_message})
    }
}

impl fmt::Display for FunctionAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Returned(payload) => write!(f, "returned {} bytes", payload.len()),
            Self::Thrown(error) => write!(f, "function error {error}"),
            Self::NotInvoked(reason) => write!(f, "not invoked: {reason}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Invoke API's error payload becomes type and message; a payload
    /// that is not the usual object leaves them empty rather than failing.
    #[test]
    fn reads_the_error_payload_of_a_function_error() {
        let error = FunctionError::from_payload(
            "Unhandled",
            br#"{"errorType":"PoisonPill","errorMessage":"record 3"}"#,
        );
        assert_eq!(error, FunctionError::new("PoisonPill", "record 3"));
        let odd = FunctionError::from_payload("Handled", b"not json");
        assert_eq!(
            (odd.kind.as_str(), odd.error_type.as_str()),
            ("Handled", "")
        );
    }
}
