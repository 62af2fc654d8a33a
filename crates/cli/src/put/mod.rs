//! Putting records into a Kinesis stream: PutRecords in full calls, partial
//! failures retried, every partition key kept in order. Used by
//! `put-records` and by `replay` to a stream.
//!
//! - [`entry`]: [`PutEntry`] and the PutRecords limits.
//! - [`batch`]: which records the next call carries (pure).
//! - [`ordered`]: [`OrderedPut`], the retrying writer and its ordering
//!   guarantee.
//! - [`port`]: the [`StreamWriter`] port, one PutRecords call.
//! - [`kinesis`]: [`KinesisStreamWriter`], the port over aws-sdk-kinesis.

pub mod batch;
pub mod entry;
pub mod kinesis;
pub mod ordered;
pub mod port;

pub use batch::{CallLimits, count_calls};
pub use entry::{EntryError, PutEntry};
pub use kinesis::KinesisStreamWriter;
pub use ordered::{Accepted, OrderedPut, PutFailure, PutOptions, PutReport, PutStep};
pub use port::{EntryResult, PutError, StreamWriter};
