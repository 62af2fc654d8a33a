//! From the SNS envelope that a subscribed SQS queue receives to the
//! `SnsEvent` that SNS gives a Lambda function.
//!
//! With `RawMessageDelivery` false, SNS puts a JSON envelope in the SQS
//! body. A Lambda subscription sees the same notification as one record of
//! an `SnsEvent`; the fields map one to one except the two URL fields,
//! spelled `SigningCertURL`/`UnsubscribeURL` in the envelope and
//! `SigningCertUrl`/`UnsubscribeUrl` in the event.

use aws_lambda_events::sns::SnsEvent;
use serde_json::{Map, Value, json};

/// The `EventVersion` SNS puts in Lambda events.
const EVENT_VERSION: &str = "1.0";

/// Envelope fields copied under the same name.
const SAME_NAME: [&str; 7] = [
    "Type",
    "MessageId",
    "TopicArn",
    "Message",
    "Timestamp",
    "SignatureVersion",
    "Signature",
];

/// The SQS body was not an SNS notification envelope.
#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    #[error("the delivery is not JSON")]
    NotJson(#[source] serde_json::Error),
    #[error("the delivery is not an SNS notification: {0}")]
    NotNotification(String),
}

/// The Lambda event for one SNS notification delivered through SQS.
pub fn sns_event(body: &str, subscription_arn: &str) -> Result<SnsEvent, EnvelopeError> {
    let envelope: Map<String, Value> =
        serde_json::from_str(body).map_err(EnvelopeError::NotJson)?;
    if envelope.get("Type").and_then(Value::as_str) != Some("Notification") {
        return Err(EnvelopeError::NotNotification(
            "its Type is not \"Notification\"".to_owned(),
        ));
    }
    let mut sns = Map::new();
    for name in SAME_NAME {
        let value = envelope
            .get(name)
            .cloned()
            .ok_or_else(|| EnvelopeError::NotNotification(format!("it has no {name}")))?;
        sns.insert(name.to_owned(), value);
    }
    for (from, to) in [
        ("SigningCertURL", "SigningCertUrl"),
        ("UnsubscribeURL", "UnsubscribeUrl"),
    ] {
        let value = envelope.get(from).cloned().unwrap_or_else(|| json!(""));
        sns.insert(to.to_owned(), value);
    }
    sns.insert(
        "Subject".to_owned(),
        envelope.get("Subject").cloned().unwrap_or(Value::Null),
    );
    sns.insert(
        "MessageAttributes".to_owned(),
        envelope
            .get("MessageAttributes")
            .cloned()
            .unwrap_or_else(|| json!({})),
    );
    let event = json!({
        "Records": [{
            "EventSource": "aws:sns",
            "EventVersion": EVENT_VERSION,
            "EventSubscriptionArn": subscription_arn,
            "Sns": sns,
        }]
    });
    serde_json::from_value(event).map_err(|error| EnvelopeError::NotNotification(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUBSCRIPTION: &str = "arn:aws:sns:us-east-1:000000000000:streamdlq-FailureTopic:1234";

    fn envelope() -> Value {
        json!({
            "Type": "Notification",
            "MessageId": "5a1c7b1e-0000-4000-8000-000000000001",
            "TopicArn": "arn:aws:sns:us-east-1:000000000000:streamdlq-FailureTopic",
            "Message": "{\"version\":\"1.0\"}",
            "Timestamp": "2025-01-02T03:04:05.678Z",
            "SignatureVersion": "1",
            "Signature": "c2lnbmF0dXJl",
            "SigningCertURL": "https://sns.us-east-1.amazonaws.com/cert.pem",
            "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
            "MessageAttributes": {"kind": {"Type": "String", "Value": "failure"}}
        })
    }

    /// Every envelope field lands in the record, the URL fields renamed, the
    /// message kept as the same string.
    #[test]
    fn maps_every_envelope_field() {
        let event = sns_event(&envelope().to_string(), SUBSCRIPTION).expect("maps");
        let value = serde_json::to_value(&event).expect("serialises");
        let record = &value["Records"][0];
        assert_eq!(record["EventSource"], "aws:sns");
        assert_eq!(record["EventVersion"], "1.0");
        assert_eq!(record["EventSubscriptionArn"], SUBSCRIPTION);
        let sns = &record["Sns"];
        for name in SAME_NAME {
            if name != "Timestamp" {
                assert_eq!(sns[name], envelope()[name], "{name}");
            }
        }
        assert_eq!(sns["Timestamp"], "2025-01-02T03:04:05.678Z");
        assert_eq!(sns["SigningCertUrl"], envelope()["SigningCertURL"]);
        assert_eq!(sns["UnsubscribeUrl"], envelope()["UnsubscribeURL"]);
        assert_eq!(sns["Subject"], Value::Null);
        assert_eq!(sns["MessageAttributes"]["kind"]["Value"], "failure");
    }

    /// A subject, when published with one, is kept.
    #[test]
    fn keeps_the_subject() {
        let mut body = envelope();
        body["Subject"] = json!("batch failed");
        let event = sns_event(&body.to_string(), SUBSCRIPTION).expect("maps");
        assert_eq!(
            event.records[0].sns.subject.as_deref(),
            Some("batch failed")
        );
    }

    /// Something that is not a notification is refused, not half-delivered.
    #[test]
    fn refuses_what_is_not_a_notification() {
        assert!(matches!(
            sns_event("not json", SUBSCRIPTION),
            Err(EnvelopeError::NotJson(_))
        ));
        let mut body = envelope();
        body["Type"] = json!("SubscriptionConfirmation");
        assert!(sns_event(&body.to_string(), SUBSCRIPTION).is_err());
        let mut body = envelope();
        body.as_object_mut().expect("object").remove("Message");
        let error = sns_event(&body.to_string(), SUBSCRIPTION).expect_err("no message");
        assert!(error.to_string().contains("Message"), "{error}");
    }
}
