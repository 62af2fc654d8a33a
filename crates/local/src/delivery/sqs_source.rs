//! An OnFailure queue -> hydrate: Lambda's SQS event source mapping, done
//! locally against the queue in moto.
//!
//! AWS contract honoured here:
//! - Messages are received in batches (`BatchSize`; at most 10 per
//!   ReceiveMessage, which is also AWS's limit without a batching window)
//!   and given to the function synchronously as one `SqsEvent`
//!   ([`sqs_event`](super::sqs_event)).
//! - The answer is read by core's [`QueueBatchVerdict`]: with
//!   `ReportBatchItemFailures`, messages named in `batchItemFailures` stay
//!   in the queue and every other one is deleted; a function error, or an
//!   answer that cannot be trusted (an unknown id, a body that is not a
//!   response), deletes nothing. Without it, any returned answer deletes
//!   the whole batch.
//! - What is not deleted comes back after the queue's visibility timeout,
//!   as on AWS (the mapping never changes visibility itself); the queue's
//!   own redrive policy, if any, then applies.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName};
use streamdlq_core::invocation::{LambdaFunction, PayloadReading, QueueBatchVerdict};
use tokio::sync::watch;
use tracing::Instrument;

use super::sqs_event::sqs_event;
use super::{AsyncDeliveryError, DeliveryHandle, RECEIVE_ERROR_PAUSE, RECEIVE_MAX};

/// Where the event source reads and how it invokes.
#[derive(Debug, Clone)]
pub struct SqsSourceConfig {
    pub queue_url: String,
    /// The queue's ARN, each record's `eventSourceARN`.
    pub queue_arn: String,
    pub region: String,
    /// `BatchSize`: messages per invocation (at most 10 are received at once).
    pub batch_size: u32,
    /// `FunctionResponseTypes: [ReportBatchItemFailures]`.
    pub report_batch_item_failures: bool,
    /// Long-poll wait of each ReceiveMessage (at most 20 s).
    pub wait: Duration,
}

/// What one batch came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqsBatchOutcome {
    /// Messages given to the function.
    pub received: usize,
    /// Messages deleted after the answer.
    pub deleted: usize,
    pub verdict: QueueBatchVerdict,
}

/// The SQS event source of one queue and one function.
#[derive(Clone)]
pub struct SqsEventSource {
    sqs: Client,
    config: Arc<SqsSourceConfig>,
    function: Arc<dyn LambdaFunction>,
}

impl std::fmt::Debug for SqsEventSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqsEventSource")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl SqsEventSource {
    pub fn new(sqs: Client, config: SqsSourceConfig, function: Arc<dyn LambdaFunction>) -> Self {
        Self {
            sqs,
            config: Arc::new(config),
            function,
        }
    }

    /// One long poll and, if messages came, one invocation with them and
    /// the deletes its answer allows. `None` when nothing was received.
    pub async fn poll_once(&self) -> Result<Option<SqsBatchOutcome>, AsyncDeliveryError> {
        let config = &self.config;
        let max = i32::try_from(config.batch_size)
            .unwrap_or(RECEIVE_MAX)
            .clamp(1, RECEIVE_MAX);
        let messages = self
            .sqs
            .receive_message()
            .queue_url(&config.queue_url)
            .max_number_of_messages(max)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .wait_time_seconds(config.wait.as_secs().min(20) as i32)
            .send()
            .await
            .map_err(|error| AsyncDeliveryError::sqs("ReceiveMessage", &config.queue_url, error))?
            .messages
            .unwrap_or_default();
        if messages.is_empty() {
            return Ok(None);
        }
        let span = tracing::info_span!("sqs_batch", messages = messages.len());
        self.invoke(messages).instrument(span).await.map(Some)
    }

    async fn invoke(&self, messages: Vec<Message>) -> Result<SqsBatchOutcome, AsyncDeliveryError> {
        let config = &self.config;
        let event = sqs_event(&messages, &config.queue_arn, &config.region);
        // Strings and maps of strings always serialise.
        let payload = serde_json::to_vec(&event).unwrap_or_default();
        let answer = self.function.invoke(payload).await;
        let ids: Vec<&str> = messages
            .iter()
            .map(|message| message.message_id.as_deref().unwrap_or_default())
            .collect();
        let reading = if config.report_batch_item_failures {
            PayloadReading::BatchItemFailures
        } else {
            PayloadReading::Ignored
        };
        let verdict = QueueBatchVerdict::judge(&answer, &ids, reading);
        let processed: Vec<&Message> = verdict
            .processed(messages.len())
            .into_iter()
            .map(|index| &messages[index])
            .collect();
        match &verdict {
            QueueBatchVerdict::Success => {}
            QueueBatchVerdict::ItemFailures { failed } => tracing::warn!(
                failed = failed.len(),
                "messages reported as failed stay in the queue"
            ),
            other => tracing::warn!(verdict = ?other, "the batch failed; nothing is deleted"),
        }
        self.delete(&processed).await?;
        Ok(SqsBatchOutcome {
            received: messages.len(),
            deleted: processed.len(),
            verdict,
        })
    }

    async fn delete(&self, messages: &[&Message]) -> Result<(), AsyncDeliveryError> {
        let queue_url = &self.config.queue_url;
        for chunk in messages.chunks(RECEIVE_MAX as usize) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(index, message)| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(index.to_string())
                        .receipt_handle(message.receipt_handle.clone().unwrap_or_default())
                        .build()
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|error| AsyncDeliveryError::sqs("DeleteMessageBatch", queue_url, error))?;
            let answer = self
                .sqs
                .delete_message_batch()
                .queue_url(queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|error| AsyncDeliveryError::sqs("DeleteMessageBatch", queue_url, error))?;
            if let Some(failed) = answer.failed.first() {
                // Not deleted: the message comes back and is processed again
                // (at least once, never lost).
                tracing::warn!(
                    code = %failed.code,
                    "a processed message could not be deleted; it will be delivered again"
                );
            }
        }
        Ok(())
    }

    /// Runs the event source in the background until [`DeliveryHandle::stop`].
    pub fn spawn(self) -> DeliveryHandle {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = stopped.changed() => return,
                    polled = self.poll_once() => if let Err(error) = polled {
                        tracing::warn!(error = %error, "SQS event source poll failed; retrying");
                        tokio::time::sleep(RECEIVE_ERROR_PAUSE).await;
                    },
                }
            }
        });
        DeliveryHandle { stop, task }
    }
}
