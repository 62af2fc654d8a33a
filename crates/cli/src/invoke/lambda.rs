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
