//! moto delivers SNS publications into subscribed SQS queues.

use aws_sdk_sns::Client as Sns;
use aws_sdk_sqs::Client as Sqs;
use aws_sdk_sqs::types::QueueAttributeName;
use streamdlq_emulators::Emulators;

/// A message published to a topic arrives in a subscribed queue wrapped in the
/// SNS envelope (RawMessageDelivery false), as the hydrate trigger sees it.
#[tokio::test]
async fn fans_out_topic_messages_to_a_subscribed_queue() {
    let emulators = Emulators::shared().await.expect("emulators start");
    let config = emulators.moto_config();
    let (sns, sqs) = (Sns::new(&config), Sqs::new(&config));

    let topic_arn = sns
        .create_topic()
        .name("harness-fan-out")
        .send()
        .await
        .expect("create topic")
        .topic_arn
        .expect("topic arn");
    let queue_url = sqs
        .create_queue()
        .queue_name("harness-fan-out")
        .send()
        .await
        .expect("create queue")
        .queue_url
        .expect("queue url");
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("queue attributes")
        .attributes
        .and_then(|attributes| attributes.get(&QueueAttributeName::QueueArn).cloned())
        .expect("queue arn");
    sns.subscribe()
        .topic_arn(&topic_arn)
        .protocol("sqs")
        .endpoint(&queue_arn)
        .attributes("RawMessageDelivery", "false")
        .send()
        .await
        .expect("subscribe");

    let message = r#"{"KinesisBatchInfo":{"shardId":"shardId-000000000000"}}"#;
    let message_id = sns
        .publish()
        .topic_arn(&topic_arn)
        .message(message)
        .send()
        .await
        .expect("publish")
        .message_id
        .expect("message id");

    let received = sqs
        .receive_message()
        .queue_url(&queue_url)
        .wait_time_seconds(5)
        .send()
        .await
        .expect("receive")
        .messages
        .unwrap_or_default();
    assert_eq!(received.len(), 1);
    for delivered in &received {
        sqs.delete_message()
            .queue_url(&queue_url)
            .receipt_handle(delivered.receipt_handle.clone().expect("receipt handle"))
            .send()
            .await
            .expect("delete");
    }

    let envelope: serde_json::Value =
        serde_json::from_str(received[0].body.as_deref().expect("body")).expect("SNS envelope");
    assert_eq!(envelope["Type"], "Notification");
    assert_eq!(envelope["TopicArn"], topic_arn.as_str());
    assert_eq!(envelope["MessageId"], message_id.as_str());
    assert_eq!(
        envelope["Message"], message,
        "the message travels as a JSON string"
    );
}
