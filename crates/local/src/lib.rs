//! streamdlq-local: the streamdlq pipeline on one machine, with no AWS account.
//!
//! Kinesis is served by `kinesis-local` (AWS-like 56-digit sequence numbers,
//! shard iterators that expire after 5 minutes) and SNS, SQS, S3, DynamoDB
//! and DynamoDB Streams by `moto` in server mode (real SNS -> SQS fan-out, S3 notifications to
//! SQS), both started by [`streamdlq_emulators`] on 127.0.0.1 only, on free
//! ports. The resources are those of `infra/template.yaml` (or any template
//! of the same shape); what no emulator offers (the ESM, the SNS and S3 ->
//! Lambda async invocations, the SQS event source) is done here, calling the
//! same handlers the Lambda binaries run.
//!
//! # Layout
//!
//! - [`template`]: [`StackTemplate`], what `infra/template.yaml` declares
//!   (resources, the ESM settings and its OnFailure destination, the
//!   hydrate function's event and async invocation), with the hydrator it
//!   nests (`infra/hydrator.yaml`) read into it.
//! - [`resources`]: [`StackResources`], the template's resources created in the
//!   emulators (the OnFailure topic, queue or bucket among them, and the
//!   demo table with its stream), and the delivery queue a topic or bucket
//!   hands its records to.
//! - [`delivery`]: OnFailure records -> hydrate: SNS and S3 notifications
//!   with Lambda async retries and the async failure record, or an SQS
//!   event source with partial batch responses.
//! - [`stack`]: [`Stack`], everything above started and stopped together;
//!   status and shutdown of a running stack from its state.
//! - [`state`]: [`LocalState`], `.streamdlq/state.json` of a running stack,
//!   its only reader and writer (the CLI's commands use it too), and the
//!   liveness of its processes with the reused-pid guard.
//! - [`esm`]: the event source mapping that no emulator provides, one
//!   engine for Kinesis streams and DynamoDB table streams (the record kind
//!   decides the event and the OnFailure record's shape), reproducing the
//!   AWS semantics, driving an in-process handler or any function behind
//!   the Lambda Invoke API, and sending what it gives up on to an SNS
//!   topic, an SQS queue or an S3 bucket in AWS's format for each.
//! - [`invoke_api`]: [`InvokeApiFunction`], the Lambda Invoke API adapter
//!   of core's function port (`streamdlq_core::invocation`), used by the ESM
//!   and by replay.
//! - [`function_env`]: [`function_env::FunctionContext`], what a function
//!   run in this process is built from (its environment, the emulators).
//! - [`project`]: the project root, where the template and the state live.

pub mod delivery;
pub mod esm;
pub mod function_env;
pub mod invoke_api;
pub mod project;
pub mod resources;
pub mod stack;
pub mod state;
pub mod template;

pub use invoke_api::InvokeApiFunction;
pub use resources::StackResources;
pub use stack::{Stack, StackError, StackOptions};
pub use state::{LocalState, StateError};
pub use template::StackTemplate;
