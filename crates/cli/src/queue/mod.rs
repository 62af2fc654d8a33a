//! Reading the DLQ without consuming it, and deleting or moving only the
//! failures chosen.
//!
//! - [`sqs`]: [`DlqQueue`], the SQS calls (receive, release, delete, send,
//!   depth, retention).
//! - [`scan`](mod@scan): [`scan()`], every message of the queue, hidden while the
//!   command works and released or deleted after.
//! - [`inventory`]: [`DlqInventory`], scanned messages read back into hydrated
//!   failures with the messages that carry them, and notes for the rest.
//! - [`filter`]: [`FailureFilter`], by status, stream, shard and id.

pub mod filter;
pub mod inventory;
pub mod scan;
pub mod sqs;

pub use filter::FailureFilter;
pub use inventory::{DlqInventory, FailureEntry, MessageRef, Note, WholeCount};
pub use scan::{Scan, ScanOptions, scan};
pub use sqs::{DlqQueue, FailedEntry, QueueDepth, QueueMessage, UnsentMessage};
