//! streamdlq-cli: the library behind the `streamdlq` command, which puts
//! test records, reads the hydrated DLQ without consuming it, replays
//! failed records into their stream or straight into a function,
//! deletes, moves or exports failures, and hydrates a queue of
//! metadata-only OnFailure records into the DLQ.
//!
//! # Layout
//!
//! - [`audit`]: `streamdlq audit`: event source mappings from a template or
//!   a live account, the checks that find settings losing records, the report.
//! - [`commands`]: the subcommands, one clap `Args` struct with a `run` each,
//!   the filter flags they share, and the confirmation before deleting.
//! - [`discovery`]: [`discovery::Resources`], the stream, queue and SDK
//!   configuration from flags, environment, a stack's outputs or the local
//!   stack's state file.
//! - [`put`]: PutRecords in full calls, partial failures retried, every
//!   partition key kept in order ([`put::OrderedPut`]).
//! - [`queue`]: the DLQ: scanning it without consuming it, reading failures
//!   back ([`queue::DlqInventory`]), releasing and deleting messages.
//! - [`replay`]: replaying selected failures to a stream or a function and
//!   deleting only what was re-delivered ([`replay::ReplaySession`]).
//! - [`rescue`]: `streamdlq hydrate --from-queue`: metadata-only OnFailure
//!   records in a queue, hydrated into the DLQ with the hydrate function's
//!   engine ([`rescue::Rescue`]), each source message deleted only once
//!   written.
//! - [`invoke`]: the function a replay invokes (the local processor in
//!   process, or any function through the Lambda Invoke API); the event,
//!   the port and the verdict on the answer are core's
//!   (`streamdlq_core::invocation`), shared with the local ESM.
//! - [`view`]: failures as text for people and JSON lines for scripts;
//!   colour, sizes and durations for people.
//! - [`input`], [`generate`]: records from a PutRecords input file, or
//!   generated.
//! - [`stream`]: [`stream::StreamId`], a stream by name or ARN.
//! - [`progress`], [`aws_error`]: progress bars; one-line SDK errors and the
//!   fast check that a local endpoint answers.

pub mod audit;
pub mod aws_error;
pub mod commands;
pub mod discovery;
pub mod generate;
pub mod input;
pub mod invoke;
pub mod progress;
pub mod put;
pub mod queue;
pub mod replay;
pub mod rescue;
pub mod stream;
pub mod view;
