//! What an invocation's payload is, read record by record before anything
//! is hydrated.
//!
//! The payload arrives as raw JSON, not as a typed event: a typed reading
//! fails the whole event for one bad record, before the handler runs, so
//! the good records next to it never reach the DLQ. Here the kind of event
//! is recognised from the event itself (its records' `EventSource` or
//! `eventSource`), and each record is read on its own:
//!
//! - SNS (`aws:sns`, the failure topic's subscription): a readable record
//!   gives its `Message`; an unreadable one (no `Sns.Message`,
//!   `Message: null`, text that is not Unicode such as a lone surrogate) is
//!   kept with its raw JSON so that it reaches the DLQ as `unparseable`.
//! - SQS (`aws:sqs`, an OnFailure queue): the `body` is read by
//!   [`QueueBody`], the one reading of a queue message body (the OnFailure
//!   record itself, or an SNS envelope when the queue is subscribed to a
//!   topic without raw delivery). The `messageId` is kept: the function
//!   answers with an SQS partial batch response naming it.
//! - S3 (`aws:s3`, an S3 failure destination's bucket notification): an
//!   `ObjectCreated:*` record names the object to read (bucket, URL-decoded
//!   key, version); any other S3 record is kept as unreadable.
//!
//! A payload of no known kind is an error ([`EventError`]), never a silent
//! success. Reasons never quote the record's text: it may carry anything.

use aws_lambda_events::sns::SnsEvent;
use serde::Deserialize;
use serde_json::value::RawValue;
use streamdlq_core::QueueBody;

/// The kinds of event this module recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// `EventSource: aws:sns`, the failure topic's subscription.
    Sns,
    /// `eventSource: aws:sqs`, an OnFailure queue's event source mapping.
    Sqs,
    /// `eventSource: aws:s3`, an S3 failure destination's notification.
    S3,
}

impl EventKind {
    /// The `eventSource` value that names this kind.
    pub fn event_source(self) -> &'static str {
        match self {
            Self::Sns => SNS_SOURCE,
            Self::Sqs => SQS_SOURCE,
            Self::S3 => S3_SOURCE,
        }
    }

    fn of_source(source: &str) -> Option<Self> {
        [Self::Sns, Self::Sqs, Self::S3]
            .into_iter()
            .find(|kind| kind.event_source() == source)
    }
}

/// One record of an event, read on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventRecord {
    /// A record whose OnFailure text could be read.
    Message {
        /// The SNS `MessageId`, or the SQS `messageId` (what a partial
        /// batch response names), when it could be read.
        message_id: Option<String>,
        /// The OnFailure record's text.
        text: String,
    },
    /// A record that could not be read: its JSON, verbatim, and why.
    Unreadable {
        raw: String,
        reason: String,
        /// The SQS `messageId`, when the record is an SQS message that has
        /// one; `None` for other kinds.
        message_id: Option<String>,
    },
    /// An S3 notification of a created object, to be read.
    Object(S3ObjectRef),
}

/// The object an `ObjectCreated` S3 notification record names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3ObjectRef {
    pub bucket: String,
    /// The key, URL-decoded (notifications carry it form-encoded).
    pub key: String,
    /// The version created, on a versioned bucket.
    pub version_id: Option<String>,
    /// The notification record's JSON, verbatim: kept as the raw text of
    /// the failure when the object cannot be read.
    pub raw: String,
}

impl EventRecord {
    /// The SQS `messageId` of the record, for a partial batch response.
    pub fn message_id(&self) -> Option<&str> {
        match self {
            Self::Message { message_id, .. } | Self::Unreadable { message_id, .. } => {
                message_id.as_deref()
            }
            Self::Object(_) => None,
        }
    }
}

/// Why a payload is not an event this function handles. The invocation
/// fails with [`crate::HydrateError::UnsupportedEvent`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("the event is not JSON")]
    NotJson,
    #[error("the event is {found}, not an object with a Records array")]
    NotAnEvent { found: &'static str },
    #[error("no record of the event names its EventSource")]
    NoEventSource,
    #[error(
        "the event is an {event_source} event; this function reads SNS (aws:sns), \
         SQS (aws:sqs) and S3 (aws:s3) events"
    )]
    WrongKind { event_source: String },
}

/// An event read record by record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    pub records: Vec<EventRecord>,
}

