//! From the S3 event notification that moto puts in a queue to the
//! `S3Event` that S3 gives a Lambda function.
//!
//! moto sends object-created notifications of a bucket to the queue its
//! notification configuration names, with `Records[]` of `eventSource`
//! `aws:s3`, `eventName` (`ObjectCreated:Put`), `eventTime`, the bucket's
//! name and ARN and the object's key, size and eTag. What S3 adds and moto
//! leaves out is filled in here: `userIdentity`, `requestParameters`,
//! `responseElements`, the bucket's `ownerIdentity` and the object's
//! `sequencer` (hex, growing with each event, as S3 orders events of a key).
//!
//! The key is URL-encoded as S3 does it (space as `+`, other reserved bytes
//! as `%XX`, `/` kept); moto encodes `/` too, so it is decoded and encoded
//! again. The result is checked against `aws_lambda_events`' `S3Event`, the
//! type a Rust function reads it with.

use std::sync::atomic::{AtomicU64, Ordering};

use aws_lambda_events::s3::S3Event;
use chrono::{DateTime, Utc};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde_json::{Value, json};

use streamdlq_emulators::sdk::ACCOUNT_ID;

/// What S3 leaves unencoded in a notification's key besides letters and
/// digits.
const KEY_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/')
    .remove(b'*');

/// The last sequencer handed out, so that each event's is larger.
static SEQUENCER: AtomicU64 = AtomicU64::new(0);

/// One notification, as the function receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum S3Notification {
    /// An event for the function: its JSON and when S3 queued it.
    Event {
        event: Vec<u8>,
        event_time: DateTime<Utc>,
    },
    /// `s3:TestEvent`, which S3 sends when notifications are configured;
    /// never given to a function.
    Test,
}

/// The body was not an S3 notification.
#[derive(Debug, thiserror::Error)]
pub enum S3NotificationError {
    #[error("the notification is not JSON")]
    NotJson(#[source] serde_json::Error),
    #[error("the notification is not an S3 event: {0}")]
    NotS3Event(String),
}

/// The Lambda event for the notification in `body`.
pub fn s3_event(body: &str) -> Result<S3Notification, S3NotificationError> {
    let notification: Value = serde_json::from_str(body).map_err(S3NotificationError::NotJson)?;
    if notification.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return Ok(S3Notification::Test);
    }
    let records = notification
        .get("Records")
        .and_then(Value::as_array)
        .filter(|records| !records.is_empty())
        .ok_or_else(|| S3NotificationError::NotS3Event("it has no Records".to_owned()))?;
    let records = records
        .iter()
        .map(lambda_record)
        .collect::<Result<Vec<_>, _>>()?;
    let event = json!({ "Records": records });
    let typed: S3Event = serde_json::from_value(event.clone())
        .map_err(|error| S3NotificationError::NotS3Event(error.to_string()))?;
    let event_time = typed
        .records
        .first()
        .map_or_else(Utc::now, |record| record.event_time);
    Ok(S3Notification::Event {
        // A Value of strings and numbers always serialises.
        event: serde_json::to_vec(&event).unwrap_or_default(),
        event_time,
    })
}

/// One record in the shape S3 gives Lambda.
fn lambda_record(record: &Value) -> Result<Value, S3NotificationError> {
    let field = |path: &[&str]| -> Result<Value, S3NotificationError> {
        path.iter()
            .try_fold(record, |value, key| value.get(*key))
            .cloned()
            .ok_or_else(|| S3NotificationError::NotS3Event(format!("it has no {}", path.join("."))))
    };
    if record.get("eventSource").and_then(Value::as_str) != Some("aws:s3") {
        return Err(S3NotificationError::NotS3Event(
            "its eventSource is not aws:s3".to_owned(),
        ));
    }
    let key = field(&["s3", "object", "key"])?;
    let key = key
        .as_str()
        .ok_or_else(|| S3NotificationError::NotS3Event("its key is not a string".to_owned()))?;
    let principal = json!({ "principalId": format!("AWS:{ACCOUNT_ID}") });
    Ok(json!({
        "eventVersion": field(&["eventVersion"])?,
        "eventSource": "aws:s3",
        "awsRegion": field(&["awsRegion"])?,
        "eventTime": field(&["eventTime"])?,
        "eventName": field(&["eventName"])?,
        "userIdentity": principal,
        "requestParameters": { "sourceIPAddress": "127.0.0.1" },
        "responseElements": {
            "x-amz-request-id": request_token(16),
            "x-amz-id-2": request_token(60),
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": field(&["s3", "configurationId"])?,
            "bucket": {
                "name": field(&["s3", "bucket", "name"])?,
                "ownerIdentity": { "principalId": ACCOUNT_ID },
                "arn": field(&["s3", "bucket", "arn"])?,
            },
            "object": {
                "key": notification_key(&decode_key(key)),
                "size": field(&["s3", "object", "size"])?,
                "eTag": field(&["s3", "object", "eTag"])?,
                "sequencer": next_sequencer(),
            },
        },
    }))
}

