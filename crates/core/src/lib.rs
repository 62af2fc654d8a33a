//! streamdlq-core: the library behind streamdlq, which makes AWS stream
//! consumers lose nothing when they fail.
//!
//! A Kinesis event source mapping sends a batch it gave up on to its OnFailure
//! destination as metadata only (shard, sequence range, batch size). This
//! crate models that record, re-reads the exact range from the stream and
//! turns it into self-contained DLQ messages that carry the original bytes.
//!
//! # Layout
//!
//! - [`batch`]: [`process_batch`], ordered fail-fast processing of a Kinesis
//!   event into a well-formed partial batch failure response.
//! - [`sequence`]: [`SequenceNumber`], decimal sequence numbers of any length,
//!   ordered numerically.
//! - [`failure`]: [`FailureRecord`], the OnFailure record of Kinesis and
//!   DynamoDB Streams ESMs, kept verbatim.
//! - [`hydration`]: [`Hydration`] and [`HydrationStatus`], what hydrating one
//!   failure produced.
//! - [`stream`]: the [`ShardReader`] port the hydration engine reads through,
//!   and the record and error types it speaks.

pub mod batch;
pub mod failure;
pub mod hydration;
pub mod sequence;
pub mod stream;

pub use batch::{KinesisBatch, RecordContext, RecordHandler, process_batch};
pub use failure::{BatchInfo, Condition, FailureParseError, FailureRecord, StreamSource};
pub use hydration::{Hydration, HydrationStatus};
pub use sequence::{SequenceNumber, SequenceNumberError};
pub use stream::{IteratorStart, ReadError, RecordPage, ShardReader, StreamRecord};
