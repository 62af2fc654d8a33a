//! [`Hydrator`]: one event of OnFailure records in, DLQ messages out.
//!
//! The payload is read record by record first ([`crate::event`]): an
//! unreadable record goes to the DLQ as `unparseable` with its raw JSON,
//! a payload of no known kind fails the invocation. Then, for each
//! readable SNS or SQS record, in order:
//! 1. parse the `Message` as an OnFailure record; text that is not one goes
//!    to the DLQ as `unparseable`, its raw text kept;
//! 2. check the stream against the allowlist before any Kinesis call; a
//!    stream not on it goes to the DLQ as `rejected`;
//! 3. choose the reader from the failure's source: `KinesisBatchInfo` reads
//!    the Kinesis stream, `DDBStreamBatchInfo` the table's stream (with the
//!    engine's DynamoDB tuning; a hydrator built without a DynamoDB Streams
//!    reader keeps such a failure as `unavailable`, its record kept);
//! 4. hydrate the range with the core engine, which never fails: a stream
//!    that cannot be read is `unavailable` with the reason;
//! 5. plan the parts (each within `MESSAGE_LIMIT_BYTES`), then build and
//!    send them one SendMessageBatch at a time, so that a large range's
//!    bodies are never all held at once. A range wider than its batch
//!    (every record kept, see the engine) is flagged in every part.
//!
//! With metrics on ([`Hydrator::with_metrics`]), each failure also writes one
//! embedded metric format line (see [`crate::metrics`]) once its DLQ write
//! is done.
//!
//! An S3 notification names an object of an S3 failure destination: it is
//! read and normalised with its records taken from its payload
//! (`s3_object`), never re-read from the stream.
//!
//! Every record is tried even when an earlier one could not be written; the
//! invocation fails afterwards if any was not (see [`HydrateError`]). An SQS
//! event is answered instead with a partial batch response naming only the
//! messages whose failure was not written, so the queue keeps exactly those.
//! Retried invocations write the same ids again, so readers recognise the
//! duplicates.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lambda_events::sns::SnsEvent;
use serde_json::value::RawValue;
use streamdlq_core::dlq::{
    DlqMessage, DlqParts, DlqRecord, SQS_BATCH_BYTES, SQS_BATCH_ENTRIES, failure_id, raw_id,
};
use streamdlq_core::retention::{DYNAMODB_STREAMS_RETENTION, retention_margin_millis};
use streamdlq_core::{
    DlqSink, DynamoDbRecord, DynamoDbShardReader, FailureRecord, FailureSource, HydrateOptions,
    Hydration, HydrationStatus, MetricWriter, ReadStats, RetentionCache, SendStats, ShardReader,
    ShardRecord, StreamRetention, StreamSource, UnknownRetention, hydrate,
};
use tokio::time::Instant;
use tracing::{Instrument, error, info, info_span, warn};

use crate::config::HydrateConfig;
use crate::error::{DeliveryError, HydrateError, Undelivered};
use crate::event::{Event, EventKind, EventRecord};
use crate::metrics::{self, FailureMetrics, UNDELIVERED};
use crate::object_source::{NoObjectSource, ObjectSource};
use crate::summary::{FailureSummary, HydrateSummary};

mod s3_object;

/// Why a DynamoDB Streams failure carries no records when the hydrator has
/// no DynamoDB Streams reader ([`Hydrator::with_dynamodb`]).
pub const DYNAMODB_NOT_SUPPORTED: &str = "this hydrator has no DynamoDB Streams reader: \
     the failure record is kept; read its range with the DynamoDB Streams API \
     before the stream's 24-hour retention passes";

/// Everything an invocation needs, built once per process: the stream
/// reader, the DLQ sink, the configuration and the engine's tuning; with
/// metrics on, where streams' retention is read (`T`, cached per stream)
/// and where metric lines go; where S3 failure destinations' objects are
/// read (`O`, none by default: [`Hydrator::with_objects`]). `D` reads
/// DynamoDB table streams; without one ([`Hydrator::with_dynamodb`]) their
/// failures are kept unread.
#[derive(Debug)]
pub struct Hydrator<R, S, T = UnknownRetention, D = DynamoDbShardReader, O = NoObjectSource> {
    reader: R,
    dynamodb: Option<D>,
    dynamodb_options: HydrateOptions,
    sink: S,
    config: HydrateConfig,
    options: HydrateOptions,
    retention: RetentionCache<T>,
    metrics: Option<Arc<dyn MetricWriter>>,
    objects: O,
}

