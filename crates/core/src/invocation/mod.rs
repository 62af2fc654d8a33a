//! The Lambda invocation contract, owned once: the event a function gets
//! for stream records, the port it is invoked through, and the one reading
//! of its answer. The local ESM, `streamdlq local invoke` and
//! `streamdlq replay --to-function` all call these; they live beside
//! [`batch`](crate::batch), which produces the answers on the function's
//! side.
//!
//! - `kinesis_event`: [`KinesisEventSource`], the Kinesis event exactly as
//!   the ESM shapes it, cut within the 6 MB synchronous payload limit.
//! - `dynamodb_event`: [`DynamoDbEventSource`], its sibling for DynamoDB
//!   Streams records (`eventSource` `aws:dynamodb`, `eventVersion` `1.1`).
//! - `event_batches`: records cut into events within a count and a size,
//!   for both builders.
//! - `answer`: [`FunctionAnswer`], what one invocation gave back, and
//!   [`FunctionError`].
//! - `verdict`: [`AnswerVerdict`], the one reading of an answer, each rule
//!   with its source (recorded on AWS, or the safe reading).
//! - `queue_verdict`: [`QueueBatchVerdict`], the same reading of a partial
//!   batch response for a batch of SQS messages (the local SQS event
//!   source): named messages stay, the others are deleted.
//! - `port`: [`LambdaFunction`], the function port, and [`FnFunction`].
//! - `in_process`: [`InProcessFunction`], any `lambda_runtime` handler in
//!   this process, with the function timeout and panics as function errors.

mod answer;
mod dynamodb_event;
mod event_batches;
mod in_process;
mod kinesis_event;
mod port;
mod queue_verdict;
mod verdict;

pub use answer::{FunctionAnswer, FunctionError};
pub use dynamodb_event::{DYNAMODB_EVENT_VERSION, DynamoDbEventSource};
pub use event_batches::StreamEvent;
pub use in_process::{FunctionSettings, InProcessFunction};
pub use kinesis_event::{
    KinesisEventSource, SYNC_INVOKE_PAYLOAD_LIMIT, estimated_kinesis_event_bytes,
};
pub use port::{FnFunction, LambdaFunction};
pub use queue_verdict::QueueBatchVerdict;
pub use verdict::{AnswerVerdict, PayloadReading};
