//! streamdlq-core: the library behind streamdlq, which makes AWS stream
//! consumers lose nothing when they fail.
//!
//! A Kinesis event source mapping sends a batch it gave up on to its OnFailure
//! destination as metadata only (shard, sequence range, batch size). This
//! crate models that record, re-reads the exact range from the stream and
//! turns it into self-contained DLQ messages that carry the original bytes.
//!
//! # Layout
//!
//! - [`batch`]: [`process_batch`], ordered fail-fast processing of a Kinesis
//!   event into a well-formed partial batch failure response.
//! - [`arn`]: [`Arn`], ARNs split into their parts: stream names, DynamoDB
//!   stream tables, function names and qualifiers.
//! - [`invocation`]: the Lambda invocation contract beside it, owned once:
//!   the Kinesis event the ESM delivers ([`KinesisEventSource`]), the
//!   [`LambdaFunction`] port with its in-process adapter
//!   ([`InProcessFunction`]), and the one reading of a function's answer
//!   ([`AnswerVerdict`]) that the local ESM, `local invoke` and replay share.
//! - [`sequence`]: [`SequenceNumber`], decimal sequence numbers of any length,
//!   ordered numerically.
//! - [`failure`]: [`FailureRecord`], the OnFailure record of Kinesis and
//!   DynamoDB Streams ESMs, kept verbatim.
//! - [`queue_body`]: [`QueueBody`], the OnFailure record inside an SQS
//!   message body, raw or in an SNS notification envelope.
//! - [`destination_payload`]: [`DestinationObject`], the object an S3
//!   failure destination writes (the OnFailure record plus the batch as
//!   `payload`), split into the record and the records it carries.
//! - [`hydration`]: [`Hydration`] and [`HydrationStatus`], what hydrating one
//!   failure produced.
//! - [`stream`]: the [`ShardReader`] port the hydration engine reads through
//!   (generic over the [`ShardRecord`] it yields), the [`ShardLister`] port
//!   that finds a stream's shards, and the record and error types they speak.
//! - [`engine`]: [`hydrate`], which re-reads a failed range through a
//!   [`ShardReader`] (trimmed ranges, throttling, expired iterators, closed
//!   shards, a deadline, a range wider than its batch read whole up to a
//!   cap) and reports a [`HydrationReport`] with [`ReadStats`].
//! - [`retention`]: the [`StreamRetention`] port (a stream's retention,
//!   cached per stream by [`RetentionCache`]) and the retention margin of a
//!   failed range.
//! - [`kinesis`]: [`KinesisShardReader`], the aws-sdk-kinesis adapter of
//!   [`ShardReader`], [`ShardLister`] and [`StreamRetention`].
//! - [`dynamodb`]: [`DynamoDbRecord`], a DynamoDB Streams record as the
//!   Lambda event carries it (images in DynamoDB JSON), and
//!   [`DynamoDbShardReader`], the aws-sdk-dynamodbstreams adapter of
//!   [`ShardReader`] and [`ShardLister`] (`DescribeStream`): the same engine
//!   hydrates both kinds of stream, and the local ESM polls both.
//! - `sdk_error`: what an SDK error means to the engine, shared by both
//!   adapters.
//! - [`metrics`]: CloudWatch embedded metric format lines ([`MetricLine`]),
//!   the metric names the alarms watch, the processor's per-batch line
//!   ([`metrics::batch_metrics`]) and where lines are written ([`MetricWriter`]).
//! - [`lambda_logs`]: the JSON log setup both Lambda binaries share.
//! - `fake` (feature `fakes`): in-memory fakes of the ports for tests, such as
//!   `FakeStream`.
//! - [`dlq`]: the DLQ message (schema v1) in parts within the SQS limit,
//!   [`build_parts`] and [`assemble()`] for both directions, the [`DlqSink`]
//!   port and its SQS adapter [`SqsDlqSink`].

pub mod arn;
pub mod batch;
pub mod destination_payload;
pub mod dlq;
pub mod dynamodb;
pub mod engine;
pub mod failure;
#[cfg(any(test, feature = "fakes"))]
pub mod fake;
#[cfg(test)]
mod fixtures;
pub mod hydration;
pub mod invocation;
pub mod kinesis;
pub mod lambda_logs;
pub mod metrics;
pub mod queue_body;
pub mod retention;
mod sdk_error;
pub mod sequence;
pub mod stream;

pub use arn::{Arn, ArnError};
pub use batch::{KinesisBatch, RecordContext, RecordHandler, process_batch};
pub use destination_payload::{DestinationObject, DestinationObjectError, PayloadError};
pub use dlq::{
    DlqMessage, DlqSink, FailureSource, HydratedFailure, RecordsFrom, SendStats, SinkError,
    SqsDlqSink, WiderRange, assemble, build_parts,
};
pub use dynamodb::{DynamoDbRecord, DynamoDbShardReader};
pub use engine::{
    Backoff, HydrateOptions, HydrationReport, Operation, RangeCap, ReadStats, StopReason, hydrate,
};
pub use failure::{BatchInfo, Condition, FailureParseError, FailureRecord, StreamSource};
pub use hydration::{Hydration, HydrationStatus};
pub use invocation::{
    AnswerVerdict, DynamoDbEventSource, FnFunction, FunctionAnswer, FunctionError,
    FunctionSettings, InProcessFunction, KinesisEventSource, LambdaFunction, PayloadReading,
    SYNC_INVOKE_PAYLOAD_LIMIT, StreamEvent,
};
pub use kinesis::KinesisShardReader;
pub use metrics::{MetricLine, MetricWriter, StdoutMetrics};
pub use queue_body::{QueueBody, QueueBodyWrapping};
pub use retention::{RetentionCache, StreamRetention, UnknownRetention};
pub use sequence::{SequenceNumber, SequenceNumberError};
pub use stream::{
    IteratorStart, ReadError, RecordPage, ShardLister, ShardReader, ShardRecord, ShardSummary,
    StreamRecord,
};
