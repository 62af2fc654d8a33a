//! One S3 notification of an S3 failure destination's object: read the
//! object, normalise it into the same DLQ messages (the records taken from
//! its payload, byte-exact: nothing is re-read from the stream), write them.
//!
//! Nothing is lost on the way:
//! - a read that may pass (throttle, network, 5xx) fails the invocation, so
//!   Lambda retries the notification; the object stays in its bucket;
//! - an object that cannot be read for good (no such key, access denied),
//!   or is empty or not UTF-8, reaches the DLQ as `unparseable` with the
//!   notification record as its raw text (bucket and key included);
//! - an object that is not an OnFailure record reaches it as `unparseable`
//!   with its text; the reason names the bucket and key;
//! - a stream not on the allowlist is `rejected`: the records are not
//!   copied, and the object keeps them;
//! - a DynamoDB Streams object is kept whole, payload included, as
//!   `unavailable` like every DynamoDB failure today; when it is too big
//!   for the failure record of a DLQ message it is kept as raw text in parts.

use streamdlq_core::dlq::{BuildError, failure_id, raw_id};
use streamdlq_core::{
    DestinationObject, DlqSink, DynamoDbRecord, FailureRecord, FailureSource, Hydration,
    HydrationStatus, ReadStats, SendStats, ShardReader, StreamRetention, StreamSource,
};
use tracing::{Instrument, error, info_span, warn};

use super::{FailureOutcome, Hydrator};
use crate::error::DeliveryError;
use crate::event::S3ObjectRef;
use crate::object_source::ObjectSource;
use crate::summary::FailureSummary;

impl<R, S, T, D, O> Hydrator<R, S, T, D, O>
where
    R: ShardReader + Sync,
    D: ShardReader<DynamoDbRecord> + Sync,
    S: DlqSink + Sync,
    T: StreamRetention + Sync,
    O: ObjectSource + Sync,
{
    /// Reads the object `object` names and writes its failure to the DLQ.
    /// No deadline: nothing is read from a stream, and GetObject's own
    /// retries are bounded (`clients::S3_MAX_ATTEMPTS`).
    pub(super) async fn process_object(&self, object: &S3ObjectRef) -> FailureOutcome {
        let location = format!("s3://{}/{}", object.bucket, object.key);
        let span = info_span!("s3_object", object = %location);
        async {
            let read = self
                .objects
                .object(&object.bucket, &object.key, object.version_id.as_deref())
                .await;
            let bytes = match read {
                Ok(bytes) => bytes,
                Err(error) if error.is_retryable() => {
                    let id = raw_id(&object.raw);
                    error!(%error, id, "S3 object not read; the notification must be retried");
                    return FailureOutcome {
                        summary: FailureSummary {
                            id,
                            status: HydrationStatus::Unavailable,
                            expected: 0,
                            found: 0,
                            parts: 0,
                            reason: Some(format!("{location} could not be read: {error}")),
                        },
                        read: ReadStats::default(),
                        sent: SendStats::default(),
                        error: Some(DeliveryError::ObjectRead(error)),
                    };
                }
                Err(error) => {
                    let reason = format!(
                        "S3 object {location} could not be read: {error}; \
                         the notification record is kept"
                    );
                    return self.process_unparseable(&object.raw, reason).await;
                }
            };
            let text = match String::from_utf8(bytes) {
                Ok(text) if !text.trim().is_empty() => text,
                Ok(_) => {
                    let reason =
                        format!("S3 object {location} is empty; the notification record is kept");
                    return self.process_unparseable(&object.raw, reason).await;
                }
                Err(_) => {
                    let reason = format!(
                        "S3 object {location} is not UTF-8 text, so not an OnFailure \
                         record; the notification record is kept"
                    );
                    return self.process_unparseable(&object.raw, reason).await;
                }
            };
            match DestinationObject::parse(&text) {
                Ok(parsed) => {
                    self.process_destination_object(&parsed, &text, &location)
                        .await
                }
                Err(error) => {
                    let reason =
                        format!("S3 object {location} is not an OnFailure record: {error}");
                    self.process_unparseable(&text, reason).await
                }
            }
        }
        .instrument(span)
        .await
    }

    /// Writes one parsed object's failure: its records from the payload.
    async fn process_destination_object(
        &self,
        parsed: &DestinationObject,
        text: &str,
        location: &str,
    ) -> FailureOutcome {
        let record = &parsed.record;
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
            records_from = "destinationPayload",
        );
        async {
            if !self.config.allowlist.allows(&batch.stream_arn) {
                warn!("stream is not on the allowlist; not copying the object's records");
                let reason = format!(
                    "stream {} is not in ALLOWED_STREAM_ARNS; the records in {location} \
                     were not copied",
                    batch.stream_arn
                );
                let hydration =
                    Hydration::without_records(HydrationStatus::Rejected, batch.batch_size, reason);
                return self.deliver_payload(record, hydration).await;
            }
            match record.source {
                StreamSource::DynamoDb => self.process_dynamodb_object(text, location).await,
                StreamSource::Kinesis => self.deliver_payload(record, parsed.hydration()).await,
            }
        }
        .instrument(span)
        .await
    }

    async fn deliver_payload(
        &self,
        record: &FailureRecord,
        hydration: Hydration,
    ) -> FailureOutcome {
        let id = failure_id(record);
        let measured = self.measure(record, &hydration, id.clone()).await;
        let outcome = self
            .deliver(
                id,
                FailureSource::DestinationPayload(record),
                hydration,
                ReadStats::default(),
            )
            .await;
        self.emit(measured, &outcome);
        outcome
    }

    /// A DynamoDB Streams object: no DynamoDB record format is read here,
    /// so the whole object (payload included) is the failure record.
    async fn process_dynamodb_object(&self, text: &str, location: &str) -> FailureOutcome {
        warn!("DynamoDB Streams failure; keeping the whole object, payload included");
        let reason = format!(
            "DynamoDB Streams records are not taken from an S3 destination's payload: \
             the S3 object {location} is kept whole, its payload (the records, exact) \
             in failure.payload"
        );
        let whole = match FailureRecord::parse(text) {
            Ok(whole) => whole,
            Err(error) => {
                let reason = format!("S3 object {location} is not an OnFailure record: {error}");
                return self.process_unparseable(text, reason).await;
            }
        };
        let hydration = Hydration::without_records(
            HydrationStatus::Unavailable,
            whole.batch.batch_size,
            reason.clone(),
        );
        let outcome = self.deliver_payload(&whole, hydration).await;
        if let Some(DeliveryError::Build(BuildError::LimitTooSmall { .. })) = &outcome.error {
            // The payload is too big to repeat in every part: keep the
            // object as raw text instead, which is carried in slices.
            let reason = format!("{reason}; too big for one message, so kept as raw text");
            return self.process_unparseable(text, reason).await;
        }
        outcome
    }
}