/// What handling one SNS message did.
#[derive(Debug)]
pub struct FailureOutcome {
    pub summary: FailureSummary,
    /// What reading the stream cost (all zero when nothing was read).
    pub read: ReadStats,
    /// What writing the DLQ cost (all zero when writing failed).
    pub sent: SendStats,
    /// Why the failure did not reach the DLQ, if it did not.
    pub error: Option<DeliveryError>,
}

impl<R, S> Hydrator<R, S> {
    /// A hydrator with the engine's default tuning, right for Kinesis, and
    /// no metrics.
    pub fn new(reader: R, sink: S, config: HydrateConfig) -> Self {
        Self {
            reader,
            dynamodb: None,
            dynamodb_options: HydrateOptions::dynamodb_streams(),
            sink,
            config,
            options: HydrateOptions::default(),
            retention: RetentionCache::new(UnknownRetention),
            metrics: None,
            objects: NoObjectSource,
        }
    }
}

impl<R, S, T, D, O> Hydrator<R, S, T, D, O> {
    /// Hydrates DynamoDB Streams failures (`DDBStreamBatchInfo`) through
    /// `dynamodb`, with the engine's DynamoDB tuning.
    pub fn with_dynamodb<E>(self, dynamodb: E) -> Hydrator<R, S, T, E, O> {
        Hydrator {
            reader: self.reader,
            dynamodb: Some(dynamodb),
            dynamodb_options: self.dynamodb_options,
            sink: self.sink,
            config: self.config,
            options: self.options,
            retention: self.retention,
            metrics: self.metrics,
            objects: self.objects,
        }
    }

    /// Replaces the engine's tuning for DynamoDB Streams reads.
    pub fn with_dynamodb_options(mut self, options: HydrateOptions) -> Self {
        self.dynamodb_options = options;
        self
    }

    /// Writes a metric line per failure to `writer`, with the retention
    /// margin from `retention` (asked once per allowed stream; never for a
    /// stream the allowlist rejects).
    pub fn with_metrics<U>(
        self,
        retention: U,
        writer: Arc<dyn MetricWriter>,
    ) -> Hydrator<R, S, U, D, O> {
        Hydrator {
            reader: self.reader,
            dynamodb: self.dynamodb,
            dynamodb_options: self.dynamodb_options,
            sink: self.sink,
            config: self.config,
            options: self.options,
            retention: RetentionCache::new(retention),
            metrics: Some(writer),
            objects: self.objects,
        }
    }

    /// Reads the objects of S3 failure destinations from `objects`.
    pub fn with_objects<P>(self, objects: P) -> Hydrator<R, S, T, D, P> {
        Hydrator {
            reader: self.reader,
            dynamodb: self.dynamodb,
            dynamodb_options: self.dynamodb_options,
            sink: self.sink,
            config: self.config,
            options: self.options,
            retention: self.retention,
            metrics: self.metrics,
            objects,
        }
    }

    /// Replaces the engine's tuning (page size, retries, pacing).
    pub fn with_options(mut self, options: HydrateOptions) -> Self {
        self.options = options;
        self
    }

    pub fn reader(&self) -> &R {
        &self.reader
    }

    pub fn sink(&self) -> &S {
        &self.sink
    }

    pub fn config(&self) -> &HydrateConfig {
        &self.config
    }

    pub fn options(&self) -> &HydrateOptions {
        &self.options
    }
}

