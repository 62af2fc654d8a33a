//! What an invocation's payload is, read record by record before anything
//! is hydrated.
//!
//! The payload arrives as raw JSON, not as a typed event: a typed reading
//! fails the whole event for one bad record, before the handler runs, so
//! the good records next to it never reach the DLQ. Here the kind of event
//! is recognised from the event itself (its records' `EventSource`), and
//! each record is read on its own: a readable SNS record gives its
//! `Message`, an unreadable one (no `Sns.Message`, `Message: null`, text
//! that is not Unicode such as a lone surrogate) is kept with its raw JSON
//! so that it reaches the DLQ as `unparseable`.
//!
//! Only SNS events are hydrated today; SQS (an SQS failure destination) and
//! S3 (oversized OnFailure records) are further [`EventKind`]s to add here.
//! Reasons never quote the record's text: it may carry anything.

use aws_lambda_events::sns::SnsEvent;
use serde::Deserialize;
use serde_json::value::RawValue;

/// The kinds of event this module recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// `EventSource: aws:sns`, the failure topic's subscription.
    Sns,
}

/// One record of an event, read on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventRecord {
    /// A record whose OnFailure text could be read.
    Message {
        /// The SNS `MessageId`, for the logs, when it could be read.
        message_id: Option<String>,
        /// The OnFailure record's text.
        text: String,
    },
    /// A record that could not be read: its JSON, verbatim, and why.
    Unreadable { raw: String, reason: String },
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
    #[error("the event is an {event_source} event; this function reads SNS events (aws:sns)")]
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
        let kind = if records.is_empty() || sources.iter().flatten().any(|s| s == SNS_SOURCE) {
            EventKind::Sns
        } else if let Some(event_source) = sources.into_iter().flatten().next() {
            return Err(EventError::WrongKind { event_source });
        } else {
            return Err(EventError::NoEventSource);
        };
        let records = records.into_iter().map(read_sns_record).collect();
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
        },
    }
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
