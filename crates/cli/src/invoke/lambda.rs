//! [`LambdaInvoker`]: the aws-sdk-lambda adapter of [`FunctionInvoker`].
//!
//! AWS contract honoured here: `Invoke` with `RequestResponse` runs the
//! function once and answers its return value; a function that threw is a
//! 200 answer with `X-Amz-Function-Error` set and the error object as the
//! payload. The SDK retries throttling (`TooManyRequestsException`) first.

use aws_sdk_lambda::Client;
use aws_sdk_lambda::error::SdkError;
use aws_sdk_lambda::operation::invoke::InvokeError as SdkInvokeError;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;

use super::port::{FunctionInvoker, Invocation, InvokeError};
use crate::aws_error;

/// Invokes a deployed Lambda function by name or ARN.
#[derive(Debug, Clone)]
pub struct LambdaInvoker {
    client: Client,
    function: String,
}

impl LambdaInvoker {
    pub fn new(client: Client, function: impl Into<String>) -> Self {
        Self {
            client,
            function: function.into(),
        }
    }
}

impl FunctionInvoker for LambdaInvoker {
    fn name(&self) -> &str {
        &self.function
    }

    async fn invoke(&self, event: String) -> Result<Invocation, InvokeError> {
        let output = self
            .client
            .invoke()
            .function_name(&self.function)
            .invocation_type(InvocationType::RequestResponse)
            .payload(Blob::new(event))
            .send()
            .await
            .map_err(|error| self.error(error))?;
        Ok(Invocation {
            function_error: output.function_error().map(str::to_owned),
            payload: output
                .payload()
                .map(|payload| payload.as_ref().to_vec())
                .unwrap_or_default(),
        })
    }
}

impl LambdaInvoker {
    fn error(&self, error: SdkError<SdkInvokeError>) -> InvokeError {
        let text = aws_error::describe(&error);
        match error.as_service_error() {
            Some(SdkInvokeError::ResourceNotFoundException(_)) => {
                InvokeError::NotFound(self.function.clone())
            }
            Some(
                SdkInvokeError::RequestTooLargeException(_)
                | SdkInvokeError::SerializedRequestEntityTooLargeException(_),
            ) => InvokeError::TooLarge(text),
            Some(SdkInvokeError::TooManyRequestsException(_)) => InvokeError::Throttled(text),
            _ => InvokeError::Other(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_lambda::config::retry::RetryConfig;
    use aws_sdk_lambda::operation::invoke::InvokeOutput;
    use aws_sdk_lambda::types::error::ResourceNotFoundException;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    use super::*;
    use crate::invoke::{Outcome, interpret};

    /// The event goes in synchronously, as is; a thrown error comes back as
    /// a function error with its message, which replay reads as not done.
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
        let invoker = LambdaInvoker::new(client, "streamdlq-processor");
        let invocation = invoker
            .invoke("{\"Records\":[]}".to_owned())
            .await
            .expect("invoked");
        assert_eq!(
            interpret(invocation.function_error.as_deref(), &invocation.payload),
            Outcome::FunctionError {
                kind: "Unhandled".into(),
                message: "database down".into()
            }
        );
    }

    /// A function that does not exist is a clear error naming it.
    #[tokio::test]
    async fn reports_a_missing_function() {
        let rule = mock!(Client::invoke).then_error(|| {
            SdkInvokeError::ResourceNotFoundException(
                ResourceNotFoundException::builder()
                    .message("Function not found")
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_lambda, RuleMode::MatchAny, &[&rule], |config| {
            config.retry_config(RetryConfig::disabled())
        });
        let error = LambdaInvoker::new(client, "nope")
            .invoke("{}".to_owned())
            .await
            .expect_err("missing");
        assert_eq!(error.to_string(), "function nope does not exist");
    }
}
