//! [`SnsDestination`]: the aws-sdk-sns adapter of [`FailureDestination`].
//!
//! AWS contract honoured here: an SNS OnFailure destination receives the
//! record as the message body, unchanged; subscribers get it as a JSON
//! string in `Records[].Sns.Message` (or the SQS body's `Message`).

use aws_sdk_sns::Client;
use aws_sdk_sns::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use super::destination::{DestinationError, FailureDestination};

/// Publishes OnFailure records to one SNS topic.
#[derive(Debug, Clone)]
pub struct SnsDestination {
    client: Client,
    topic_arn: String,
}

impl SnsDestination {
    pub fn new(client: Client, topic_arn: impl Into<String>) -> Self {
        Self {
            client,
            topic_arn: topic_arn.into(),
        }
    }

    pub fn topic_arn(&self) -> &str {
        &self.topic_arn
    }
}

impl FailureDestination for SnsDestination {
    async fn send(&self, record_json: String) -> Result<(), DestinationError> {
        self.client
            .publish()
            .topic_arn(&self.topic_arn)
            .message(record_json)
            .send()
            .await
            .map(|_| ())
            .map_err(destination_error)
    }
}

/// Throttling, 5xx answers and transport faults may pass; anything else
/// SNS answered is a refusal.
fn destination_error<E>(error: SdkError<E>) -> DestinationError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let message = DisplayErrorContext(&error).to_string();
    match &error {
        SdkError::ServiceError(context) => {
            let status = context.raw().status().as_u16();
            let throttled = matches!(
                context.err().code(),
                Some("Throttling" | "ThrottlingException" | "ThrottledException")
            );
            if throttled || status == 429 || status >= 500 {
                DestinationError::Unavailable(message)
            } else {
                DestinationError::Rejected(message)
            }
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            DestinationError::Unavailable(message)
        }
        _ => DestinationError::Rejected(message),
    }
}