impl Event {
    /// Reads a raw invocation payload.
    pub fn read(payload: &RawValue) -> Result<Self, EventError> {
        let text = payload.get();
        if let Some(found) = json_kind(text).filter(|kind| *kind != "an object") {
            return Err(EventError::NotAnEvent { found });
        }
        let envelope: Envelope<'_> = serde_json::from_str(text).map_err(|_| EventError::NotJson)?;
        let Some(records) = envelope.records else {
            return Err(EventError::NotAnEvent {
                found: "an object without a Records array",
            });
        };
        let sources: Vec<Option<String>> = records.iter().map(|r| event_source(r)).collect();
        // The first known source decides; a record of another source in
        // the same event is then unreadable for that kind, never dropped.
        // An event without records is an empty SNS event, as before.
        let known = sources
            .iter()
            .flatten()
            .find_map(|source| EventKind::of_source(source));
        let kind = match known {
            Some(kind) => kind,
            None if records.is_empty() => EventKind::Sns,
            None => {
                return match sources.into_iter().flatten().next() {
                    Some(event_source) => Err(EventError::WrongKind { event_source }),
                    None => Err(EventError::NoEventSource),
                };
            }
        };
        let read = match kind {
            EventKind::Sns => read_sns_record,
            EventKind::Sqs => read_sqs_record,
            EventKind::S3 => read_s3_record,
        };
        let records = records.into_iter().map(read).collect();
        Ok(Self { kind, records })
    }
}

impl From<SnsEvent> for Event {
    /// A typed SNS event: every record carries its message.
    fn from(event: SnsEvent) -> Self {
        Self {
            kind: EventKind::Sns,
            records: event
                .records
                .into_iter()
                .map(|record| EventRecord::Message {
                    message_id: Some(record.sns.message_id),
                    text: record.sns.message,
                })
                .collect(),
        }
    }
}

const SNS_SOURCE: &str = "aws:sns";
const SQS_SOURCE: &str = "aws:sqs";
const S3_SOURCE: &str = "aws:s3";

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "Records", borrow, default)]
    records: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
struct SourceProbe {
    #[serde(rename = "EventSource", default)]
    upper: Option<String>,
    #[serde(rename = "eventSource", default)]
    lower: Option<String>,
}

#[derive(Deserialize)]
struct SnsRecord<'a> {
    #[serde(rename = "Sns", borrow, default)]
    sns: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct SnsBody<'a> {
    #[serde(rename = "Message", borrow, default)]
    message: Option<&'a RawValue>,
    #[serde(rename = "MessageId", borrow, default)]
    message_id: Option<&'a RawValue>,
}

/// `EventSource` (SNS, S3) or `eventSource` (SQS, Kinesis), when readable.
fn event_source(record: &RawValue) -> Option<String> {
    let probe: SourceProbe = serde_json::from_str(record.get()).ok()?;
    probe.upper.or(probe.lower)
}

fn read_sns_record(record: &RawValue) -> EventRecord {
    match sns_message(record) {
        Ok((text, message_id)) => EventRecord::Message { message_id, text },
        Err(reason) => EventRecord::Unreadable {
            raw: record.get().to_owned(),
            reason: format!("unreadable SNS record: {reason}"),
            message_id: None,
        },
    }
}

#[derive(Deserialize)]
struct SqsRecord<'a> {
    #[serde(rename = "messageId", borrow, default)]
    message_id: Option<&'a RawValue>,
    #[serde(rename = "body", borrow, default)]
    body: Option<&'a RawValue>,
}

fn read_sqs_record(record: &RawValue) -> EventRecord {
    let (message_id, body) = match sqs_message(record) {
        Ok(read) => read,
        Err((message_id, reason)) => {
            return EventRecord::Unreadable {
                raw: record.get().to_owned(),
                reason: format!("unreadable SQS record: {reason}"),
                message_id,
            };
        }
    };
    let text = QueueBody::read(&body).text.into_owned();
    EventRecord::Message {
        message_id: Some(message_id),
        text,
    }
}

