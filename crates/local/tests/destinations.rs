//! The mapping's OnFailure destination as a queue and as a bucket, against
//! the emulators: the ESM writes AWS's format for each (the record as the
//! body; one object per batch with the record plus `payload`, under AWS's
//! key layout), and the local delivery hands it to a function the way
//! Lambda does (an SQS event source with partial batch responses; S3
//! notifications as async invocations).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use aws_sdk_sqs::types::QueueAttributeName;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use futures::FutureExt as _;
use serde_json::Value;
use streamdlq_core::invocation::{FnFunction, FunctionAnswer, LambdaFunction, QueueBatchVerdict};
use streamdlq_core::{FunctionError, HydrationStatus, RecordsFrom, SequenceNumber, assemble};
use streamdlq_emulators::{EmulatorOptions, Emulators};
use streamdlq_local::delivery::{
    AsyncInvocation, AsyncSource, Delivered, Delivery, DeliveryConfig, SqsBatchOutcome,
    SqsEventSource, SqsSourceConfig,
};
use streamdlq_local::resources::{Clients, CreatedDestination, StackResources};
use streamdlq_local::stack::{HydrateFactory, ProcessorTarget, in_process_hydrate};
use streamdlq_local::template::ids;
use streamdlq_local::{Stack, StackOptions, StackTemplate};

const WITH_PILL: &str = include_str!("../../../events/test-records-with-poison-pill.json");
const ON_FAILURE: &str = include_str!("../../../events/onfailure-kinesis.json");
const SQS_TEMPLATE: &str = include_str!("fixtures/template-sqs-destination.yaml");
const S3_TEMPLATE: &str = include_str!("fixtures/template-s3-destination.yaml");

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

async fn start(template: &str, name: &str, hydrate: Option<HydrateFactory>) -> Stack {
    Stack::start(StackOptions {
        template: fixture(template),
        stack_name: name.to_owned(),
        emulators: EmulatorOptions::from_env().expect("emulators installed"),
        async_retry_delay: Duration::from_millis(50),
        delivery_wait: Duration::from_secs(1),
        processor: ProcessorTarget::InProcess,
        hydrate,
    })
    .await
    .expect("stack starts")
}

/// The template's resources in the shared emulators, under `name`.
async fn resources(template: &str, name: &str) -> (Clients, StackResources, StackTemplate) {
    let emulators = Emulators::shared().await.expect("emulators start");
    let clients = Clients::new(&emulators.kinesis_config(), &emulators.moto_config());
    let template = StackTemplate::parse(template).expect("template");
    let resources = StackResources::create(&clients, &template, name)
        .await
        .expect("resources");
    (clients, resources, template)
}