impl<R, S, T, D, O> Hydrator<R, S, T, D, O>
where
    R: ShardReader + Sync,
    D: ShardReader<DynamoDbRecord> + Sync,
    S: DlqSink + Sync,
    T: StreamRetention + Sync,
    O: ObjectSource + Sync,
{
    /// Hydrates every failure record of a typed SNS `event` into the DLQ,
    /// reading until `deadline` at the latest.
    pub async fn handle(
        &self,
        event: SnsEvent,
        deadline: Instant,
    ) -> Result<HydrateSummary, HydrateError> {
        self.handle_event(Event::from(event), deadline).await
    }

    /// Reads a raw invocation payload record by record and hydrates it:
    /// every readable record is hydrated, every unreadable one kept as
    /// `unparseable` with its raw JSON. A payload of no known kind fails
    /// with [`HydrateError::UnsupportedEvent`].
    pub async fn handle_raw(
        &self,
        payload: &RawValue,
        deadline: Instant,
    ) -> Result<HydrateSummary, HydrateError> {
        let event = Event::read(payload).inspect_err(|error| {
            error!(
                error_type = "UnsupportedEvent",
                %error,
                payload_bytes = payload.get().len(),
                "invocation failed: the payload is not an SNS, SQS or S3 event"
            );
        })?;
        self.handle_event(event, deadline).await
    }

    /// Hydrates every record of `event` into the DLQ, reading until
    /// `deadline` at the latest.
    ///
    /// An SQS event answers with `batchItemFailures` naming the messages
    /// whose failure did not reach the DLQ (and fails only when such a
    /// message has no `messageId` to name); SNS and S3 events fail when
    /// any failure did not reach it.
    pub async fn handle_event(
        &self,
        event: Event,
        deadline: Instant,
    ) -> Result<HydrateSummary, HydrateError> {
        let total = event.records.len();
        let mut summary = HydrateSummary::default();
        let mut undelivered = Vec::new();
        let mut failed_messages = Vec::new();
        for record in &event.records {
            // Boxed: the engine, the SDK calls and the spans nest deep enough
            // to exceed the compiler's type-layout depth in the callers.
            let outcome = match record {
                EventRecord::Message { message_id, text } => {
                    let message_id = message_id.as_deref().unwrap_or("");
                    let span = match event.kind {
                        EventKind::Sqs => info_span!("sqs_message", sqs_message_id = message_id),
                        _ => info_span!("sns_message", sns_message_id = message_id),
                    };
                    Box::pin(self.process_message(text, deadline).instrument(span)).await
                }
                EventRecord::Unreadable { raw, reason, .. } => {
                    Box::pin(self.process_unparseable(raw, reason.clone())).await
                }
                EventRecord::Object(object) => Box::pin(self.process_object(object)).await,
            };
            if let Some(error) = outcome.error {
                failed_messages.push(record.message_id().map(str::to_owned));
                undelivered.push(Undelivered {
                    id: outcome.summary.id.clone(),
                    status: outcome.summary.status,
                    error,
                });
            }
            summary.failures.push(outcome.summary);
        }
        if event.kind == EventKind::Sqs && failed_messages.iter().all(Option::is_some) {
            // The queue deletes every message not named here: only those
            // whose DLQ messages were all written.
            let named: Vec<String> = failed_messages.into_iter().flatten().collect();
            if !named.is_empty() {
                error!(
                    error_type = "DlqWriteFailed",
                    messages = named.len(),
                    total,
                    "failures not written to the DLQ; their messages stay in the queue"
                );
            }
            summary.set_batch_item_failures(named);
            return Ok(summary);
        }
        if undelivered.is_empty() {
            return Ok(summary);
        }
        let error = HydrateError::DlqWriteFailed { total, undelivered };
        error!(
            error_type = error.error_type(),
            retryable = error.is_retryable(),
            %error,
            "invocation failed: the event must be retried"
        );
        Err(error)
    }

    /// Handles one SNS `Message`: parses, reads and writes it to the DLQ.
    pub async fn process_message(&self, message: &str, deadline: Instant) -> FailureOutcome {
        match FailureRecord::parse(message) {
            Ok(record) => self.process_record(&record, deadline).await,
            Err(error) => {
                self.process_unparseable(message, format!("not an OnFailure record: {error}"))
                    .await
            }
        }
    }

    async fn process_record(&self, record: &FailureRecord, deadline: Instant) -> FailureOutcome {
        let batch = &record.batch;
        let id = failure_id(record);
        let span = info_span!(
            "failure",
            id = %id,
            stream_arn = %batch.stream_arn,
            shard_id = %batch.shard_id,
            start_sequence_number = %batch.start_sequence_number,
            end_sequence_number = %batch.end_sequence_number,
            batch_size = batch.batch_size,
        );
        async {
            let allowed = self.config.allowlist.allows(&batch.stream_arn);
            match (record.source, &self.dynamodb) {
                (StreamSource::DynamoDb, Some(reader)) if allowed => {
                    let report = hydrate(reader, batch, &self.dynamodb_options, deadline).await;
                    self.finish(record, id, report.hydration, report.stats)
                        .await
                }
                _ => {
                    let (hydration, read) = self.read_range(record, deadline).await;
                    self.finish(record, id, hydration, read).await
                }
            }
        }
        .instrument(span)
        .await
    }

    /// Measures, delivers and reports one hydrated failure, whatever kind
    /// of record it carries.
    async fn finish<Rec: DlqRecord + ShardRecord>(
        &self,
        record: &FailureRecord,
        id: String,
        hydration: Hydration<Rec>,
        read: ReadStats,
    ) -> FailureOutcome {
        let measured = self.measure(record, &hydration, id.clone()).await;
        let outcome = self
            .deliver(id, FailureSource::Record(record), hydration, read)
            .await;
        self.emit(measured, &outcome);
        outcome
    }

    /// The records of the failed range, or why there are none; never a read
    /// of a stream that is not on the allowlist.
    async fn read_range(
        &self,
        record: &FailureRecord,
        deadline: Instant,
    ) -> (Hydration, ReadStats) {
        let batch = &record.batch;
        if !self.config.allowlist.allows(&batch.stream_arn) {
            warn!("stream is not on the allowlist; not reading it");
            let reason = format!(
                "stream {} is not in ALLOWED_STREAM_ARNS; nothing was read",
                batch.stream_arn
            );
            let hydration =
                Hydration::without_records(HydrationStatus::Rejected, batch.batch_size, reason);
            return (hydration, ReadStats::default());
        }
        match record.source {
            StreamSource::DynamoDb => {
                warn!(
                    "DynamoDB Streams failure and no DynamoDB Streams reader; keeping the failure record only"
                );
                let hydration = Hydration::without_records(
                    HydrationStatus::Unavailable,
                    batch.batch_size,
                    DYNAMODB_NOT_SUPPORTED,
                );
                (hydration, ReadStats::default())
            }
            StreamSource::Kinesis => {
                let report = hydrate(&self.reader, batch, &self.options, deadline).await;
                (report.hydration, report.stats)
            }
        }
    }

    /// Keeps text that could not be read as an OnFailure record (or an
    /// SNS record that could not be read at all) as `unparseable`.
    async fn process_unparseable(&self, message: &str, reason: String) -> FailureOutcome {
        let id = raw_id(message);
        // The text itself is not logged: it may be anything, payloads included.
        let span = info_span!("failure", id = %id, message_bytes = message.len());
        async {
            warn!(%reason, "unreadable failure; keeping its raw text");
            let hydration = Hydration::without_records(HydrationStatus::Unparseable, 0, reason);
            let measured = self.metrics.is_some().then(|| FailureMetrics {
                stream_arn: None,
                source: "unparseable",
                status: String::new(),
                records: 0,
                bytes: 0,
                retention_margin_millis: None,
                id: id.clone(),
            });
            let outcome = self
                .deliver(
                    id,
                    FailureSource::Unparseable(message),
                    hydration,
                    ReadStats::default(),
                )
                .await;
            self.emit(measured, &outcome);
            outcome
        }
        .instrument(span)
        .await
    }

    /// What the metric line of a failure will say, before its records are
    /// handed to the DLQ; `None` with metrics off.
    async fn measure<Rec: ShardRecord>(
        &self,
        record: &FailureRecord,
        hydration: &Hydration<Rec>,
        id: String,
    ) -> Option<FailureMetrics> {
        self.metrics.as_ref()?;
        let batch = &record.batch;
        let retention = match record.source {
            // The allowlist comes first: a rejected stream is never described.
            _ if !self.config.allowlist.allows(&batch.stream_arn) => None,
            StreamSource::DynamoDb => Some(DYNAMODB_STREAMS_RETENTION),
            StreamSource::Kinesis => match self.retention.retention_period(&batch.stream_arn).await
            {
                Ok(retention) => Some(retention),
                Err(error) => {
                    warn!(%error, "stream retention unknown; no retention margin for this failure");
                    None
                }
            },
        };
        let margin = retention
            .zip(metrics::first_arrival_millis(batch, hydration))
            .map(|(retention, arrival)| retention_margin_millis(retention, arrival, now_millis()));
        Some(FailureMetrics {
            stream_arn: Some(batch.stream_arn.clone()),
            source: metrics::source_name(record.source),
            status: String::new(),
            records: hydration.found(),
            bytes: metrics::payload_bytes(hydration),
            retention_margin_millis: margin,
            id,
        })
    }

    /// Writes the metric line once the outcome (the status, or that the DLQ
    /// write failed) is known.
    fn emit(&self, measured: Option<FailureMetrics>, outcome: &FailureOutcome) {
        let (Some(writer), Some(mut measured)) = (&self.metrics, measured) else {
            return;
        };
        measured.status = match outcome.error {
            Some(_) => UNDELIVERED.to_owned(),
            None => outcome.summary.status.as_str().to_owned(),
        };
        if outcome.error.is_some() {
            measured.records = 0;
            measured.bytes = 0;
        }
        writer.write_line(&measured.line(now_millis()));
    }

    /// Builds the parts of one failure and sends them.
    async fn deliver<Rec: DlqRecord>(
        &self,
        id: String,
        source: FailureSource<'_>,
        hydration: Hydration<Rec>,
        read: ReadStats,
    ) -> FailureOutcome {
        let mut summary = FailureSummary {
            id,
            status: hydration.status,
            expected: hydration.expected,
            found: hydration.found(),
            parts: 0,
            reason: hydration.reason.clone(),
        };
        let sent = self.send_parts(&source, &hydration).await;
        drop(hydration);
        let reason = summary.reason.as_deref().unwrap_or("");
        match sent {
            Ok((parts, sent)) => {
                summary.parts = parts;
                info!(
                    status = %summary.status,
                    expected = summary.expected,
                    found = summary.found,
                    get_records_calls = read.get_records_calls,
                    bytes_read = read.bytes_read,
                    messages = parts,
                    bytes = sent.bytes,
                    send_calls = sent.calls,
                    reason,
                    "failure written to the DLQ"
                );
                FailureOutcome {
                    summary,
                    read,
                    sent,
                    error: None,
                }
            }
            Err(error) => {
                error!(
                    status = %summary.status,
                    expected = summary.expected,
                    found = summary.found,
                    get_records_calls = read.get_records_calls,
                    retryable = error.is_retryable(),
                    %error,
                    reason,
                    "failure not written to the DLQ"
                );
                FailureOutcome {
                    summary,
                    read,
                    sent: SendStats::default(),
                    error: Some(error),
                }
            }
        }
    }
}