/// The SQS record's `messageId` and `body`; on error, the `messageId` when
/// it could be read, and why.
fn sqs_message(record: &RawValue) -> Result<(String, String), (Option<String>, String)> {
    if json_kind(record.get()) != Some("an object") {
        return Err((None, "the record is not a JSON object".to_owned()));
    }
    let record: SqsRecord<'_> = serde_json::from_str(record.get())
        .map_err(|_| (None, "the record is not an SQS message".to_owned()))?;
    let message_id = record
        .message_id
        .and_then(|id| serde_json::from_str::<String>(id.get()).ok())
        .filter(|id| !id.is_empty());
    let body = match record.body {
        None => return Err((message_id, "it has no body".to_owned())),
        Some(body) => match json_kind(body.get()) {
            Some("a string") => serde_json::from_str::<String>(body.get()).map_err(|_| {
                (
                    message_id.clone(),
                    "body is not valid Unicode text (a lone surrogate?)".to_owned(),
                )
            })?,
            Some(kind) => return Err((message_id, format!("body is {kind}, not a string"))),
            None => return Err((message_id, "body is not JSON".to_owned())),
        },
    };
    match message_id {
        Some(message_id) => Ok((message_id, body)),
        None => Err((None, "it has no messageId".to_owned())),
    }
}

#[derive(Deserialize)]
struct S3Record {
    #[serde(rename = "eventName", default)]
    event_name: Option<String>,
    #[serde(default)]
    s3: Option<S3Entity>,
}

#[derive(Deserialize)]
struct S3Entity {
    bucket: S3Bucket,
    object: S3Object,
}

#[derive(Deserialize)]
struct S3Bucket {
    name: String,
}

#[derive(Deserialize)]
struct S3Object {
    key: String,
    #[serde(rename = "versionId", default)]
    version_id: Option<String>,
}

fn read_s3_record(record: &RawValue) -> EventRecord {
    let raw = record.get().to_owned();
    let unreadable = |reason: String| EventRecord::Unreadable {
        raw: raw.clone(),
        reason: format!("unreadable S3 record: {reason}"),
        message_id: None,
    };
    if json_kind(record.get()) != Some("an object") {
        return unreadable("the record is not a JSON object".to_owned());
    }
    let Ok(parsed) = serde_json::from_str::<S3Record>(record.get()) else {
        return unreadable("the record is not an S3 notification record".to_owned());
    };
    let event_name = parsed.event_name.unwrap_or_default();
    if !event_name.starts_with("ObjectCreated:") {
        return unreadable(format!(
            "{event_name:?} is not an ObjectCreated event; only created objects are read"
        ));
    }
    let Some(entity) = parsed.s3 else {
        return unreadable("it has no s3 object".to_owned());
    };
    let Some(key) = decode_key(&entity.object.key) else {
        return unreadable("the object key is not valid URL-encoded UTF-8".to_owned());
    };
    EventRecord::Object(S3ObjectRef {
        bucket: entity.bucket.name,
        key,
        version_id: entity.object.version_id.filter(|v| !v.is_empty()),
        raw,
    })
}

/// S3 notifications carry keys form-encoded: `+` is a space, `%XX` a byte.
fn decode_key(key: &str) -> Option<String> {
    let spaced = key.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .ok()
        .map(|key| key.into_owned())
}

fn sns_message(record: &RawValue) -> Result<(String, Option<String>), String> {
    if json_kind(record.get()) != Some("an object") {
        return Err("the record is not a JSON object".to_owned());
    }
    let record: SnsRecord<'_> =
        serde_json::from_str(record.get()).map_err(|_| "the record is not an SNS record")?;
    let sns = record.sns.ok_or("it has no Sns object")?;
    if json_kind(sns.get()) != Some("an object") {
        return Err("Sns is not an object".to_owned());
    }
    let body: SnsBody<'_> =
        serde_json::from_str(sns.get()).map_err(|_| "Sns is not an SNS message")?;
    let message = body.message.ok_or("it has no Sns.Message")?;
    match json_kind(message.get()) {
        Some("a string") => {}
        Some(kind) => return Err(format!("Sns.Message is {kind}, not a string")),
        None => return Err("Sns.Message is not JSON".to_owned()),
    }
    let text: String = serde_json::from_str(message.get())
        .map_err(|_| "Sns.Message is not valid Unicode text (a lone surrogate?)")?;
    let message_id = body
        .message_id
        .and_then(|id| serde_json::from_str(id.get()).ok());
    Ok((text, message_id))
}