/// Puts the file with the poison pill; returns the pill's sequence number
/// and bytes.
async fn put_pill(stack: &Stack) -> (String, Vec<u8>) {
    let entries: Vec<Value> = serde_json::from_str(WITH_PILL).expect("PutRecords file");
    let data: Vec<Vec<u8>> = entries
        .iter()
        .map(|entry| {
            STANDARD
                .decode(entry["Data"].as_str().expect("Data"))
                .expect("base64")
        })
        .collect();
    let mut request = stack
        .clients()
        .kinesis
        .put_records()
        .stream_name(&stack.resources().stream.name);
    for (entry, bytes) in entries.iter().zip(&data) {
        request = request.records(
            PutRecordsRequestEntry::builder()
                .data(Blob::new(bytes.clone()))
                .partition_key(entry["PartitionKey"].as_str().expect("key"))
                .build()
                .expect("entry"),
        );
    }
    let answer = request.send().await.expect("put records");
    assert_eq!(answer.failed_record_count, Some(0));
    let at = data
        .iter()
        .position(|bytes| bytes.windows(14).any(|w| w == br#""AtomicMass":""#))
        .expect("the pill");
    let sequence_number = answer.records[at]
        .sequence_number
        .clone()
        .expect("sequence number");
    (sequence_number, data[at].clone())
}

/// Receives from `queue_url` until something arrives (30 s at most) and
/// deletes what it read.
async fn receive_some(clients: &Clients, queue_url: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
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
        if !messages.is_empty() {
            for message in &messages {
                clients
                    .sqs
                    .delete_message()
                    .queue_url(queue_url)
                    .receipt_handle(message.receipt_handle.clone().expect("handle"))
                    .send()
                    .await
                    .expect("delete");
            }
            return messages
                .into_iter()
                .map(|m| m.body.expect("body"))
                .collect();
        }
        assert!(Instant::now() < deadline, "nothing arrived in {queue_url}");
    }
}

async fn depths(clients: &Clients, queue_url: &str) -> (u64, u64) {
    let attributes = clients
        .sqs
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .expect("attributes")
        .attributes
        .unwrap_or_default();
    let number = |name: QueueAttributeName| {
        attributes
            .get(&name)
            .and_then(|value| value.parse().ok())
            .unwrap_or(u64::MAX)
    };
    (
        number(QueueAttributeName::ApproximateNumberOfMessages),
        number(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
    )
}

/// The DLQ holds exactly the pill, hydrated byte-exact, from the failure of
/// its range, with the records taken from `from`.
async fn assert_dlq_holds_the_pill(stack: &Stack, pill: &(String, Vec<u8>), from: RecordsFrom) {
    let bodies = receive_some(stack.clients(), &stack.resources().dead_letter_queue.url).await;
    let failures = assemble(bodies.iter().map(String::as_str));
    assert_eq!(failures.len(), 1, "one failure");
    let failure = failures.into_iter().next().expect("one").expect("readable");
    assert_eq!(failure.hydration.status, HydrationStatus::Complete);
    assert_eq!(failure.hydration.records_from, Some(from));
    assert_eq!(failure.records.len(), 1, "exactly the poison pill");
    let record = &failure.records[0];
    assert_eq!(
        record.sequence_number,
        SequenceNumber::parse(&pill.0).expect("sequence number")
    );
    assert_eq!(record.data, pill.1, "byte-exact");
}

/// A scripted function over the raw event: records each event, answers
/// with `answer(event)`.
fn scripted(
    answer: impl Fn(&Value) -> FunctionAnswer + Send + Sync + 'static,
) -> (Arc<dyn LambdaFunction>, Arc<Mutex<Vec<Value>>>) {
    let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
    let log = seen.clone();
    let function = FnFunction::new("scripted", move |event: Vec<u8>| {
        let event: Value = serde_json::from_slice(&event).expect("the event is JSON");
        let answer = answer(&event);
        log.lock().expect("lock").push(event);
        futures::future::ready(answer).boxed()
    });
    (Arc::new(function), seen)
}

/// The ESM puts the pill's OnFailure record in the queue as the message
/// body, exactly the record SNS would carry: no envelope, no payload.
#[tokio::test]
async fn esm_sends_the_onfailure_record_to_a_queue_as_the_body() {
    let stack = start("template-sqs-destination.yaml", "dest-sqs-esm", None).await;
    let pill = put_pill(&stack).await;
    let CreatedDestination::Queue { queue, .. } = &stack.resources().failure_destination else {
        panic!("a queue destination");
    };

    let bodies = receive_some(stack.clients(), &queue.url).await;
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    let record: Value = serde_json::from_str(&bodies[0]).expect("the body is the record");
    let info = &record["KinesisBatchInfo"];
    assert_eq!(info["startSequenceNumber"], pill.0.as_str());
    assert_eq!(info["endSequenceNumber"], pill.0.as_str());
    assert_eq!(info["streamArn"], stack.resources().stream.arn);
    assert_eq!(
        record["requestContext"]["condition"],
        "RetryAttemptsExhausted"
    );
    assert!(
        record.get("payload").is_none(),
        "a queue gets metadata only"
    );
    assert!(record.get("Type").is_none(), "no SNS envelope");
    stack.stop().await.expect("stops");
}

/// The ESM writes one object for the pill's batch: AWS's key layout
/// (mapping, shard, date folders, time with dots, UUID), the OnFailure
/// record with the event the function was given as `payload`, holding the
/// pill's bytes.
#[tokio::test]
async fn esm_writes_one_object_per_failed_batch_to_a_bucket() {
    let stack = start("template-s3-destination.yaml", "dest-s3-esm", None).await;
    let pill = put_pill(&stack).await;
    let CreatedDestination::Bucket { name, .. } = &stack.resources().failure_destination else {
        panic!("a bucket destination");
    };
    let s3 = &stack.clients().s3;

    let deadline = Instant::now() + Duration::from_secs(30);
    let key = loop {
        let listed = s3
            .list_objects_v2()
            .bucket(name)
            .send()
            .await
            .expect("list");
        if let Some(object) = listed.contents().first() {
            assert_eq!(listed.contents().len(), 1, "one object");
            break object.key().expect("key").to_owned();
        }
        assert!(Instant::now() < deadline, "no object was written");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let parts: Vec<&str> = key.split('/').collect();
    assert_eq!(parts.len(), 8, "{key}");
    assert_eq!(&parts[..2], ["aws", "lambda"], "{key}");
    assert!(uuid::Uuid::parse_str(parts[2]).is_ok(), "{key}");
    assert_eq!(parts[3], "shardId-000000000000", "{key}");
    let date = format!("{}-{}-{}T", parts[4], parts[5], parts[6]);
    assert!(parts[7].starts_with(&date), "{key}");
    let (time, object_uuid) = parts[7][date.len()..].split_at(8);
    assert!(
        time.len() == 8 && time.as_bytes()[2] == b'.' && time.as_bytes()[5] == b'.',
        "{key}"
    );
    assert!(uuid::Uuid::parse_str(&object_uuid[1..]).is_ok(), "{key}");

    let object = s3
        .get_object()
        .bucket(name)
        .key(&key)
        .send()
        .await
        .expect("get");
    let body = object.body.collect().await.expect("body").into_bytes();
    let object: Value = serde_json::from_slice(&body).expect("JSON object");
    assert_eq!(
        object["KinesisBatchInfo"]["startSequenceNumber"],
        pill.0.as_str()
    );
    assert_eq!(object["KinesisBatchInfo"]["batchSize"], 1);
    let records = object["payload"]["Records"]
        .as_array()
        .expect("payload.Records");
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["kinesis"]["sequenceNumber"], pill.0.as_str());
    let data = STANDARD
        .decode(records[0]["kinesis"]["data"].as_str().expect("data"))
        .expect("base64");
    assert_eq!(data, pill.1, "the payload holds the pill's bytes");
    stack.stop().await.expect("stops");
}

/// The SQS event source gives the function one `SqsEvent` per batch and
/// deletes every message but the one its partial batch response names.
#[tokio::test]
async fn sqs_event_source_deletes_all_but_the_reported_messages() {
    let (clients, resources, _) = resources(SQS_TEMPLATE, "dest-sqs-source").await;
    let queue = &resources.delivery_queue;
    for n in 0..3 {
        clients
            .sqs
            .send_message()
            .queue_url(&queue.url)
            .message_body(
                ON_FAILURE.replace("\"batchSize\": 3", &format!("\"batchSize\": {}", n + 1)),
            )
            .send()
            .await
            .expect("send");
    }
    let (function, seen) = scripted(|event| {
        let second = event["Records"][1]["messageId"].clone();
        let answer = serde_json::json!({"batchItemFailures": [{"itemIdentifier": second}]});
        FunctionAnswer::Returned(answer.to_string().into_bytes())
    });
    let source = SqsEventSource::new(
        clients.sqs.clone(),
        SqsSourceConfig {
            queue_url: queue.url.clone(),
            queue_arn: queue.arn.clone(),
            region: "us-east-1".to_owned(),
            batch_size: 10,
            report_batch_item_failures: true,
            wait: Duration::from_secs(1),
        },
        function,
    );

    let mut outcomes: Vec<SqsBatchOutcome> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while outcomes
        .iter()
        .map(|outcome| outcome.received)
        .sum::<usize>()
        < 3
    {
        if let Some(outcome) = source.poll_once().await.expect("poll") {
            outcomes.push(outcome);
        }
        assert!(Instant::now() < deadline, "the messages were not received");
    }
    assert_eq!(outcomes.len(), 1, "one batch: {outcomes:?}");
    assert_eq!(outcomes[0].received, 3);
    assert_eq!(outcomes[0].deleted, 2);
    assert_eq!(
        outcomes[0].verdict,
        QueueBatchVerdict::ItemFailures { failed: vec![1] }
    );
    let events = seen.lock().expect("lock").clone();
    let record = &events[0]["Records"][0];
    assert_eq!(record["eventSource"], "aws:sqs");
    assert_eq!(record["eventSourceARN"], queue.arn);
    assert!(
        record["body"]
            .as_str()
            .expect("body")
            .contains("KinesisBatchInfo")
    );
    assert_eq!(record["attributes"]["ApproximateReceiveCount"], "1");
    // The reported message waits out its visibility timeout; none is visible.
    assert_eq!(depths(&clients, &queue.url).await, (0, 1));
}

/// A function error deletes nothing: every message comes back after the
/// visibility timeout.
#[tokio::test]
async fn sqs_event_source_deletes_nothing_on_a_function_error() {
    let (clients, resources, _) = resources(SQS_TEMPLATE, "dest-sqs-error").await;
    let queue = &resources.delivery_queue;
    clients
        .sqs
        .send_message()
        .queue_url(&queue.url)
        .message_body(ON_FAILURE)
        .send()
        .await
        .expect("send");
    let (function, _) = scripted(|_| {
        FunctionAnswer::Thrown(FunctionError::new("DlqUnavailable", "the DLQ is down"))
    });
    let source = SqsEventSource::new(
        clients.sqs.clone(),
        SqsSourceConfig {
            queue_url: queue.url.clone(),
            queue_arn: queue.arn.clone(),
            region: "us-east-1".to_owned(),
            batch_size: 10,
            report_batch_item_failures: true,
            wait: Duration::from_secs(1),
        },
        function,
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let outcome = loop {
        if let Some(outcome) = source.poll_once().await.expect("poll") {
            break outcome;
        }
        assert!(Instant::now() < deadline, "the message was not received");
    };
    assert_eq!((outcome.received, outcome.deleted), (1, 0));
    assert!(matches!(
        outcome.verdict,
        QueueBatchVerdict::FunctionError(_)
    ));
    assert_eq!(depths(&clients, &queue.url).await, (0, 1));
}

/// An object written under `aws/lambda/` reaches the function as the
/// `S3Event` S3 sends (bucket, URL-encoded key, size, eTag, sequencer);
/// S3's test event never does.
#[tokio::test]
async fn s3_notifications_reach_the_function_as_s3_events() {
    let (clients, resources, template) = resources(S3_TEMPLATE, "dest-s3-notify").await;
    let CreatedDestination::Bucket { name, .. } = &resources.failure_destination else {
        panic!("a bucket destination");
    };
    let key = "aws/lambda/a1b2c3d4-0000-4000-8000-000000000001/shardId-000000000000/2026/11/23/2026-11-23T10.15.42-0f0e0d0c-0000-4000-8000-000000000002";
    clients
        .s3
        .put_object()
        .bucket(name)
        .key(key)
        .body(ON_FAILURE.as_bytes().to_vec().into())
        .send()
        .await
        .expect("put object");
    let (function, seen) = scripted(|_| FunctionAnswer::Returned(b"null".to_vec()));
    let delivery = Delivery::new(
        clients.sqs.clone(),
        DeliveryConfig {
            delivery_queue_url: resources.delivery_queue.url.clone(),
            failure_queue_url: resources.hydrate_failure_queue.url.clone(),
            source: AsyncSource::S3,
            invocation: AsyncInvocation::from_template(
                &template.hydrate,
                resources.function_arn(ids::HYDRATE_FUNCTION),
                Duration::from_millis(10),
            ),
            wait: Duration::from_secs(1),
        },
        function,
    );

    let deadline = Instant::now() + Duration::from_secs(10);
    let mut delivered = Vec::new();
    while !delivered.contains(&Delivered::Succeeded { attempts: 1 }) {
        delivered.extend(delivery.poll_once().await.expect("poll"));
        assert!(
            Instant::now() < deadline,
            "nothing was delivered: {delivered:?}"
        );
    }
    let events = seen.lock().expect("lock").clone();
    assert_eq!(events.len(), 1, "{events:?}");
    let record = &events[0]["Records"][0];
    assert_eq!(record["eventSource"], "aws:s3");
    assert_eq!(record["eventName"], "ObjectCreated:Put");
    assert_eq!(record["s3"]["bucket"]["name"], name.as_str());
    assert_eq!(
        record["s3"]["bucket"]["arn"],
        format!("arn:aws:s3:::{name}")
    );
    assert_eq!(record["s3"]["object"]["key"], key);
    assert_eq!(record["s3"]["object"]["size"], ON_FAILURE.len());
    assert!(record["s3"]["object"]["eTag"].is_string());
    assert!(record["s3"]["object"]["sequencer"].is_string());
}

/// SQS destination, end to end: the pill's OnFailure record goes to the
/// queue, the SQS event source hands it to the real hydrate function, and
/// the DLQ holds the pill byte-exact; the queue is left empty.
#[tokio::test]
async fn poison_pill_reaches_the_dlq_through_an_sqs_destination() {
    let stack = start(
        "template-sqs-destination.yaml",
        "dest-sqs-e2e",
        Some(in_process_hydrate()),
    )
    .await;
    let pill = put_pill(&stack).await;
    assert_dlq_holds_the_pill(&stack, &pill, RecordsFrom::Stream).await;
    let resources = stack.resources();
    assert_eq!(
        depths(stack.clients(), &resources.delivery_queue.url).await,
        (0, 0)
    );
    assert_eq!(
        depths(stack.clients(), &resources.hydrate_failure_queue.url).await,
        (0, 0)
    );
    stack.stop().await.expect("stops");
}

/// S3 destination, end to end: the pill's batch is written as an object,
/// its notification reaches the real hydrate function, and the DLQ holds
/// the pill byte-exact, taken from the object's payload.
#[tokio::test]
async fn poison_pill_reaches_the_dlq_through_an_s3_destination() {
    let stack = start(
        "template-s3-destination.yaml",
        "dest-s3-e2e",
        Some(in_process_hydrate()),
    )
    .await;
    let pill = put_pill(&stack).await;
    assert_dlq_holds_the_pill(&stack, &pill, RecordsFrom::DestinationPayload).await;
    let resources = stack.resources();
    assert_eq!(
        depths(stack.clients(), &resources.hydrate_failure_queue.url).await,
        (0, 0)
    );
    stack.stop().await.expect("stops");
}
