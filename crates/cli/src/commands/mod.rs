//! The subcommands: one clap `Args` struct each, with its own `run`.
//!
//! - [`audit`]: `streamdlq audit`.
//! - [`put_records`]: `streamdlq put-records`.
//! - [`put_items`]: `streamdlq put-items`, elements into the demo table.
//! - [`read_dlq`]: `streamdlq read-dlq`.
//! - [`replay`]: `streamdlq replay` (its summary and dry-run plan in
//!   `replay/summary.rs`).
//! - [`delete`], [`move_failures`], [`export`]: `streamdlq delete`, `move`
//!   and `export`, the DLQ managed by failure; [`dlq_action`] holds what
//!   `delete` and `move` share.
//! - [`hydrate`]: `streamdlq hydrate --from-queue`, the rescue of a queue of
//!   metadata-only OnFailure records (the work is in `crate::rescue`).
//! - [`filter_args`]: [`filter_args::FilterArgs`], the filter flags of every
//!   DLQ command.
//! - [`confirm`]: the question asked before deleting, and when to ask it.

pub mod audit;
pub mod confirm;
pub mod delete;
pub mod dlq_action;
pub mod export;
pub mod filter_args;
pub mod hydrate;
pub mod move_failures;
pub mod put_items;
pub mod put_records;
pub mod read_dlq;
pub mod replay;
