//! Ordered, fail-fast batch processing for Kinesis consumers with partial
//! batch failures (`FunctionResponseTypes: ReportBatchItemFailures`).
//!
//! Deserialise the event as a [`KinesisBatch`], implement [`RecordHandler`]
//! for the per-record logic, and return
//! [`process_batch`]`(batch, &handler).await.into_answer()` from the
//! function. Records are handled one at a time in sequence order; the first
//! failure (handler error, handler panic or unreadable record) stops the
//! shard and is reported by its sequence number, which is where the event
//! source mapping resumes. The response is always the typed
//! `KinesisEventResponse`, never a hand-built map. When the *first* record
//! of a batch is poison, the answer is the function error [`PoisonAtHead`]
//! instead, so that the ESM bisects the batch until the pill is alone and
//! only the pill reaches the DLQ ([`BatchOptions`] says why, and turns it
//! off).
//!
//! - `event`: [`KinesisBatch`], the event read per record, every record's
//!   bytes decoded into one buffer; [`KinesisBatch::from_json`] reads it
//!   straight from the bytes the Runtime API delivered.
//! - `scan`: the reader specialised for the event as the ESM writes it,
//!   behind [`KinesisBatch::from_json`]; anything else is left to serde_json.
//! - `template`: a record's text with its five changing values cut out,
//!   which the scanner matches the next records against instead of parsing
//!   them.
//! - `number`: JSON's number grammar, for both.
//! - `context`: [`RecordContext`], a record's identity for idempotency.
//! - `handler`: the [`RecordHandler`] and [`RecordError`] traits.
//! - `options`: [`BatchOptions`], the head-of-batch rule and the AWS facts
//!   behind it.
//! - `process`: [`process_batch`] and [`process_batch_with`], the ordered
//!   loop.
//! - `outcome`: [`BatchOutcome`] and the answer it becomes
//!   ([`PoisonAtHead`] for a poison head).

mod context;
mod event;
mod handler;
mod number;
mod options;
mod outcome;
mod process;
mod scan;
mod template;

pub use context::{PartitionKey, RecordContext};
pub use event::{DataError, KinesisBatch};
pub use handler::{RecordError, RecordHandler};
pub use options::BatchOptions;
pub use outcome::{BatchOutcome, FailureCause, FailureKind, PoisonAtHead, RecordFailure};
pub use process::{process_batch, process_batch_with};
