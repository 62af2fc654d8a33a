//! [`S3Destination`]: the aws-sdk-s3 adapter of [`FailureDestination`].
//!
//! AWS contract honoured here (S3 failed-event destinations, Kinesis,
//! DynamoDB and Kafka sources): one object per discarded batch, under
//!
//! ```text
//! aws/lambda/<ESM-UUID>/<shardId>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<UUID>
//! ```
//!
//! holding the OnFailure record with one more field, `payload`: the event
//! the function was given for the discarded records. Unlike SNS and SQS
//! destinations, the object carries the data itself.

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use chrono::{DateTime, Utc};

use super::destination::{DestinationError, DiscardedBatch, FailureDestination};

/// Writes one object per discarded batch to one S3 bucket.
#[derive(Debug, Clone)]
pub struct S3Destination {
    client: Client,
    bucket: String,
    mapping_uuid: String,
}

impl S3Destination {
    /// `mapping_uuid` is the event source mapping's UUID, the first part of
    /// every key.
    pub fn new(client: Client, bucket: impl Into<String>, mapping_uuid: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
            mapping_uuid: mapping_uuid.into(),
        }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }
}

impl FailureDestination for S3Destination {
    async fn send(&self, discarded: &DiscardedBatch) -> Result<(), DestinationError> {
        let body = object_body(&discarded.record, &discarded.payload)?;
        let key = object_key(
            &self.mapping_uuid,
            &discarded.shard_id,
            discarded.discarded_at_millis,
            &uuid::Uuid::new_v4().to_string(),
        );
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type("application/json")
            .body(ByteStream::from(body.into_bytes()))
            .send()
            .await
            .map(|_| ())
            .map_err(DestinationError::from_sdk)
    }
}

/// `aws/lambda/<ESM-UUID>/<shardId>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<UUID>`,
/// the time in UTC.
pub fn object_key(mapping_uuid: &str, shard_id: &str, at_millis: i64, object_uuid: &str) -> String {
    let at: DateTime<Utc> = DateTime::from_timestamp_millis(at_millis).unwrap_or_default();
    format!(
        "aws/lambda/{mapping_uuid}/{shard_id}/{}/{}-{object_uuid}",
        at.format("%Y/%m/%d"),
        at.format("%Y-%m-%dT%H.%M.%S"),
    )
}

/// The OnFailure record with `payload` added as its last field. The payload
/// is spliced in as text, so the event's bytes (its numbers, its key order,
/// its base64) are exactly what the function was given.
pub fn object_body(record: &str, payload: &str) -> Result<String, DestinationError> {
    let record = record.trim_end();
    let payload = payload.trim();
    let open = record
        .strip_suffix('}')
        .filter(|open| open.trim_start().starts_with('{'))
        .ok_or_else(|| {
            DestinationError::Rejected("the OnFailure record is not a JSON object".to_owned())
        })?;
    let empty = open.trim_start().trim_start_matches('{').trim().is_empty();
    serde_json::from_str::<&serde_json::value::RawValue>(payload).map_err(|error| {
        DestinationError::Rejected(format!("the failed batch's event is not JSON: {error}"))
    })?;
    let separator = if empty { "" } else { "," };
    Ok(format!("{open}{separator}\"payload\":{payload}}}"))
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    const RECORD: &str = include_str!("../../../../events/onfailure-kinesis.json");

    /// The key has AWS's layout: mapping, shard, date folders, then the
    /// time with dots and the object's UUID.
    #[test]
    fn names_objects_like_aws() {
        // 2026-11-23T10:15:42.318Z
        let key = object_key(
            "a1b2c3d4-0000-4000-8000-000000000001",
            "shardId-000000000000",
            1_795_428_942_318,
            "0f0e0d0c-0000-4000-8000-000000000002",
        );
        assert_eq!(
            key,
            "aws/lambda/a1b2c3d4-0000-4000-8000-000000000001/shardId-000000000000/2026/11/23/2026-11-23T10.15.42-0f0e0d0c-0000-4000-8000-000000000002"
        );
    }

    /// The object is the record, every field kept in order, plus the event
    /// as `payload`, its text unchanged.
    #[test]
    fn adds_the_event_as_payload_to_the_record() {
        let payload = r#"{"Records":[{"kinesis":{"data":"eyJhIjoyMC4xODB9","approximateArrivalTimestamp":1795428897.512}}]}"#;
        let body = object_body(RECORD, payload).expect("object");

        let object: Value = serde_json::from_str(&body).expect("JSON");
        let record: Value = serde_json::from_str(RECORD).expect("JSON");
        let mut without_payload = object.clone();
        without_payload
            .as_object_mut()
            .expect("object")
            .remove("payload");
        assert_eq!(without_payload, record);
        let keys: Vec<&String> = object.as_object().expect("object").keys().collect();
        assert_eq!(keys.last().map(|key| key.as_str()), Some("payload"));
        assert!(body.contains(payload), "the event's text is kept verbatim");
    }

    /// Something that is not an object, or an event that is not JSON, is
    /// refused rather than written half-formed.
    #[test]
    fn refuses_what_cannot_make_an_object() {
        assert!(object_body("[1]", "{}").is_err());
        assert!(object_body(RECORD, "{not json").is_err());
        assert_eq!(
            object_body("{}", "{}").expect("empty record"),
            r#"{"payload":{}}"#
        );
    }
}
