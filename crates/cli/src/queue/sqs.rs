//! [`DlqQueue`]: the SQS calls the commands make on the DLQ.
//!
//! AWS contract honoured here:
//! - ReceiveMessage hides what it returns for the visibility timeout;
//!   ChangeMessageVisibility to 0 makes a message visible again at once.
//!   Nothing else about a message changes, except its receive count.
//! - Batch calls (ChangeMessageVisibilityBatch, DeleteMessageBatch) take at
//!   most 10 entries, and can fail some entries of a call that succeeded.
//! - A message is deleted by its latest receipt handle; an older handle may
//!   be accepted without deleting anything, so the scan keeps the latest.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::anyhow;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::SdkError;
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry,
    MessageAttributeValue, MessageSystemAttributeName, QueueAttributeName,
    SendMessageBatchRequestEntry,
};

use crate::aws_error;

/// SQS batch calls take at most this many entries.
pub const SQS_BATCH_ENTRIES: usize = 10;

/// One received message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueMessage {
    pub message_id: String,
    pub receipt_handle: String,
    pub body: String,
    /// String message attributes (`streamdlq.status`, …).
    pub attributes: BTreeMap<String, String>,
    /// When SQS received the message (`SentTimestamp`, epoch milliseconds):
    /// its retention period counts from then.
    pub sent_millis: Option<i64>,
}

/// How many messages the queue holds (SQS's approximate counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueDepth {
    /// `ApproximateNumberOfMessages`: visible, waiting to be received.
    pub visible: u64,
    /// `ApproximateNumberOfMessagesNotVisible`: received, not deleted.
    pub in_flight: u64,
}

/// A message that a batch call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedEntry {
    pub receipt_handle: String,
    pub reason: String,
}

/// A message that SendMessageBatch did not take, by the id of the original.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsentMessage {
    pub message_id: String,
    pub reason: String,
}

/// The DLQ, by URL.
#[derive(Debug, Clone)]
pub struct DlqQueue {
    client: Client,
    url: String,
}

impl DlqQueue {
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The queue's depth; also the check that the queue exists.
    pub async fn depth(&self) -> anyhow::Result<QueueDepth> {
        let output = self
            .client
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .map_err(|error| self.error("cannot read the attributes of", error))?;
        let count = |name: QueueAttributeName| {
            output
                .attributes()
                .and_then(|attributes| attributes.get(&name))
                .and_then(|value| value.parse().ok())
                .unwrap_or(0)
        };
        Ok(QueueDepth {
            visible: count(QueueAttributeName::ApproximateNumberOfMessages),
            in_flight: count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
        })
    }

    /// How long the queue keeps a message (`MessageRetentionPeriod`) before
    /// SQS drops it, read or not.
    pub async fn retention(&self) -> anyhow::Result<Option<Duration>> {
        let output = self
            .client
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(QueueAttributeName::MessageRetentionPeriod)
            .send()
            .await
            .map_err(|error| self.error("cannot read the attributes of", error))?;
        Ok(output
            .attributes()
            .and_then(|attributes| attributes.get(&QueueAttributeName::MessageRetentionPeriod))
            .and_then(|value| value.parse().ok())
            .map(Duration::from_secs))
    }

    /// Sends copies of messages, bodies and string attributes as received,
    /// in batches of at most 10 entries and [`SQS_BATCH_BYTES`]. Returns the
    /// messages SQS did not take.
    pub async fn send(&self, messages: &[&QueueMessage]) -> anyhow::Result<Vec<UnsentMessage>> {
        let mut failed = Vec::new();
        for batch in send_batches(messages) {
            let entries = batch
                .iter()
                .enumerate()
                .map(|(n, message)| {
                    let attributes = message
                        .attributes
                        .iter()
                        .map(|(name, value)| {
                            MessageAttributeValue::builder()
                                .data_type("String")
                                .string_value(value)
                                .build()
                                .map(|value| (name.clone(), value))
                        })
                        .collect::<Result<_, _>>()
                        .map_err(|error| anyhow!(error))?;
                    SendMessageBatchRequestEntry::builder()
                        .id(n.to_string())
                        .message_body(&message.body)
                        .set_message_attributes(Some(attributes))
                        .build()
                        .map_err(|error| anyhow!(error))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let output = self
                .client
                .send_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|error| self.error("cannot send to", error))?;
            failed.extend(output.failed().iter().map(|entry| {
                let message_id = entry
                    .id()
                    .parse::<usize>()
                    .ok()
                    .and_then(|n| batch.get(n))
                    .map_or_else(|| entry.id().to_owned(), |m| m.message_id.clone());
                UnsentMessage {
                    message_id,
                    reason: entry.message().unwrap_or(entry.code()).to_owned(),
                }
            }));
        }
        Ok(failed)
    }

    /// Receives up to 10 messages, hidden for `visibility`, waiting up to
    /// `wait` for one (long polling asks every SQS server, so an empty
    /// answer means the queue has no visible message).
    pub async fn receive(
        &self,
        visibility: Duration,
        wait: Duration,
    ) -> anyhow::Result<Vec<QueueMessage>> {
        let output = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(SQS_BATCH_ENTRIES as i32)
            .visibility_timeout(seconds(visibility))
            .wait_time_seconds(seconds(wait).min(20))
            .message_attribute_names("All")
            .message_system_attribute_names(MessageSystemAttributeName::SentTimestamp)
            .send()
            .await
            .map_err(|error| self.error("cannot receive from", error))?;
        Ok(output
            .messages
            .unwrap_or_default()
            .into_iter()
            .filter_map(|message| {
                let attributes = message
                    .message_attributes
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|(name, value)| Some((name, value.string_value?)))
                    .collect();
                let sent_millis = message
                    .attributes
                    .as_ref()
                    .and_then(|system| system.get(&MessageSystemAttributeName::SentTimestamp))
                    .and_then(|millis| millis.parse().ok());
                Some(QueueMessage {
                    message_id: message.message_id?,
                    receipt_handle: message.receipt_handle?,
                    body: message.body.unwrap_or_default(),
                    attributes,
                    sent_millis,
                })
            })
            .collect())
    }

