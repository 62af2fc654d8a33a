//! The rescue: metadata-only OnFailure records waiting in an existing queue,
//! hydrated into the DLQ with the hydrate function's own engine and sink
//! (`streamdlq hydrate --from-queue URL`).
//!
//! A Kinesis (or DynamoDB Streams) event source mapping whose OnFailure
//! destination is an SQS queue, or an SNS topic with a queue subscribed,
//! leaves records there that name a range and carry no data; the stream
//! trims the data when its retention passes. The rescue reads each record
//! (raw or SNS-wrapped, [`streamdlq_core::QueueBody`]), re-reads its range
//! and writes the failure to the DLQ exactly as the hydrate function would,
//! then deletes the source message. Interrupted or run twice, it loses
//! nothing and writes only identical duplicates (deterministic ids).
//!
//! # Layout
//!
//! - [`run`]: [`Rescue::run`], the receive–hydrate–delete loop, the
//!   visibility kept while messages are held, and what is left behind.
//! - [`triage`]: [`Triage`], one message body read and checked against the
//!   allowlist before anything is read or written.
//! - [`source`]: [`SourceQueue`], the SQS calls on the queue drained,
//!   counted.
//! - [`plan`]: `--dry-run`, each range with its stream's retention and how
//!   close the range is to being trimmed.
//! - [`summary`]: [`RescueSummary`], text for people or one JSON object.

pub mod plan;
pub mod run;
pub mod source;
pub mod summary;
pub mod triage;

pub use plan::CountedRetention;
pub use run::{DRY_RUN_VISIBILITY, Rescue, RescueOptions};
pub use source::{SourceCallCounts, SourceQueue};
pub use summary::{ApiCalls, RescueSummary};
pub use triage::Triage;
