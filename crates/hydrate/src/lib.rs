//! hydrate: the Lambda function that turns OnFailure metadata into DLQ
//! messages carrying the original records.
//!
//! # Layout
//!
//! - [`config`]: settings read once from the environment.
//! - [`allowlist`]: the streams this deployment may read.

pub mod allowlist;
pub mod config;
