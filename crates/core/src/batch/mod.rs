//! Ordered, fail-fast batch processing for Kinesis consumers with partial
//! batch failures (`FunctionResponseTypes: ReportBatchItemFailures`).
//!
//! Deserialise the event as a [`KinesisBatch`], implement [`RecordHandler`]
//! for the per-record logic, and return
//! [`process_batch`]`(batch, &handler).await.into_response()` from the
//! function. Records are handled one at a time in sequence order; the first
//! failure (handler error, handler panic or undecodable record) stops the
//! shard and is reported by its sequence number, which is where the event
//! source mapping resumes. The response is always the typed
//! `KinesisEventResponse`, never a hand-built map.
//!
//! - `event`: [`KinesisBatch`], the event with record bytes decoded lazily.
//! - `context`: [`RecordContext`], a record's identity for idempotency.
//! - `handler`: the [`RecordHandler`] and [`RecordError`] traits.
//! - `process`: [`process_batch`], the ordered loop.
//! - `outcome`: [`BatchOutcome`] and the response it becomes.

mod context;
mod event;
mod handler;
mod outcome;
mod process;

pub use context::RecordContext;
pub use event::{DataError, KinesisBatch};
pub use handler::{RecordError, RecordHandler};
pub use outcome::{BatchOutcome, FailureCause, FailureKind, RecordFailure};
pub use process::process_batch;