/// What a JSON text is, judged by its first character.
fn json_kind(text: &str) -> Option<&'static str> {
    match text
        .trim_start_matches([' ', '\t', '\n', '\r'])
        .bytes()
        .next()?
    {
        b'{' => Some("an object"),
        b'[' => Some("an array"),
        b'"' => Some("a string"),
        b't' | b'f' => Some("a boolean"),
        b'n' => Some("null"),
        b'-' | b'0'..=b'9' => Some("a number"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SQS_EVENT: &str = include_str!("../../../events/sqs-onfailure-kinesis.json");
    const S3_EVENT: &str = include_str!("../../../events/s3-event-onfailure-object.json");

    fn read(text: &str) -> Result<Event, EventError> {
        let raw = RawValue::from_string(text.to_owned()).expect("JSON");
        Event::read(&raw)
    }

    /// An SQS event gives each body's OnFailure record, raw or out of its
    /// SNS envelope, with the SQS `messageId` a partial batch response names.
    #[test]
    fn an_sqs_event_gives_raw_and_sns_wrapped_records_with_their_message_ids() {
        let event = read(SQS_EVENT).expect("an SQS event");
        assert_eq!(event.kind, EventKind::Sqs);
        let fixture: serde_json::Value = serde_json::from_str(SQS_EVENT).expect("JSON");
        let raw_body = fixture["Records"][0]["body"].as_str().expect("body");
        let [first, second] = event.records.as_slice() else {
            panic!("two records: {:?}", event.records);
        };
        assert_eq!(
            first,
            &EventRecord::Message {
                message_id: Some("059f36b4-87a3-44ab-83d2-661975830a7d".into()),
                text: raw_body.to_owned(),
            }
        );
        assert_eq!(
            second,
            &EventRecord::Message {
                message_id: Some("2e1424d4-f796-459a-8184-9c92662be6da".into()),
                text: raw_body.to_owned(),
            }
        );
    }

    /// An SQS record without a readable body is kept as unreadable, with
    /// its `messageId`, and without quoting its content.
    #[test]
    fn an_sqs_record_without_a_body_is_unreadable_and_keeps_its_message_id() {
        let text =
            r#"{"Records":[{"messageId":"m-1","eventSource":"aws:sqs","body":{"secret":1}}]}"#;
        let event = read(text).expect("an SQS event");
        let EventRecord::Unreadable {
            reason, message_id, ..
        } = &event.records[0]
        else {
            panic!("unreadable: {:?}", event.records);
        };
        assert_eq!(message_id.as_deref(), Some("m-1"));
        assert_eq!(
            reason,
            "unreadable SQS record: body is an object, not a string"
        );
        assert_eq!(event.records[0].message_id(), Some("m-1"));
    }

    /// An S3 `ObjectCreated` notification names its object, the key
    /// URL-decoded, and keeps the notification record verbatim.
    #[test]
    fn an_s3_notification_names_its_object() {
        let event = read(S3_EVENT).expect("an S3 event");
        assert_eq!(event.kind, EventKind::S3);
        let EventRecord::Object(object) = &event.records[0] else {
            panic!("an object: {:?}", event.records);
        };
        assert_eq!(object.bucket, "streamdlq-failures");
        assert!(
            object.key.starts_with(
                "aws/lambda/5f1a9c3e-7b2d-4e8f-a6c1-0d9e8b7a6f54/shardId-000000000000/"
            ),
            "{}",
            object.key
        );
        assert_eq!(object.version_id, None);
        assert!(object.raw.contains("\"ObjectCreated:Put\""));
    }

    /// Keys arrive form-encoded: `+` is a space, `%XX` a byte of UTF-8.
    #[test]
    fn s3_keys_are_url_decoded() {
        assert_eq!(
            decode_key("aws/lambda/a+b/caf%C3%A9%3A1").as_deref(),
            Some("aws/lambda/a b/café:1")
        );
        assert_eq!(decode_key("%FF"), None);
    }

    /// Any other S3 event is kept as unreadable rather than skipped.
    #[test]
    fn an_s3_event_other_than_object_created_is_unreadable() {
        let text = S3_EVENT.replace("ObjectCreated:Put", "ObjectRemoved:Delete");
        let event = read(&text).expect("an S3 event");
        let EventRecord::Unreadable { reason, .. } = &event.records[0] else {
            panic!("unreadable: {:?}", event.records);
        };
        assert!(reason.contains("ObjectRemoved:Delete"), "{reason}");
    }

    /// An event of no known kind is an error that names its source.
    #[test]
    fn an_event_of_no_known_kind_is_an_error() {
        let error = read(r#"{"Records":[{"eventSource":"aws:kinesis"}]}"#).expect_err("unknown");
        assert_eq!(
            error,
            EventError::WrongKind {
                event_source: "aws:kinesis".into()
            }
        );
        assert!(error.to_string().contains("SQS (aws:sqs) and S3 (aws:s3)"));
    }
}
