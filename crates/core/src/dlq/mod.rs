//! The DLQ message, schema v1 (`docs/dlq-format.md`): building it in parts
//! that fit the SQS limit, reading it back, and sending it.
//!
//! - [`message`]: the schema types and [`DlqMessage`], one SQS message.
//! - [`id`]: deterministic ids, the same every time a failure is hydrated.
//! - [`entry`]: [`DlqRecord`], how a Kinesis or DynamoDB Streams record is
//!   written as a record entry, whole or in fragments.
//! - [`split`]: [`build_parts`], a failure and its records packed into parts
//!   within a size limit, oversized records cut into fragments; [`DlqParts`]
//!   plans the same parts from exact entry lengths and builds each message
//!   when asked, so a sender holds one batch of bodies at a time.
//! - [`assemble`](mod@assemble): [`assemble()`], parts and fragments joined
//!   back into [`HydratedFailure`]s, byte-exact.
//! - [`sink`]: the [`DlqSink`] port and its [`SinkError`].
//! - [`sqs`]: [`SqsDlqSink`], the port over SQS SendMessageBatch.
//! - `recording` (feature `fakes`): `RecordingSink`, an in-memory sink.

pub mod assemble;
#[cfg(test)]
mod dynamodb_tests;
pub mod entry;
pub mod id;
pub mod message;
#[cfg(any(test, feature = "fakes"))]
pub mod recording;
pub mod sink;
pub mod split;
pub mod sqs;

pub use assemble::{AssembleError, HydratedFailure, assemble};
pub use entry::DlqRecord;
pub use id::{failure_id, raw_id};
pub use message::{
    Attribute, DlqMessage, FailureSource, Fragment, HydrationSummary, Part, RecordsFrom, SCHEMA_V1,
    SQS_MESSAGE_LIMIT, WIDER_RANGE_CAUSE, WiderRange,
};
#[cfg(any(test, feature = "fakes"))]
pub use recording::RecordingSink;
pub use sink::{DlqSink, FailedMessage, SendStats, SinkError};
pub use split::{BuildError, DlqParts, build_parts};
pub use sqs::{SQS_BATCH_BYTES, SQS_BATCH_ENTRIES, SqsDlqSink, SqsRetry};
