//! `QueueBody::read`, the one reading of an SQS message body (the hydrate
//! function's SQS events and the `--from-queue` rescue).
//!
//! An even first byte: the rest is any body. A body kept whole is kept
//! byte for byte; a body opened as an SNS envelope is a JSON object whose
//! `Type` is `Notification`, and the text is its `Message` exactly, with
//! its `MessageId` and `TopicArn`. An odd first byte: the rest is a record's
//! text that the input wraps in an SNS envelope (members in an order and
//! with extra members the input picks); it must come out exactly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};
use streamdlq_core::{QueueBody, QueueBodyWrapping};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    if mode % 2 == 0 {
        any_body(text);
    } else {
        wrapped(mode, text);
    }
});

fn any_body(body: &str) {
    let read = QueueBody::read(body);
    match read.wrapping {
        QueueBodyWrapping::Raw => assert_eq!(read.text, body, "a raw body altered"),
        QueueBodyWrapping::SnsNotification {
            message_id,
            topic_arn,
        } => {
            let envelope: Value = serde_json::from_str(body).expect("an opened body is JSON");
            assert_eq!(envelope["Type"], "Notification");
            assert_eq!(envelope["Message"].as_str(), Some(&*read.text));
            assert_eq!(message_id.as_deref(), envelope["MessageId"].as_str());
            assert_eq!(topic_arn.as_deref(), envelope["TopicArn"].as_str());
        }
    }
}

fn wrapped(mode: u8, message: &str) {
    let mut members = vec![
        ("Type", Value::from("Notification")),
        (
            "MessageId",
            Value::from("4f7c0e0e-1111-2222-3333-444455556666"),
        ),
        (
            "TopicArn",
            Value::from("arn:aws:sns:us-east-1:123456789012:failures"),
        ),
        ("Message", Value::from(message)),
        ("Timestamp", Value::from("2026-11-29T05:00:00.000Z")),
        (
            "MessageAttributes",
            serde_json::json!({"a": {"Type": "String", "Value": message}}),
        ),
    ];
    let turn = usize::from(mode / 2) % members.len();
    members.rotate_left(turn);
    if mode & 0x80 != 0 {
        members.swap(0, 3);
    }
    let envelope: Map<String, Value> = members
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
    let body = if mode & 0x40 != 0 {
        serde_json::to_string_pretty(&envelope)
    } else {
        serde_json::to_string(&envelope)
    }
    .expect("serialises");
    let read = QueueBody::read(&body);
    assert_eq!(read.text, message, "the envelope's message altered");
    assert_eq!(
        read.wrapping,
        QueueBodyWrapping::SnsNotification {
            message_id: Some("4f7c0e0e-1111-2222-3333-444455556666".to_owned()),
            topic_arn: Some("arn:aws:sns:us-east-1:123456789012:failures".to_owned()),
        }
    );
}
