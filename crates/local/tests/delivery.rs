//! SNS -> hydrate delivery against the emulators: the template's resources,
//! real SNS fan-out into the delivery queue, Lambda async semantics.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_lambda_events::sns::SnsEvent;
use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::Value;
use streamdlq_core::invocation::LambdaFunction;
use streamdlq_emulators::Emulators;
use streamdlq_local::StackTemplate;
use streamdlq_local::delivery::{
    AsyncInvocation, AsyncSource, Delivered, Delivery, DeliveryConfig, FunctionError, from_fn,
};
use streamdlq_local::resources::{Clients, StackResources};
use streamdlq_local::template::ids;

const ON_FAILURE: &str = include_str!("../../../events/onfailure-kinesis.json");

async fn stack(name: &str) -> (Clients, StackResources, StackTemplate) {
    let emulators = Emulators::shared().await.expect("emulators start");
    let clients = Clients::new(&emulators.kinesis_config(), &emulators.moto_config());
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra/template.yaml");
    let template = StackTemplate::load(&path).expect("template");
    let resources = StackResources::create(&clients, &template, name)
        .await
        .expect("resources");
    (clients, resources, template)
}

fn delivery(
    clients: &Clients,
    resources: &StackResources,
    template: &StackTemplate,
    function: Arc<dyn LambdaFunction>,
) -> Delivery {
    Delivery::new(
        clients.sqs.clone(),
        DeliveryConfig {
            delivery_queue_url: resources.delivery_queue.url.clone(),
            failure_queue_url: resources.hydrate_failure_queue.url.clone(),
            source: AsyncSource::Sns {
                subscription_arn: resources.subscription_arn.clone(),
            },
            invocation: AsyncInvocation::from_template(
                &template.hydrate,
                resources.function_arn(ids::HYDRATE_FUNCTION),
                Duration::from_millis(10),
            ),
            wait: Duration::from_secs(2),
        },
        function,
    )
}

async fn publish(clients: &Clients, resources: &StackResources, message: &str) {
    clients
        .sns
        .publish()
        .topic_arn(&resources.topic_arn)
        .message(message)
        .send()
        .await
        .expect("publish");
}

/// Polls until something is delivered or 10 s pass.
async fn deliver_one(delivery: &Delivery) -> Delivered {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut delivered = delivery.poll_once().await.expect("poll");
        if let Some(first) = delivered.pop() {
            assert!(delivered.is_empty(), "one delivery expected");
            return first;
        }
        assert!(Instant::now() < deadline, "nothing was delivered");
    }
}

async fn drain(clients: &Clients, queue_url: &str) -> Vec<String> {
    let mut bodies = Vec::new();
    loop {
        let messages = clients
            .sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("receive")
            .messages
            .unwrap_or_default();
        if messages.is_empty() {
            return bodies;
        }
        for message in messages {
            clients
                .sqs
                .delete_message()
                .queue_url(queue_url)
                .receipt_handle(message.receipt_handle.expect("handle"))
                .send()
                .await
                .expect("delete");
            bodies.push(message.body.expect("body"));
        }
    }
}

/// A hydrate function that fails every time is tried three times (two
/// retries from the template); then the failure queue gets the AWS async
/// failure record carrying the original SnsEvent, and the delivery is gone.
#[tokio::test]
async fn failing_function_reaches_the_failure_queue_after_two_retries() {
    let (clients, resources, template) = stack("delivery-fails").await;
    let seen: Arc<Mutex<Vec<SnsEvent>>> = Arc::default();
    let recorder = seen.clone();
    let function = from_fn(move |event: SnsEvent| {
        recorder.lock().expect("lock").push(event);
        async {
            Err(FunctionError::new(
                "DlqUnavailable",
                "the DLQ refused the write",
            ))
        }
    });
    let delivery = delivery(&clients, &resources, &template, function);
    publish(&clients, &resources, ON_FAILURE).await;

    let delivered = deliver_one(&delivery).await;
    assert!(
        matches!(delivered, Delivered::Failed { attempts: 3, .. }),
        "{delivered:?}"
    );
    let seen = seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 3, "one attempt and two retries");
    assert!(
        seen.iter().all(|event| event == &seen[0]),
        "every attempt gets the same event"
    );

    let failures = drain(&clients, &resources.hydrate_failure_queue.url).await;
    assert_eq!(failures.len(), 1);
    let record: Value = serde_json::from_str(&failures[0]).expect("failure record is JSON");
    assert_eq!(record["version"], "1.0");
    assert!(
        record["timestamp"]
            .as_str()
            .expect("timestamp")
            .ends_with('Z')
    );
    let context = &record["requestContext"];
    assert_eq!(context["condition"], "RetriesExhausted");
    assert_eq!(context["approximateInvokeCount"], 3);
    assert_eq!(
        context["functionArn"],
        format!("{}:$LATEST", resources.function_arn(ids::HYDRATE_FUNCTION))
    );
    assert_eq!(record["responseContext"]["functionError"], "Unhandled");
    assert_eq!(record["responsePayload"]["errorType"], "DlqUnavailable");
    assert_eq!(
        record["responsePayload"]["errorMessage"],
        "the DLQ refused the write"
    );
    let payload: SnsEvent =
        serde_json::from_value(record["requestPayload"].clone()).expect("an SnsEvent");
    assert_eq!(payload, seen[0]);
    let sns = &payload.records[0].sns;
    assert_eq!(
        sns.message, ON_FAILURE,
        "the OnFailure record travels verbatim"
    );
    assert_eq!(sns.topic_arn, resources.topic_arn);
    assert_eq!(
        payload.records[0].event_subscription_arn,
        resources.subscription_arn
    );

    assert!(
        drain(&clients, &resources.delivery_queue.url)
            .await
            .is_empty()
    );
}

