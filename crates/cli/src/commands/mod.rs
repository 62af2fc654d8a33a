//! The subcommands: one clap `Args` struct each, with its own `run`.
//!
//! - [`audit`]: `streamdlq audit`.
//! - [`put_records`]: `streamdlq put-records`.
//! - [`read_dlq`]: `streamdlq read-dlq`.
//! - [`replay`]: `streamdlq replay` (its summary and dry-run plan in
//!   `replay/summary.rs`).

pub mod audit;
pub mod put_records;
pub mod read_dlq;
pub mod replay;
