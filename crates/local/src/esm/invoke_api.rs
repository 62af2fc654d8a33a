//! [`InvokeApiFunction`]: a function behind the Lambda Invoke API, reached
//! through aws-sdk-lambda — `cargo lambda watch`, `sam local start-lambda`,
//! or anything else that answers
//! `POST {endpoint}/2015-03-31/functions/{name}/invocations`.
//!
//! AWS contract honoured here: a synchronous (`RequestResponse`) invocation
//! answers 200 with the function's payload; a function error is the same
//! 200 with the `X-Amz-Function-Error` header (`Unhandled`) and a payload
//! of `{"errorType", "errorMessage"}`. Any other failure (throttling, an
//! unknown function, an endpoint that does not answer) means the function
//! did not run.

use aws_sdk_lambda::Client;
use aws_sdk_lambda::error::DisplayErrorContext;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use serde_json::Value;

use super::function::{FunctionError, Invocation, StreamFunction};
use streamdlq_emulators::local_sdk_config;

/// Invokes one function through the Lambda Invoke API.
#[derive(Debug, Clone)]
pub struct InvokeApiFunction {
    client: Client,
    function_name: String,
}

impl InvokeApiFunction {
    /// Invokes `function_name` through `client` (its endpoint decides where).
    pub fn new(client: Client, function_name: impl Into<String>) -> Self {
        Self {
            client,
            function_name: function_name.into(),
        }
    }

    /// Invokes `function_name` at a local `endpoint_url` (e.g.
    /// `http://127.0.0.1:9000` for `cargo lambda watch`) with the local
    /// stack's test credentials: local endpoints do not check signatures.
    pub fn local(endpoint_url: &str, function_name: impl Into<String>) -> Self {
        Self::new(Client::new(&local_sdk_config(endpoint_url)), function_name)
    }

    pub fn function_name(&self) -> &str {
        &self.function_name
    }
}

impl StreamFunction for InvokeApiFunction {
    async fn invoke(&self, event: Value) -> Invocation {
        let payload = match serde_json::to_vec(&event) {
            Ok(payload) => payload,
            Err(error) => return Invocation::NotInvoked(format!("unserialisable event: {error}")),
        };
        let answer = self
            .client
            .invoke()
            .function_name(&self.function_name)
            .invocation_type(InvocationType::RequestResponse)
            .payload(Blob::new(payload))
            .send()
            .await;
        let output = match answer {
            Ok(output) => output,
            Err(error) => return Invocation::NotInvoked(DisplayErrorContext(&error).to_string()),
        };
        let body = output.payload.map(Blob::into_inner).unwrap_or_default();
        match output.function_error {
            Some(kind) => Invocation::FunctionError(function_error(kind, &body)),
            None => Invocation::Ok(response(&body)),
        }
    }
}

/// The payload as JSON; `None` when empty. A payload that is not JSON is
/// kept as a string, so the ESM can judge it like any unexpected answer.
fn response(body: &[u8]) -> Option<Value> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    Some(
        serde_json::from_slice(body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned())),
    )
}

/// The error payload's `errorType` and `errorMessage`, whatever is there.
fn function_error(kind: String, body: &[u8]) -> FunctionError {
    let payload: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let field = |name: &str| {
        payload
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    FunctionError {
        kind,
        error_type: field("errorType"),
        message: field("errorMessage"),
    }
}
