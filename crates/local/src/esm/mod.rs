//! A faithful local event source mapping (ESM) for Kinesis streams and
//! DynamoDB table streams: reads a stream's shards, invokes a function with
//! batches, and reproduces the AWS rules for partial batch responses,
//! bisection, retries, record age and the OnFailure destination (DESIGN.md,
//! "ESM semantics"). The kind of stream is the reader's record type
//! ([`EsmRecord`]): a `KinesisShardReader` yields Kinesis events and
//! `KinesisBatchInfo`, a `DynamoDbShardReader` DynamoDB Streams events and
//! `DDBStreamBatchInfo`; everything else is one piece of code.
//!
//! ```no_run
//! # async fn demo(reader: streamdlq_core::KinesisShardReader) -> Result<(), Box<dyn std::error::Error>> {
//! use streamdlq_core::invocation::FunctionSettings;
//! use streamdlq_local::esm::{
//!     Esm, EsmConfig, EsmSettings, EsmTarget, RecordingDestination, processor_function,
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
//! - The function is any [`LambdaFunction`] (core's port): the demo
//!   processor in process ([`processor_function`], in [`in_process`]), or
//!   any function behind the Lambda Invoke API ([`InvokeApiFunction`]). Its
//!   event is core's [`KinesisEventSource::event`] (or its DynamoDB Streams
//!   sibling) and its answer is read by core's [`AnswerVerdict`], the same
//!   reading replay uses.
//! - [`source`]: [`EsmRecord`] and [`StreamKind`], what differs between the
//!   two kinds of stream: the event builder, the OnFailure key and its
//!   arrival times, the records one GetRecords call may return.
//! - [`batch`]: the batch state machine — checkpoints, retries, bisection,
//!   record age, discards. Pure; the heart of the ESM.
//! - [`batcher`]: records read ahead, cut into batches (size, window, 6 MB).
//! - [`onfailure`]: the OnFailure record of a discard, in AWS's JSON shape.
//! - [`destination`]: the [`FailureDestination`] port, what it is handed
//!   ([`DiscardedBatch`]), [`AnyDestination`] (the kind the template names)
//!   and [`RecordingDestination`]; one adapter per kind, each writing AWS's
//!   format for it: [`sns`]: [`SnsDestination`] (the record as the
//!   message), [`sqs`]: [`SqsDestination`] (the record as the body),
//!   [`s3`]: [`S3Destination`] (one object per batch, the record plus
//!   `payload`, under AWS's key layout).
//! - [`lineage`]: which shards to read, parents before children.
//! - `poller`: one task per shard, reading and delivering in order.
//! - `shared`: what the coordinator and the pollers share (settings, ports,
//!   stats, the stop signal), below both so they never import each other.
//! - [`runtime`]: [`Esm`] and [`EsmHandle`]: start, stats, stop.
//! - [`target`]: [`EsmTarget`], the stream, the function and its role.
//! - [`stats`]: [`EsmStats`] per shard.
//! - [`clock`]: the injectable wall clock, ISO-8601 times, request ids.

pub mod any_destination;
pub mod batch;
pub mod batcher;
pub mod clock;
pub mod config;
pub mod destination;
pub mod in_process;
pub mod lineage;
pub mod onfailure;
mod poller;
pub mod runtime;
pub mod s3;
mod shared;
pub mod sns;
pub mod source;
pub mod sqs;
pub mod stats;
pub mod target;

pub use any_destination::AnyDestination;
pub use batch::{Batch, Discard, DiscardCondition, RetryPolicy, Step};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{
    EsmConfig, EsmConfigError, EsmSettings, EsmSettingsError, MappingProperties, PropertyValue,
    StartingPosition,
};
pub use destination::{DestinationError, DiscardedBatch, FailureDestination, RecordingDestination};
pub use in_process::{processor_function, table_processor_function};
pub use runtime::{Esm, EsmHandle};
pub use source::{EsmRecord, StreamKind};
pub use target::EsmTarget;

pub use crate::invoke_api::InvokeApiFunction;
pub use s3::S3Destination;
pub use sns::SnsDestination;
pub use sqs::SqsDestination;
pub use stats::{EsmStats, ShardState, ShardStats};
#[doc(no_inline)]
pub use streamdlq_core::invocation::{
    AnswerVerdict, FunctionAnswer, FunctionSettings, KinesisEventSource, LambdaFunction,
};
