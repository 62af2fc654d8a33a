//! [`SourceQueue`]: the queue the rescue drains, and the SQS calls it makes
//! on it, counted for the summary and the benchmark.
//!
//! AWS contract honoured here:
//! - ReceiveMessage hides what it returns for the visibility timeout; a
//!   message whose timeout runs out is delivered again (to this run or to
//!   another reader), so the run extends the timeout of the messages it
//!   holds while a long range is read (ChangeMessageVisibilityBatch; the
//!   new timeout counts from the call, at most 12 hours from the receive).
//! - A message is deleted or released by its latest receipt handle.
//! - Batch calls take at most 10 entries and can fail single entries.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::anyhow;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{ChangeMessageVisibilityBatchRequestEntry, QueueAttributeName};

use crate::aws_error;
use crate::queue::sqs::SQS_BATCH_ENTRIES;
use crate::queue::{DlqQueue, FailedEntry, QueueMessage};

/// How long a receive waits for a message: long polling asks every SQS
/// server, so an empty answer means the queue has no visible message.
const RECEIVE_WAIT: Duration = Duration::from_secs(1);

/// The queue holding metadata-only OnFailure records.
#[derive(Debug)]
pub struct SourceQueue {
    queue: DlqQueue,
    client: Client,
    calls: SourceCalls,
}

/// SQS calls made on the source queue.
#[derive(Debug, Default)]
struct SourceCalls {
    receive: AtomicUsize,
    delete: AtomicUsize,
    visibility: AtomicUsize,
}

/// How many calls of each kind were made on the source queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SourceCallCounts {
    pub receive_message: usize,
    pub delete_message_batch: usize,
    /// Extensions and releases.
    pub change_message_visibility_batch: usize,
}

impl SourceQueue {
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        Self {
            queue: DlqQueue::new(client.clone(), url),
            client,
            calls: SourceCalls::default(),
        }
    }

    pub fn url(&self) -> &str {
        self.queue.url()
    }

    /// How many messages wait in the queue (SQS's approximate count); also
    /// the check that the queue exists, with an error that names the flag.
    pub async fn visible(&self) -> anyhow::Result<u64> {
        let output = self
            .client
            .get_queue_attributes()
            .queue_url(self.url())
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await
            .map_err(|error| {
                let missing = matches!(
                    aws_error::code(&error),
                    Some("AWS.SimpleQueueService.NonExistentQueue" | "QueueDoesNotExist")
                );
                if missing {
                    anyhow!(
                        "source queue {} does not exist: check --from-queue",
                        self.url()
                    )
                } else {
                    anyhow!(aws_error::describe(&error)).context(format!(
                        "cannot read the attributes of queue {}",
                        self.url()
                    ))
                }
            })?;
        Ok(output
            .attributes()
            .and_then(|attributes| attributes.get(&QueueAttributeName::ApproximateNumberOfMessages))
            .and_then(|value| value.parse().ok())
            .unwrap_or(0))
    }

    /// Up to 10 messages, hidden for `visibility`.
    pub async fn receive(&self, visibility: Duration) -> anyhow::Result<Vec<QueueMessage>> {
        self.calls.receive.fetch_add(1, Ordering::Relaxed);
        self.queue.receive(visibility, RECEIVE_WAIT).await
    }

    /// Deletes messages; returns those SQS did not delete.
    pub async fn delete(&self, handles: &[&str]) -> anyhow::Result<Vec<FailedEntry>> {
        self.calls
            .delete
            .fetch_add(handles.len().div_ceil(SQS_BATCH_ENTRIES), Ordering::Relaxed);
        self.queue.delete(handles).await
    }

    /// Makes messages visible again at once; returns those SQS failed
    /// (they reappear when their timeout ends instead).
    pub async fn release(&self, handles: &[&str]) -> anyhow::Result<Vec<FailedEntry>> {
        self.calls
            .visibility
            .fetch_add(handles.len().div_ceil(SQS_BATCH_ENTRIES), Ordering::Relaxed);
        self.queue.release(handles).await
    }

    /// Keeps messages hidden for `visibility` from now; returns those SQS
    /// failed (a message deleted or received again meanwhile).
    pub async fn extend(
        &self,
        handles: &[&str],
        visibility: Duration,
    ) -> anyhow::Result<Vec<FailedEntry>> {
        let seconds = i32::try_from(visibility.as_secs()).unwrap_or(i32::MAX);
        let mut failed = Vec::new();
        for chunk in handles.chunks(SQS_BATCH_ENTRIES) {
            self.calls.visibility.fetch_add(1, Ordering::Relaxed);
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(n, handle)| {
                    ChangeMessageVisibilityBatchRequestEntry::builder()
                        .id(n.to_string())
                        .receipt_handle(*handle)
                        .visibility_timeout(seconds)
                        .build()
                        .map_err(|error| anyhow!(error))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let output = self
                .client
                .change_message_visibility_batch()
                .queue_url(self.url())
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|error| {
                    anyhow!(aws_error::describe(&error)).context(format!(
                        "cannot extend the visibility timeout of messages of queue {}",
                        self.url()
                    ))
                })?;
            failed.extend(output.failed().iter().map(|entry| {
                FailedEntry {
                    receipt_handle: entry
                        .id()
                        .parse::<usize>()
                        .ok()
                        .and_then(|n| chunk.get(n))
                        .map_or_else(|| entry.id().to_owned(), |handle| (*handle).to_owned()),
                    reason: entry.message().unwrap_or(entry.code()).to_owned(),
                }
            }));
        }
        Ok(failed)
    }

    /// The calls made so far.
    pub fn calls(&self) -> SourceCallCounts {
        SourceCallCounts {
            receive_message: self.calls.receive.load(Ordering::Relaxed),
            delete_message_batch: self.calls.delete.load(Ordering::Relaxed),
            change_message_visibility_batch: self.calls.visibility.load(Ordering::Relaxed),
        }
    }
}
