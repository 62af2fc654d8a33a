//! Replaying to a function: the failed records as the Kinesis event the
//! event source mapping would deliver, invoked synchronously, and the answer
//! read the way the ESM reads it.
//!
//! - [`event`]: [`kinesis_events`], records to events within 6 MB.
//! - [`response`]: [`interpret`], an answer to an [`Outcome`].
//! - [`port`]: the [`FunctionInvoker`] port.
//! - [`lambda`]: [`LambdaInvoker`], the port over aws-sdk-lambda.
//! - [`in_process`]: [`InProcessProcessor`], the demo processor in this
//!   process (the local stack).

pub mod event;
pub mod in_process;
pub mod lambda;
pub mod port;
pub mod response;

pub use event::{EventSource, KinesisEvent, SYNC_PAYLOAD_LIMIT, kinesis_events};
pub use in_process::{InProcessProcessor, LOCAL_PROCESSOR};
pub use lambda::LambdaInvoker;
pub use port::{FunctionInvoker, Invocation, InvokeError};
pub use response::{Outcome, interpret};
