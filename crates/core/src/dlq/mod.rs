//! The DLQ message, schema v1 (`docs/dlq-format.md`): building it in parts
//! that fit the SQS limit, and reading it back.
//!
//! - [`message`]: the schema types and [`DlqMessage`], one SQS message.
//! - [`id`]: deterministic ids, the same every time a failure is hydrated.
//! - [`split`]: [`build_parts`], a failure and its records packed into parts
//!   within a size limit, oversized records cut into fragments.
//! - [`assemble`](mod@assemble): [`assemble()`], parts and fragments joined
//!   back into [`HydratedFailure`]s, byte-exact.

pub mod assemble;
pub mod id;
pub mod message;
pub mod split;

#[cfg(test)]
mod fixtures;

pub use assemble::{AssembleError, HydratedFailure, assemble};
pub use id::{failure_id, raw_id};
pub use message::{
    Attribute, DlqMessage, FailureSource, Fragment, HydrationSummary, Part, SCHEMA_V1,
    SQS_MESSAGE_LIMIT,
};
pub use split::{BuildError, build_parts};
