//! Replaying hydrated failures from the DLQ, to a stream or a function,
//! deleting a failure's messages only once all of its records were
//! re-delivered.
//!
//! A replay is a [`ReplaySession`]: it scans the queue (hiding every message
//! for the visibility timeout, so that a concurrent replay does not take the
//! same failures), reads the failures back, replays the selected ones, and
//! finally releases every message it did not delete, so that the queue is
//! left exactly as it was apart from what was replayed.
//!
//! - [`select`](mod@select): which failures, in which order, and why not the others.
//! - [`stream`]: [`replay_to_streams`], PutRecords in order.
//! - [`function`]: [`replay_to_function`], synchronous invocations.
//! - [`interrupt`]: [`Interrupt`], Ctrl-C between calls.

pub mod function;
pub mod interrupt;
pub mod select;
pub mod stream;

use std::collections::HashSet;

use tracing::warn;

pub use function::{FunctionReplayOptions, FunctionReplayReport, KeptFailure, replay_to_function};
pub use interrupt::Interrupt;
pub use select::{SelectOptions, Selection, SkipReason, select};
pub use stream::{StreamReplayReport, Target, replay_to_streams};

use crate::queue::{DlqInventory, DlqQueue, FailedEntry, Scan, ScanOptions, scan};

/// What deleting replayed failures' messages did, the same for every kind
/// of replay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deletions {
    /// Messages SQS deleted.
    pub messages: usize,
    /// Messages SQS did not delete: their records will be replayed again.
    pub undeleted: Vec<FailedEntry>,
    /// Receipt handles deleted, so the session can release the rest.
    pub handles: HashSet<String>,
}

impl Deletions {
    /// Counts one DeleteMessageBatch round over `handles`, of which SQS
    /// refused `failed`.
    pub fn record(&mut self, handles: &[&str], failed: Vec<FailedEntry>) {
        self.messages += handles.len() - failed.len();
        self.handles.extend(
            handles
                .iter()
                .filter(|handle| !failed.iter().any(|f| f.receipt_handle == **handle))
                .map(|handle| (*handle).to_owned()),
        );
        self.undeleted.extend(failed);
    }
}

/// The scanned DLQ of one replay (or one `read-dlq`).
#[derive(Debug)]
pub struct ReplaySession {
    queue: DlqQueue,
    scan: Scan,
    inventory: DlqInventory,
}

impl ReplaySession {
    /// Scans the queue; fails if it cannot be read (nothing stays hidden).
    pub async fn open(queue: DlqQueue, options: &ScanOptions) -> anyhow::Result<Self> {
        let scan = scan(&queue, options, |_| false).await?;
        let inventory = DlqInventory::build(&scan.messages);
        Ok(Self {
            queue,
            scan,
            inventory,
        })
    }

    pub fn queue(&self) -> &DlqQueue {
        &self.queue
    }

    pub fn scan(&self) -> &Scan {
        &self.scan
    }

    pub fn inventory(&self) -> &DlqInventory {
        &self.inventory
    }

    /// Makes every scanned message that was not deleted visible again.
    /// Returns the ones SQS failed to release (they reappear when their
    /// visibility timeout ends).
    pub async fn close(self, deleted: &HashSet<String>) -> anyhow::Result<Vec<FailedEntry>> {
        let handles: Vec<&str> = self
            .scan
            .receipt_handles()
            .into_iter()
            .filter(|handle| !deleted.contains(*handle))
            .collect();
        let failed = self.queue.release(&handles).await?;
        for entry in &failed {
            warn!(reason = %entry.reason, "a message could not be released; it reappears when its visibility timeout ends");
        }
        Ok(failed)
    }
}
