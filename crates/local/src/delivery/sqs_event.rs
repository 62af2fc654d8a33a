//! The `SqsEvent` Lambda's SQS event source gives a function for a batch of
//! received messages: per message its `messageId`, `receiptHandle`, `body`,
//! `attributes` (the system attributes the receive asked for), `md5OfBody`,
//! `messageAttributes`, `eventSource` `aws:sqs`, `eventSourceARN` and
//! `awsRegion`. Built with `aws_lambda_events`' types, the ones a Rust
//! function reads it with.

use std::collections::HashMap;

use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use aws_sdk_sqs::types::Message;

/// The event for `messages`, received from the queue `queue_arn`.
pub fn sqs_event(messages: &[Message], queue_arn: &str, region: &str) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = messages
        .iter()
        .map(|message| {
            let mut record = SqsMessage::default();
            record.message_id = message.message_id.clone();
            record.receipt_handle = message.receipt_handle.clone();
            record.body = message.body.clone();
            record.md5_of_body = message.md5_of_body.clone();
            record.md5_of_message_attributes = message.md5_of_message_attributes.clone();
            record.attributes = message
                .attributes
                .iter()
                .flatten()
                .map(|(name, value)| (name.as_str().to_owned(), value.clone()))
                .collect::<HashMap<_, _>>();
            record.event_source = Some("aws:sqs".to_owned());
            record.event_source_arn = Some(queue_arn.to_owned());
            record.aws_region = Some(region.to_owned());
            record
        })
        .collect();
    event
}

#[cfg(test)]
mod tests {
    use aws_sdk_sqs::types::MessageSystemAttributeName;
    use serde_json::Value;

    use super::*;

    const QUEUE_ARN: &str = "arn:aws:sqs:us-east-1:000000000000:streamdlq-FailureQueue";

    /// Every field Lambda sets is there, under Lambda's names, and the body
    /// is the message's, unchanged.
    #[test]
    fn has_the_fields_lambda_sets() {
        let body = include_str!("../../../../events/onfailure-kinesis.json");
        let message = Message::builder()
            .message_id("059f36b4-87a3-44ab-83d2-661975830a7d")
            .receipt_handle("AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a")
            .body(body)
            .md5_of_body("e4e68fb7bd0e697a0ae8f1bb342846b3")
            .attributes(MessageSystemAttributeName::ApproximateReceiveCount, "1")
            .attributes(MessageSystemAttributeName::SentTimestamp, "1795428942318")
            .build();

        let event = sqs_event(&[message], QUEUE_ARN, "us-east-1");
        let value = serde_json::to_value(&event).expect("serialises");
        let record = &value["Records"][0];
        assert_eq!(record["messageId"], "059f36b4-87a3-44ab-83d2-661975830a7d");
        assert_eq!(
            record["receiptHandle"],
            "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a"
        );
        assert_eq!(record["body"], body);
        assert_eq!(record["md5OfBody"], "e4e68fb7bd0e697a0ae8f1bb342846b3");
        assert_eq!(record["attributes"]["ApproximateReceiveCount"], "1");
        assert_eq!(record["attributes"]["SentTimestamp"], "1795428942318");
        assert_eq!(
            record["messageAttributes"],
            Value::Object(Default::default())
        );
        assert_eq!(record["eventSource"], "aws:sqs");
        assert_eq!(record["eventSourceARN"], QUEUE_ARN);
        assert_eq!(record["awsRegion"], "us-east-1");
    }
}
