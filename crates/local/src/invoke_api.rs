//! [`InvokeApiFunction`]: the Lambda Invoke API adapter of core's
//! [`LambdaFunction`] port, over aws-sdk-lambda — a deployed function, or a
//! local one behind `cargo lambda watch`, `sam local start-lambda` or
//! anything else that answers
//! `POST {endpoint}/2015-03-31/functions/{name}/invocations`. The local ESM
//! and `replay --to-function` use it; it lives here rather than in core so
//! that the Lambda binaries built on core do not compile the Lambda SDK.
//!
//! AWS contract honoured here: a synchronous (`RequestResponse`) invocation
//! answers 200 with the function's payload; a function error is the same
//! 200 with the `X-Amz-Function-Error` header (`Unhandled`) and a payload
//! of `{"errorType", "errorMessage"}`. Any other failure (throttling, which
//! the SDK retries first, an unknown function, a payload over 6 MB, an
//! endpoint that does not answer) means the function did not run.

use aws_sdk_lambda::Client;
use aws_sdk_lambda::error::{DisplayErrorContext, SdkError};
use aws_sdk_lambda::operation::invoke::InvokeError;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use futures::future::BoxFuture;
use streamdlq_core::invocation::{FunctionAnswer, FunctionError, LambdaFunction};

use streamdlq_emulators::local_sdk_config;

/// Invokes one function through the Lambda Invoke API.
#[derive(Debug, Clone)]
pub struct InvokeApiFunction {
    client: Client,
    function_name: String,
}

impl InvokeApiFunction {
    /// Invokes `function_name` (a name or an ARN) through `client`: its
    /// endpoint and credentials decide where.
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

    async fn call(&self, event: Vec<u8>) -> FunctionAnswer {
        let answer = self
            .client
            .invoke()
            .function_name(&self.function_name)
            .invocation_type(InvocationType::RequestResponse)
            .payload(Blob::new(event))
            .send()
            .await;
        let output = match answer {
            Ok(output) => output,
            Err(error) => return FunctionAnswer::NotInvoked(self.not_invoked(&error)),
        };
        let body = output.payload.map(Blob::into_inner).unwrap_or_default();
        match output.function_error {
            Some(kind) => FunctionAnswer::Thrown(FunctionError::from_payload(kind, &body)),
            None => FunctionAnswer::Returned(body),
        }
    }

    /// Why the function did not run, in one line.
    fn not_invoked(&self, error: &SdkError<InvokeError>) -> String {
        match error.as_service_error() {
            Some(InvokeError::ResourceNotFoundException(_)) => {
                format!("function {} does not exist", self.function_name)
            }
            Some(
                InvokeError::RequestTooLargeException(_)
                | InvokeError::SerializedRequestEntityTooLargeException(_),
            ) => format!(
                "the event is too large for a synchronous invocation: {}",
                DisplayErrorContext(error)
            ),
            _ => DisplayErrorContext(error).to_string(),
        }
    }
}

impl LambdaFunction for InvokeApiFunction {
    fn name(&self) -> &str {
        &self.function_name
    }

    fn invoke(&self, event: Vec<u8>) -> BoxFuture<'_, FunctionAnswer> {
        Box::pin(self.call(event))
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_lambda::config::retry::RetryConfig;
    use aws_sdk_lambda::operation::invoke::InvokeOutput;
    use aws_sdk_lambda::types::error::ResourceNotFoundException;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    use super::*;

    /// The event goes in synchronously, as is; a thrown error comes back as
    /// a function error with its type and message.
    #[tokio::test]
    async fn invokes_synchronously_and_reports_function_errors() {
        let rule = mock!(Client::invoke)
            .match_requests(|request| {
                request.function_name() == Some("streamdlq-processor")
                    && request.invocation_type() == Some(&InvocationType::RequestResponse)
                    && request.payload().map(|p| p.as_ref()) == Some(b"{\"Records\":[]}".as_slice())
            })
            .then_output(|| {
                InvokeOutput::builder()
                    .status_code(200)
                    .function_error("Unhandled")
                    .payload(Blob::new(
                        r#"{"errorType":"Oops","errorMessage":"database down"}"#,
                    ))
                    .build()
            });
        let client = mock_client!(aws_sdk_lambda, RuleMode::MatchAny, &[&rule]);
        let function = InvokeApiFunction::new(client, "streamdlq-processor");

        let answer = function.invoke(b"{\"Records\":[]}".to_vec()).await;

        assert_eq!(
            answer,
            FunctionAnswer::Thrown(FunctionError::new("Oops", "database down"))
        );
    }

    /// A function that does not exist did not run, and the reason names it.
    #[tokio::test]
    async fn reports_a_missing_function_as_not_invoked() {
        let rule = mock!(Client::invoke).then_error(|| {
            InvokeError::ResourceNotFoundException(
                ResourceNotFoundException::builder()
                    .message("Function not found")
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_lambda, RuleMode::MatchAny, &[&rule], |config| {
            config.retry_config(RetryConfig::disabled())
        });

        let answer = InvokeApiFunction::new(client, "nope")
            .invoke(b"{}".to_vec())
            .await;

        assert_eq!(
            answer,
            FunctionAnswer::NotInvoked("function nope does not exist".to_owned())
        );
    }
}
