//! [`SqsDestination`]: the aws-sdk-sqs adapter of [`FailureDestination`].
//!
//! AWS contract honoured here: an SQS OnFailure destination receives the
//! OnFailure record itself as the message body, unchanged (no SNS envelope,
//! no payload).

use aws_sdk_sqs::Client;

use super::destination::{DestinationError, DiscardedBatch, FailureDestination};

/// Sends OnFailure records to one SQS queue.
#[derive(Debug, Clone)]
pub struct SqsDestination {
    client: Client,
    queue_url: String,
}

impl SqsDestination {
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }

    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }
}

impl FailureDestination for SqsDestination {
    async fn send(&self, discarded: &DiscardedBatch) -> Result<(), DestinationError> {
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(&discarded.record)
            .send()
            .await
            .map(|_| ())
            .map_err(DestinationError::from_sdk)
    }
}