impl<R, S: DlqSink + Sync, T, D, O> Hydrator<R, S, T, D, O> {
    /// Plans the parts of one failure, then builds and sends them one
    /// SendMessageBatch at a time (at most 10 messages and 1 MiB): only the
    /// records and one batch of bodies are held at once, never every body
    /// of a large range. Says how many parts there were and what sending
    /// took; any part not accepted fails the whole delivery, so the
    /// invocation is retried and the same ids are written again.
    async fn send_parts<Rec: DlqRecord>(
        &self,
        source: &FailureSource<'_>,
        hydration: &Hydration<Rec>,
    ) -> Result<(usize, SendStats), DeliveryError> {
        let parts = DlqParts::new(source, hydration, self.config.message_limit)
            .map_err(DeliveryError::Build)?;
        // Every part fits MESSAGE_LIMIT_BYTES, which the configuration
        // keeps within the SQS limit: no batch is refused for its size
        // after earlier ones went out.
        let mut stats = SendStats::default();
        let mut batch: Vec<DlqMessage> = Vec::with_capacity(SQS_BATCH_ENTRIES);
        let mut batch_bytes = 0;
        for index in 0..parts.count() {
            let message = parts.message(index).map_err(DeliveryError::Build)?;
            let full =
                batch.len() == SQS_BATCH_ENTRIES || batch_bytes + message.size() > SQS_BATCH_BYTES;
            if full && !batch.is_empty() {
                stats += self.sink.send(&batch).await.map_err(DeliveryError::Send)?;
                batch.clear();
                batch_bytes = 0;
            }
            batch_bytes += message.size();
            batch.push(message);
        }
        stats += self.sink.send(&batch).await.map_err(DeliveryError::Send)?;
        Ok((parts.count() as usize, stats))
    }
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use lambda_runtime::{Context, LambdaEvent};
    use streamdlq_core::{KinesisShardReader, SqsDlqSink};

    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    /// The handler over the SDK adapters is a `Send` future, so the local
    /// stack can spawn invocations on a multi-threaded runtime.
    #[test]
    fn handler_over_the_sdk_adapters_is_a_send_future() {
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .build();
        let config = HydrateConfig::from_lookup(|name| {
            (name == "DLQ_URL").then(|| "https://sqs.us-east-1.amazonaws.com/1/dlq".to_owned())
        })
        .expect("config");
        let hydrator = Hydrator::new(
            KinesisShardReader::new(crate::clients::kinesis(&sdk)),
            SqsDlqSink::new(crate::clients::sqs(&sdk), config.dlq_url.clone()),
            config,
        )
        .with_objects(crate::S3ObjectSource::new(crate::clients::s3(&sdk)));
        let event = LambdaEvent::new(SnsEvent::default(), Context::default());
        let future = crate::handler(&hydrator, event);
        assert_send(&future);
    }
}