    /// Makes messages visible again at once (visibility timeout 0).
    /// Returns the entries SQS failed; those become visible when their
    /// timeout ends instead.
    pub async fn release(&self, receipt_handles: &[&str]) -> anyhow::Result<Vec<FailedEntry>> {
        let mut failed = Vec::new();
        for chunk in receipt_handles.chunks(SQS_BATCH_ENTRIES) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(n, handle)| {
                    ChangeMessageVisibilityBatchRequestEntry::builder()
                        .id(n.to_string())
                        .receipt_handle(*handle)
                        .visibility_timeout(0)
                        .build()
                        .map_err(|error| anyhow!(error))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let output = self
                .client
                .change_message_visibility_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|error| self.error("cannot release messages of", error))?;
            failed.extend(output.failed().iter().map(|entry| FailedEntry {
                receipt_handle: handle_of(chunk, entry.id()),
                reason: entry.message().unwrap_or(entry.code()).to_owned(),
            }));
        }
        Ok(failed)
    }

    /// Deletes messages. Returns the entries SQS failed: those stay in the
    /// queue.
    pub async fn delete(&self, receipt_handles: &[&str]) -> anyhow::Result<Vec<FailedEntry>> {
        let mut failed = Vec::new();
        for chunk in receipt_handles.chunks(SQS_BATCH_ENTRIES) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(n, handle)| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(n.to_string())
                        .receipt_handle(*handle)
                        .build()
                        .map_err(|error| anyhow!(error))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let output = self
                .client
                .delete_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|error| self.error("cannot delete messages of", error))?;
            failed.extend(output.failed().iter().map(|entry| FailedEntry {
                receipt_handle: handle_of(chunk, entry.id()),
                reason: entry.message().unwrap_or(entry.code()).to_owned(),
            }));
        }
        Ok(failed)
    }

    /// A one-line error; a missing queue says what to check.
    fn error<E, R>(&self, doing: &str, error: SdkError<E, R>) -> anyhow::Error
    where
        E: aws_sdk_sqs::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        let missing = matches!(
            aws_error::code(&error),
            Some("AWS.SimpleQueueService.NonExistentQueue" | "QueueDoesNotExist")
        );
        if missing {
            return anyhow!(
                "queue {} does not exist: check --queue-url or run `streamdlq local up`",
                self.url
            );
        }
        let text = aws_error::describe(&error);
        anyhow!(text).context(format!("{doing} queue {}", self.url))
    }
}

/// SendMessageBatch takes at most 1 MiB in all, bodies and attributes.
pub const SQS_BATCH_BYTES: usize = 1024 * 1024;

/// Messages in SendMessageBatch calls: at most 10 and [`SQS_BATCH_BYTES`]
/// each (a message is at most 1 MiB itself, so each fits in a batch).
fn send_batches<'a>(messages: &[&'a QueueMessage]) -> Vec<Vec<&'a QueueMessage>> {
    let size = |message: &QueueMessage| {
        message.body.len()
            + message
                .attributes
                .iter()
                .map(|(name, value)| name.len() + value.len() + "String".len())
                .sum::<usize>()
    };
    let mut batches: Vec<Vec<&QueueMessage>> = Vec::new();
    let mut bytes = 0;
    for &message in messages {
        let message_bytes = size(message);
        let full = batches.last().is_none_or(|batch| {
            batch.len() == SQS_BATCH_ENTRIES || bytes + message_bytes > SQS_BATCH_BYTES
        });
        if full {
            batches.push(Vec::new());
            bytes = 0;
        }
        bytes += message_bytes;
        if let Some(batch) = batches.last_mut() {
            batch.push(message);
        }
    }
    batches
}

fn handle_of(chunk: &[&str], id: &str) -> String {
    id.parse::<usize>()
        .ok()
        .and_then(|n| chunk.get(n))
        .map_or_else(|| id.to_owned(), |handle| (*handle).to_owned())
}

fn seconds(duration: Duration) -> i32 {
    i32::try_from(duration.as_secs()).unwrap_or(i32::MAX)
}
