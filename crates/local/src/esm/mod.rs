//! A faithful local Kinesis event source mapping (ESM): reads a stream's
//! shards, invokes a function with batches, and reproduces the AWS rules for
//! partial batch responses, bisection, retries, record age and the OnFailure
//! destination (DESIGN.md, "ESM semantics").
//!
//! ```no_run
//! # async fn demo(reader: streamdlq_core::KinesisShardReader) -> Result<(), Box<dyn std::error::Error>> {
//! use streamdlq_local::esm::{
//!     Esm, EsmConfig, EsmSettings, EsmTarget, FunctionSettings, RecordingDestination,
//!     processor_function,
//! };
//!
//! // The Lambda API's names; `local up` reads the same from the template.
//! let config = EsmConfig::new(EsmSettings::read(&serde_json::json!({
//!     "StartingPosition": "TRIM_HORIZON",
//!     "BisectBatchOnFunctionError": true,
//!     "MaximumRetryAttempts": 3,
//!     "FunctionResponseTypes": ["ReportBatchItemFailures"],
//! }))?);
//! let function_arn = "arn:aws:lambda:us-east-1:000000000000:function:processor";
//! let target = EsmTarget::new("arn:aws:kinesis:us-east-1:000000000000:stream/demo", function_arn)?;
//! let function = processor_function(processor::ElementHandler::<processor::LogSink>::default(), FunctionSettings::new(function_arn));
//! let failures = RecordingDestination::new();
//! let esm = Esm::new(config, target)?.start(reader, function, failures.clone());
//! // ... put records, watch esm.stats() and failures.records() ...
//! esm.stop().await;
//! # Ok(()) }
//! ```
//!
//! # Layout
//!
//! - [`config`]: [`EsmSettings`], the mapping's settings read once from any
//!   [`MappingProperties`] (the template, JSON) and checked once against the
//!   AWS ranges; [`EsmConfig`] adds the local timing knobs.
//! - [`function`]: the [`StreamFunction`] port and [`Invocation`], what an
//!   invocation gave back.
//! - [`in_process`]: [`InProcessFunction`], a `lambda_runtime` handler run in
//!   this process (and [`processor_function`], the demo processor).
//! - [`invoke_api`]: [`InvokeApiFunction`], any function behind the Lambda
//!   Invoke API (`cargo lambda watch`, `sam local start-lambda`).
//! - [`event`]: the Kinesis event handed to the function.
//! - [`response`]: how a function's answer is read (partial batch response).
//! - [`batch`]: the batch state machine — checkpoints, retries, bisection,
//!   record age, discards. Pure; the heart of the ESM.
//! - [`batcher`]: records read ahead, cut into batches (size, window, 6 MB).
//! - [`onfailure`]: the OnFailure record of a discard, in AWS's JSON shape.
//! - [`destination`]: the [`FailureDestination`] port and
//!   [`RecordingDestination`]; [`sns`]: [`SnsDestination`].
//! - [`lineage`]: which shards to read, parents before children.
//! - `poller`: one task per shard, reading and delivering in order.
//! - [`runtime`]: [`Esm`], [`EsmTarget`] and [`EsmHandle`]: start, stats, stop.
//! - [`stats`]: [`EsmStats`] per shard.
//! - [`clock`]: the injectable wall clock, ISO-8601 times, request ids.

pub mod batch;
pub mod batcher;
pub mod clock;
pub mod config;
pub mod destination;
pub mod event;
pub mod function;
pub mod in_process;
pub mod invoke_api;
pub mod lineage;
pub mod onfailure;
mod poller;
pub mod response;
pub mod runtime;
pub mod sns;
pub mod stats;

pub use batch::{Batch, Discard, DiscardCondition, RetryPolicy, Step};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{
    EsmConfig, EsmConfigError, EsmSettings, EsmSettingsError, MappingProperties, PropertyValue,
    StartingPosition,
};
pub use destination::{DestinationError, FailureDestination, RecordingDestination};
pub use function::{FnFunction, FunctionError, Invocation, StreamFunction};
pub use in_process::{FunctionSettings, InProcessFunction, processor_function};
pub use invoke_api::InvokeApiFunction;
pub use runtime::{Esm, EsmHandle, EsmTarget};
pub use sns::SnsDestination;
pub use stats::{EsmStats, ShardState, ShardStats};
