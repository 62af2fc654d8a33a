//! Receiving every message of the DLQ, without consuming any.
//!
//! The parts of one hydrated failure are separate SQS messages, and SQS
//! returns at most 10 messages a call in no particular order, so a failure
//! can only be read back once all of its parts were received. The scan
//! receives until the queue has no visible message left, hiding what it
//! received for a while so that it does not get the same messages again;
//! the caller then releases them (visibility 0) or deletes what it has
//! replayed. If the process dies instead, SQS makes them visible again when
//! the visibility timeout ends: nothing is lost either way.

use std::collections::HashMap;
use std::time::Duration;

use tracing::{debug, warn};

use super::sqs::{DlqQueue, QueueMessage};

/// How the queue is scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanOptions {
    /// How long received messages stay hidden: longer than the scan and
    /// whatever follows before they are released or deleted.
    pub visibility: Duration,
    /// Long-polling wait of each ReceiveMessage; the scan ends at the first
    /// answer without messages.
    pub wait: Duration,
    /// Stop after this many distinct messages.
    pub max_messages: usize,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            visibility: Duration::from_secs(60),
            wait: Duration::from_secs(1),
            max_messages: 10_000,
        }
    }
}

/// What a scan received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    /// Distinct messages (by message id, with the latest receipt handle) in
    /// the order first received.
    pub messages: Vec<QueueMessage>,
    /// The scan stopped at `max_messages` or because the caller had enough,
    /// with messages possibly left unread.
    pub stopped_early: bool,
    pub receive_calls: usize,
}

impl Scan {
    pub fn receipt_handles(&self) -> Vec<&str> {
        self.messages
            .iter()
            .map(|message| message.receipt_handle.as_str())
            .collect()
    }
}

/// Receives messages until the queue has none visible, `max_messages` were
/// received, or `enough` (called with each new message) says so.
///
/// On an error, the messages received so far are released before it is
/// returned, so a failed scan leaves the queue as it found it.
pub async fn scan(
    queue: &DlqQueue,
    options: &ScanOptions,
    mut enough: impl FnMut(&QueueMessage) -> bool,
) -> anyhow::Result<Scan> {
    let mut result = Scan::default();
    let mut positions: HashMap<String, usize> = HashMap::new();
    // A visibility of 0 would hand back the same messages forever.
    let visibility = options.visibility.max(Duration::from_secs(1));
    loop {
        let batch = match queue.receive(visibility, options.wait).await {
            Ok(batch) => batch,
            Err(error) => {
                release_quietly(queue, &result).await;
                return Err(error);
            }
        };
        result.receive_calls += 1;
        if batch.is_empty() {
            break;
        }
        let mut new = 0;
        let mut stop = false;
        for message in batch {
            match positions.get(&message.message_id) {
                // Received again after its visibility ended: keep the latest
                // receipt handle, the only one that can delete it.
                Some(&position) => result.messages[position] = message,
                None => {
                    new += 1;
                    positions.insert(message.message_id.clone(), result.messages.len());
                    stop |= enough(&message);
                    result.messages.push(message);
                }
            }
        }
        debug!(received = result.messages.len(), new, "scanning the DLQ");
        if stop || result.messages.len() >= options.max_messages {
            result.stopped_early = true;
            break;
        }
        if new == 0 {
            // Only messages seen before: the scan outlasted the visibility
            // timeout and went round the queue.
            warn!("the DLQ scan outlasted its visibility timeout; stopping");
            break;
        }
    }
    Ok(result)
}

async fn release_quietly(queue: &DlqQueue, scan: &Scan) {
    if let Err(error) = queue.release(&scan.receipt_handles()).await {
        warn!(error = %format!("{error:#}"), "could not release scanned messages; they reappear when their visibility timeout ends");
    }
}