/// A function that fails once succeeds on its first retry: nothing reaches
/// the failure queue and the delivery is deleted.
#[tokio::test]
async fn retried_success_leaves_no_failure() {
    let (clients, resources, template) = stack("delivery-recovers").await;
    let calls = Arc::new(Mutex::new(0));
    let counter = calls.clone();
    let function = from_fn(move |_event| {
        let call = {
            let mut calls = counter.lock().expect("lock");
            *calls += 1;
            *calls
        };
        async move {
            if call == 1 {
                Err(FunctionError::new("Throttled", "try again"))
            } else {
                Ok(())
            }
        }
    });
    let delivery = delivery(&clients, &resources, &template, function);
    publish(&clients, &resources, ON_FAILURE).await;

    assert_eq!(
        deliver_one(&delivery).await,
        Delivered::Succeeded { attempts: 2 }
    );
    assert_eq!(*calls.lock().expect("lock"), 2);
    assert!(
        drain(&clients, &resources.hydrate_failure_queue.url)
            .await
            .is_empty()
    );
    assert!(
        drain(&clients, &resources.delivery_queue.url)
            .await
            .is_empty()
    );
}

/// The template's resources exist with its settings, and the hydrate
/// function's environment resolves to them.
#[tokio::test]
async fn creates_the_template_resources() {
    let (clients, resources, template) = stack("resources").await;
    let summary = clients
        .kinesis
        .describe_stream_summary()
        .stream_name(&resources.stream.name)
        .send()
        .await
        .expect("stream")
        .stream_description_summary
        .expect("summary");
    assert_eq!(summary.stream_arn, resources.stream.arn);
    assert_eq!(summary.open_shard_count, template.stream.shard_count as i32);
    let attributes = clients
        .sqs
        .get_queue_attributes()
        .queue_url(&resources.dead_letter_queue.url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .expect("attributes")
        .attributes
        .expect("attributes");
    for (name, value) in template.dead_letter_queue.attributes() {
        assert_eq!(
            attributes.get(&QueueAttributeName::from(name)),
            Some(&value),
            "{name}"
        );
    }
    let environment = resources
        .environment(ids::HYDRATE_FUNCTION, &template.hydrate.environment)
        .expect("resolves");
    assert_eq!(environment["DLQ_URL"], resources.dead_letter_queue.url);
    // The stream and the table's stream, created with the table.
    let table = resources.table.as_ref().expect("the demo table");
    assert_eq!(
        environment["ALLOWED_STREAM_ARNS"],
        format!("{},{}", resources.stream.arn, table.stream_arn)
    );
    let described = clients
        .dynamodb
        .describe_table()
        .table_name(&table.name)
        .send()
        .await
        .expect("table")
        .table
        .expect("description");
    assert_eq!(
        described.latest_stream_arn.as_deref(),
        Some(table.stream_arn.as_str())
    );
    assert_eq!(
        described
            .stream_specification
            .and_then(|stream| stream.stream_view_type)
            .map(|view| view.as_str().to_owned()),
        template
            .table
            .as_ref()
            .map(|spec| spec.stream_view_type.clone())
    );
}
