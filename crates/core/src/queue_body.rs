//! An OnFailure record as it arrives in the body of an SQS message.
//!
//! AWS contract honoured here:
//! - An event source mapping whose OnFailure destination is a queue sends the
//!   OnFailure record itself as the message body.
//! - A queue subscribed to an SNS topic *without* raw message delivery gets
//!   the SNS notification envelope instead: a JSON object with
//!   `"Type": "Notification"`, `TopicArn`, `MessageId` and the record as the
//!   string `Message`. With raw message delivery the body is the record.
//!
//! Both the hydrate function (an SQS event from a failure queue) and the
//! `streamdlq hydrate --from-queue` rescue read bodies through
//! [`QueueBody::read`], so the two can never disagree about what a body
//! holds. Nothing is judged here: a body that is neither form is returned
//! as it is, and the OnFailure parser then keeps it as `unparseable` with
//! its raw text, so no body is ever dropped.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

/// The OnFailure text carried by one queue message body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueBody<'a> {
    /// The OnFailure record's text, or the whole body when it is not an
    /// SNS envelope.
    pub text: Cow<'a, str>,
    /// How the record was carried.
    pub wrapping: QueueBodyWrapping,
}

/// How a queue message carried its OnFailure record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueBodyWrapping {
    /// The body is the record (an OnFailure queue, or raw SNS delivery).
    Raw,
    /// The body is an SNS notification envelope; the record was its
    /// `Message`.
    SnsNotification {
        /// The envelope's `MessageId`, when it had one.
        message_id: Option<String>,
        /// The topic that published it, when named.
        topic_arn: Option<String>,
    },
}

impl<'a> QueueBody<'a> {
    /// Reads a message body: the SNS envelope is opened when the body is
    /// one; anything else is the record's text as it stands.
    pub fn read(body: &'a str) -> Self {
        match sns_envelope(body) {
            Some(envelope) => Self {
                text: Cow::Owned(envelope.message),
                wrapping: QueueBodyWrapping::SnsNotification {
                    message_id: envelope.message_id,
                    topic_arn: envelope.topic_arn,
                },
            },
            None => Self {
                text: Cow::Borrowed(body),
                wrapping: QueueBodyWrapping::Raw,
            },
        }
    }

    /// Whether the record came inside an SNS envelope.
    pub fn is_sns_wrapped(&self) -> bool {
        matches!(self.wrapping, QueueBodyWrapping::SnsNotification { .. })
    }
}

#[derive(Deserialize)]
struct EnvelopeProbe<'a> {
    #[serde(rename = "Type", default)]
    kind: Option<String>,
    #[serde(rename = "Message", borrow, default)]
    message: Option<&'a RawValue>,
    #[serde(rename = "MessageId", default)]
    message_id: Option<serde_json::Value>,
    #[serde(rename = "TopicArn", default)]
    topic_arn: Option<serde_json::Value>,
}

struct SnsEnvelope {
    message: String,
    message_id: Option<String>,
    topic_arn: Option<String>,
}

/// The envelope's parts when `body` is an SNS notification whose `Message`
/// is a string; `None` otherwise, so the body is kept whole. An envelope
/// whose `Message` is not a string is not opened: reading it as the record
/// would lose the envelope, keeping it loses nothing.
fn sns_envelope(body: &str) -> Option<SnsEnvelope> {
    if !body.trim_start().starts_with('{') {
        return None;
    }
    let probe: EnvelopeProbe<'_> = serde_json::from_str(body).ok()?;
    if probe.kind.as_deref() != Some("Notification") {
        return None;
    }
    let message: String = serde_json::from_str(probe.message?.get()).ok()?;
    let as_text = |value: Option<serde_json::Value>| match value {
        Some(serde_json::Value::String(text)) => Some(text),
        _ => None,
    };
    Some(SnsEnvelope {
        message,
        message_id: as_text(probe.message_id),
        topic_arn: as_text(probe.topic_arn),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD: &str = r#"{"requestContext":{"condition":"RetryAttemptsExhausted"},"KinesisBatchInfo":{"shardId":"shardId-000000000000"}}"#;

    /// A raw OnFailure body is the record itself, borrowed.
    #[test]
    fn a_raw_record_is_the_body() {
        let body = QueueBody::read(RECORD);
        assert_eq!(body.text, RECORD);
        assert!(matches!(body.text, Cow::Borrowed(_)));
        assert_eq!(body.wrapping, QueueBodyWrapping::Raw);
    }

    /// A queue subscribed to a topic without raw delivery gets the SNS
    /// envelope; the record is its `Message`, unescaped exactly.
    #[test]
    fn an_sns_envelope_gives_its_message() {
        let envelope = serde_json::json!({
            "Type": "Notification",
            "MessageId": "4f7c0e0e-1111-2222-3333-444455556666",
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:failures",
            "Message": RECORD,
            "Timestamp": "2026-11-29T05:00:00.000Z",
        })
        .to_string();
        let body = QueueBody::read(&envelope);
        assert_eq!(body.text, RECORD);
        assert!(body.is_sns_wrapped());
        assert_eq!(
            body.wrapping,
            QueueBodyWrapping::SnsNotification {
                message_id: Some("4f7c0e0e-1111-2222-3333-444455556666".into()),
                topic_arn: Some("arn:aws:sns:us-east-1:123456789012:failures".into()),
            }
        );
    }

    /// Bodies that are not an envelope with a string `Message` are kept
    /// whole, so the parser after this keeps their raw text.
    #[test]
    fn anything_else_is_kept_whole() {
        for body in [
            "",
            "not json",
            "[1,2]",
            r#"{"Type":"Notification"}"#,
            r#"{"Type":"Notification","Message":null}"#,
            r#"{"Type":"Notification","Message":{"nested":true}}"#,
            r#"{"Type":"SubscriptionConfirmation","Message":"x"}"#,
            r#"{"Type":"Notification","Message":"x""#,
        ] {
            let read = QueueBody::read(body);
            assert_eq!(read.text, body, "{body:?}");
            assert_eq!(read.wrapping, QueueBodyWrapping::Raw, "{body:?}");
        }
    }
}
