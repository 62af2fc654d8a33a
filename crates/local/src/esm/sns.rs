//! [`SnsDestination`]: the aws-sdk-sns adapter of [`FailureDestination`].
//!
//! AWS contract honoured here: an SNS OnFailure destination receives the
//! record as the message body, unchanged; subscribers get it as a JSON
//! string in `Records[].Sns.Message` (or the SQS body's `Message`).

use aws_sdk_sns::Client;

use super::destination::{DestinationError, DiscardedBatch, FailureDestination};

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
    async fn send(&self, discarded: &DiscardedBatch) -> Result<(), DestinationError> {
        self.client
            .publish()
            .topic_arn(&self.topic_arn)
            .message(&discarded.record)
            .send()
            .await
            .map(|_| ())
            .map_err(DestinationError::from_sdk)
    }
}