/// A key as S3 writes it in a notification.
pub fn notification_key(key: &str) -> String {
    utf8_percent_encode(key, KEY_ENCODE)
        .to_string()
        .replace("%20", "+")
}

/// A notification's key as the object's name (`+` is a space).
pub fn decode_key(encoded: &str) -> String {
    percent_decode_str(&encoded.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// 16 upper-case hex digits, larger than any before in this process.
fn next_sequencer() -> String {
    let now = u64::try_from(Utc::now().timestamp_micros()).unwrap_or_default();
    let previous = SEQUENCER
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |last| {
            Some(now.max(last + 1))
        })
        .unwrap_or_default();
    format!("{:016X}", now.max(previous + 1))
}

/// An opaque id of `len` characters, like S3's request ids.
fn request_token(len: usize) -> String {
    std::iter::repeat_with(fastrand::alphanumeric)
        .take(len)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What moto 5 sends to a queue for a put object.
    fn moto_body(key: &str) -> String {
        json!({"Records": [{
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": "us-east-1",
            "eventTime": "2026-11-23T10:15:43.120Z",
            "eventName": "ObjectCreated:Put",
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "hydrate",
                "bucket": {"name": "streamdlq-failurebucket", "arn": "arn:aws:s3:::streamdlq-failurebucket"},
                "object": {"key": key, "size": 2048, "eTag": "9b2cf535f27731c974343645a3985328"}
            }
        }]})
        .to_string()
    }

    /// The event has every field S3 gives Lambda, reads as the typed
    /// `S3Event`, and keeps bucket, size and eTag.
    #[test]
    fn completes_the_notification_into_the_lambda_event() {
        let key = "aws%2Flambda%2Fa1b2%2FshardId-000000000000%2F2026%2F11%2F23%2F2026-11-23T10.15.42-0f0e";
        let S3Notification::Event { event, event_time } = s3_event(&moto_body(key)).expect("event")
        else {
            panic!("not an event");
        };
        let event: Value = serde_json::from_slice(&event).expect("JSON");
        let record = &event["Records"][0];
        assert_eq!(record["eventSource"], "aws:s3");
        assert_eq!(record["eventName"], "ObjectCreated:Put");
        assert_eq!(record["s3"]["bucket"]["name"], "streamdlq-failurebucket");
        assert_eq!(
            record["s3"]["bucket"]["arn"],
            "arn:aws:s3:::streamdlq-failurebucket"
        );
        assert_eq!(
            record["s3"]["object"]["key"],
            "aws/lambda/a1b2/shardId-000000000000/2026/11/23/2026-11-23T10.15.42-0f0e"
        );
        assert_eq!(record["s3"]["object"]["size"], 2048);
        assert_eq!(
            record["s3"]["object"]["eTag"],
            "9b2cf535f27731c974343645a3985328"
        );
        assert_eq!(
            record["s3"]["object"]["sequencer"].as_str().map(str::len),
            Some(16)
        );
        assert!(record["userIdentity"]["principalId"].is_string());
        assert!(record["responseElements"]["x-amz-request-id"].is_string());
        assert_eq!(event_time.to_rfc3339(), "2026-11-23T10:15:43.120+00:00");
        let typed: S3Event = serde_json::from_value(event).expect("typed");
        assert_eq!(typed.records.len(), 1);
    }

    /// Keys are encoded as S3 does: space as `+`, reserved bytes as `%XX`,
    /// slashes kept; decoding gives the object's name back.
    #[test]
    fn encodes_keys_as_s3_does() {
        let name = "dir/a b+c:d=é.json";
        let encoded = notification_key(name);
        assert_eq!(encoded, "dir/a+b%2Bc%3Ad%3D%C3%A9.json");
        assert_eq!(decode_key(&encoded), name);
    }

    /// Sequencers grow from one event to the next.
    #[test]
    fn sequencers_grow() {
        let (first, second) = (next_sequencer(), next_sequencer());
        assert!(second > first, "{first} < {second}");
    }

    /// The test event S3 sends on configuration is recognised, and a body
    /// that is not an S3 event is refused.
    #[test]
    fn recognises_the_test_event_and_refuses_others() {
        let test = r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-23T10:15:43.120Z","Bucket":"b"}"#;
        assert_eq!(s3_event(test).expect("test"), S3Notification::Test);
        assert!(s3_event("not json").is_err());
        assert!(s3_event(r#"{"Records":[]}"#).is_err());
        assert!(s3_event(r#"{"Records":[{"eventSource":"aws:sqs"}]}"#).is_err());
    }
}
