//! The ESM end to end against the emulators: a real 2-shard stream in
//! kinesis-local, a scripted function, and OnFailure records captured in
//! memory or published to SNS and read back from a subscribed SQS queue in
//! moto.

mod esm_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aws_sdk_kinesis::Client as Kinesis;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use aws_sdk_sns::Client as Sns;
use aws_sdk_sqs::Client as Sqs;
use aws_sdk_sqs::types::QueueAttributeName;
use esm_support::{Call, ScriptedFunction, failed_at, success, threw};
use serde_json::{Value, json};
use streamdlq_core::{KinesisShardReader, SequenceNumber, ShardReader, StreamRecord};
use streamdlq_emulators::Emulators;
use streamdlq_emulators::invoke_server::{Answer, InvokeServer};
use streamdlq_local::InvokeApiFunction;
use streamdlq_local::esm::{
    Esm, EsmConfig, EsmHandle, EsmSettings, EsmStats, EsmTarget, FailureDestination,
    FunctionAnswer, LambdaFunction, ManualClock, RecordingDestination, SnsDestination,
};

const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:000000000000:function:esm-test";
const SHARD_0: &str = "shardId-000000000000";
const SHARD_1: &str = "shardId-000000000001";
/// Explicit hash keys at the two ends of the key space: the first and the
/// second shard of a 2-shard stream.
const TO_SHARD_0: &str = "1";
const TO_SHARD_1: &str = "340282366920938463463374607431768211455";
const PATIENCE: Duration = Duration::from_secs(60);

/// A fresh 2-shard stream in kinesis-local.
struct Stream {
    kinesis: Kinesis,
    arn: String,
}

impl Stream {
    async fn create(emulators: &Emulators, name: &str) -> Self {
        let kinesis = Kinesis::new(&emulators.kinesis_config());
        kinesis
            .create_stream()
            .stream_name(name)
            .shard_count(2)
            .send()
            .await
            .expect("create stream");
        let arn = kinesis
            .describe_stream_summary()
            .stream_name(name)
            .send()
            .await
            .expect("describe stream")
            .stream_description_summary
            .expect("summary")
            .stream_arn;
        Self { kinesis, arn }
    }

    /// Puts `payloads` in order into the shard `hash_key` routes to and
    /// returns their sequence numbers.
    async fn put(&self, hash_key: &str, payloads: &[Vec<u8>]) -> Vec<SequenceNumber> {
        let entries = payloads
            .iter()
            .map(|data| {
                PutRecordsRequestEntry::builder()
                    .partition_key("esm-test")
                    .explicit_hash_key(hash_key)
                    .data(Blob::new(data.clone()))
                    .build()
                    .expect("entry")
            })
            .collect::<Vec<_>>();
        let put = self
            .kinesis
            .put_records()
            .stream_arn(&self.arn)
            .set_records(Some(entries))
            .send()
            .await
            .expect("put records");
        assert_eq!(put.failed_record_count, Some(0));
        put.records
            .iter()
            .map(|r| {
                SequenceNumber::parse(r.sequence_number.as_deref().expect("seq")).expect("digits")
            })
            .collect()
    }

    fn reader(&self) -> KinesisShardReader {
        KinesisShardReader::new(self.kinesis.clone())
    }

    /// Starts an ESM on this stream.
    fn start<F, D>(
        &self,
        config: EsmConfig,
        clock: Option<ManualClock>,
        function: F,
        destination: D,
    ) -> EsmHandle
    where
        F: LambdaFunction + 'static,
        D: FailureDestination + 'static,
    {
        let target = EsmTarget::new(&self.arn, FUNCTION_ARN).expect("target");
        let mut esm = Esm::new(config, target).expect("esm");
        if let Some(clock) = clock {
            esm = esm.with_clock(clock);
        }
        esm.start(self.reader(), function, destination)
    }
}

/// The ESM's config from these settings over the tests' usual ones, in the
/// Lambda API's names.
fn config(settings: serde_json::Value) -> EsmConfig {
    let mut properties = serde_json::json!({
        "StartingPosition": "TRIM_HORIZON",
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
    });
    for (name, value) in settings.as_object().into_iter().flatten() {
        properties[name] = value.clone();
    }
    let mut config = EsmConfig::new(EsmSettings::read(&properties).expect("valid settings"));
    config.poll_interval = Duration::from_millis(50);
    config
}

fn payloads(prefix: &str, count: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| format!("{prefix}-{i}").into_bytes())
        .collect()
}

async fn until_checkpointed(esm: &EsmHandle, shard: &str, last: &SequenceNumber) -> EsmStats {
    esm.wait_for(PATIENCE, |stats| {
        stats.shard(shard).and_then(|s| s.checkpoint.as_ref()) == Some(last)
    })
    .await
    .unwrap_or_else(|stats| panic!("{shard} not checkpointed at {last}: {stats:#?}"))
}

/// The records successfully processed: those of calls answered `success`.
fn processed(calls: &[Call], succeeded: impl Fn(&Call) -> bool) -> Vec<String> {
    calls
        .iter()
        .filter(|call| succeeded(call))
        .flat_map(|call| call.sequence_numbers.clone())
        .collect()
}

fn numbers(sequence_numbers: &[SequenceNumber]) -> Vec<String> {
    sequence_numbers
        .iter()
        .map(|s| s.as_str().to_owned())
        .collect()
}

/// A topic with a queue subscribed to it (SNS envelope, not raw), in moto.
struct FailureQueue {
    sns: Sns,
    sqs: Sqs,
    topic_arn: String,
    queue_url: String,
}

impl FailureQueue {
    async fn create(emulators: &Emulators, name: &str) -> Self {
        let config = emulators.moto_config();
        let (sns, sqs) = (Sns::new(&config), Sqs::new(&config));
        let topic_arn = sns
            .create_topic()
            .name(name)
            .send()
            .await
            .expect("topic")
            .topic_arn
            .expect("arn");
        let queue_url = sqs
            .create_queue()
            .queue_name(name)
            .send()
            .await
            .expect("queue")
            .queue_url
            .expect("url");
        let queue_arn = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .expect("attributes")
            .attributes
            .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
            .expect("queue arn");
        sns.subscribe()
            .topic_arn(&topic_arn)
            .protocol("sqs")
            .endpoint(queue_arn)
            .send()
            .await
            .expect("subscribe");
        Self {
            sns,
            sqs,
            topic_arn,
            queue_url,
        }
    }

    fn destination(&self) -> SnsDestination {
        SnsDestination::new(self.sns.clone(), &self.topic_arn)
    }

    /// Receives and deletes what the queue holds, waiting up to a few
    /// seconds for the first message; returns the SNS messages.
    async fn drain(&self) -> Vec<String> {
        let mut messages = Vec::new();
        loop {
            let received = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(if messages.is_empty() { 5 } else { 1 })
                .send()
                .await
                .expect("receive")
                .messages
                .unwrap_or_default();
            if received.is_empty() {
                return messages;
            }
            for message in received {
                let envelope: Value =
                    serde_json::from_str(message.body.as_deref().expect("body")).expect("envelope");
                messages.push(envelope["Message"].as_str().expect("message").to_owned());
                self.sqs
                    .delete_message()
                    .queue_url(&self.queue_url)
                    .receipt_handle(message.receipt_handle.expect("handle"))
                    .send()
                    .await
                    .expect("delete");
            }
        }
    }
}

/// A single poison pill in a batch of 100, a throwing function and bisect:
/// the OnFailure record published to SNS covers exactly that record, and
/// every other record is processed exactly once, in order.
#[tokio::test]
async fn isolates_a_poison_pill_by_bisecting_a_throwing_batch() {
    let emulators = Emulators::shared().await.expect("emulators start");
    let stream = Stream::create(emulators, "esm-bisect").await;
    let failures = FailureQueue::create(emulators, "esm-bisect-failures").await;
    let mut data = payloads("record", 100);
    data[37] = b"poison".to_vec();
    let sequence_numbers = stream.put(TO_SHARD_0, &data).await;
    let function = ScriptedFunction::new(|call, _| {
        if call.holds(b"poison") {
            threw()
        } else {
            success()
        }
    });

    let esm = stream.start(
        config(serde_json::json!({
            "BisectBatchOnFunctionError": true,
            "MaximumRetryAttempts": 2,
        })),
        None,
        function.clone(),
        failures.destination(),
    );
    until_checkpointed(&esm, SHARD_0, &sequence_numbers[99]).await;
    esm.stop().await;

    let messages = failures.drain().await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    let record: Value = serde_json::from_str(&messages[0]).expect("OnFailure record");
    assert_eq!(
        record["requestContext"]["condition"],
        "RetryAttemptsExhausted"
    );
    assert_eq!(record["requestContext"]["approximateInvokeCount"], 3);
    assert_eq!(record["requestContext"]["functionArn"], FUNCTION_ARN);
    assert_eq!(
        record["responseContext"],
        json!({"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"})
    );
    let info = &record["KinesisBatchInfo"];
    assert_eq!(info["shardId"], SHARD_0);
    assert_eq!(info["startSequenceNumber"], sequence_numbers[37].as_str());
    assert_eq!(info["endSequenceNumber"], sequence_numbers[37].as_str());
    assert_eq!(info["batchSize"], 1);
    assert_eq!(info["streamArn"], stream.arn.as_str());
    let mut others = numbers(&sequence_numbers);
    others.remove(37);
    assert_eq!(
        processed(&function.calls(), |c| !c.holds(b"poison")),
        others
    );
    assert_eq!(
        function.calls()[0].sequence_numbers.len(),
        100,
        "one batch of 100"
    );
}

/// A function that reports the same failed record until retries run out:
/// the OnFailure record has functionError null and covers only the records
/// from the failed one to the end of the batch.
#[tokio::test]
async fn exhausted_partial_failures_report_only_the_unprocessed_range() {
    let emulators = Emulators::shared().await.expect("emulators start");
    let stream = Stream::create(emulators, "esm-partial").await;
    let sequence_numbers = stream.put(TO_SHARD_1, &payloads("record", 10)).await;
    let function = ScriptedFunction::new(|call, _| match call.position(b"record-4") {
        Some(position) => failed_at(call, position),
        None => success(),
    });
    let failures = RecordingDestination::new();

    let esm = stream.start(
        config(serde_json::json!({"MaximumRetryAttempts": 3})),
        None,
        function.clone(),
        failures.clone(),
    );
    until_checkpointed(&esm, SHARD_1, &sequence_numbers[9]).await;
    esm.stop().await;

    let sent = failures.json();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["responseContext"]["functionError"], Value::Null);
    assert!(failures.records()[0].contains("\"functionError\":null"));
    assert_eq!(sent[0]["requestContext"]["approximateInvokeCount"], 4);
    let info = &sent[0]["KinesisBatchInfo"];
    assert_eq!(info["shardId"], SHARD_1);
    assert_eq!(info["startSequenceNumber"], sequence_numbers[4].as_str());
    assert_eq!(info["endSequenceNumber"], sequence_numbers[9].as_str());
    assert_eq!(info["batchSize"], 6);
    let sizes: Vec<usize> = function
        .calls()
        .iter()
        .map(|c| c.sequence_numbers.len())
        .collect();
    assert_eq!(sizes, [10, 6, 6, 6, 6]);
}

/// Records older than MaximumRecordAgeInSeconds go to OnFailure as
/// RecordAgeExceeded without responseContext; the newer records of the same
/// batch are still invoked. The ESM's clock is set one minute ahead instead
/// of waiting a minute.
#[tokio::test]
async fn splits_off_records_older_than_the_maximum_age() {
    let emulators = Emulators::shared().await.expect("emulators start");
    let stream = Stream::create(emulators, "esm-age").await;
    let old = stream.put(TO_SHARD_0, &payloads("old", 3)).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let new = stream.put(TO_SHARD_0, &payloads("new", 3)).await;
    let arrivals = read_shard(&stream, SHARD_0).await;
    let (old_last, new_first) = (
        arrivals[2].approximate_arrival_millis.expect("arrival"),
        arrivals[3].approximate_arrival_millis.expect("arrival"),
    );
    assert!(old_last < new_first, "the two puts arrived apart");
    // 60 s after a moment between the two puts.
    let clock = ManualClock::at((old_last + new_first) / 2 + 60_000);
    let function = ScriptedFunction::succeeding();
    let failures = RecordingDestination::new();

    let esm = stream.start(
        config(serde_json::json!({"MaximumRecordAgeInSeconds": 60})),
        Some(clock),
        function.clone(),
        failures.clone(),
    );
    until_checkpointed(&esm, SHARD_0, &new[2]).await;
    esm.stop().await;

    let sent = failures.json();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["requestContext"]["condition"], "RecordAgeExceeded");
    assert_eq!(sent[0]["requestContext"]["approximateInvokeCount"], 1);
    assert!(sent[0].get("responseContext").is_none());
    let info = &sent[0]["KinesisBatchInfo"];
    assert_eq!(info["startSequenceNumber"], old[0].as_str());
    assert_eq!(info["endSequenceNumber"], old[2].as_str());
    assert_eq!(info["batchSize"], 3);
    let invoked: Vec<String> = function
        .calls()
        .iter()
        .flat_map(|c| c.sequence_numbers.clone())
        .collect();
    assert_eq!(invoked, numbers(&new));
}

/// Every record of a shard, as GetRecords returns it.
async fn read_shard(stream: &Stream, shard: &str) -> Vec<StreamRecord> {
    let reader = stream.reader();
    let iterator = reader
        .shard_iterator(
            &stream.arn,
            shard,
            &streamdlq_core::IteratorStart::TrimHorizon,
        )
        .await
        .expect("iterator");
    reader
        .records(&stream.arn, &iterator, 100)
        .await
        .expect("records")
        .records
}

/// An empty itemIdentifier fails the whole batch: it is invoked again with
/// all its records, and nothing is discarded.
#[tokio::test]
async fn retries_the_whole_batch_on_an_invalid_item_identifier() {
    let emulators = Emulators::shared().await.expect("emulators start");
    let stream = Stream::create(emulators, "esm-invalid-identifier").await;
    let sequence_numbers = stream.put(TO_SHARD_0, &payloads("record", 5)).await;
    let function = ScriptedFunction::new(|_, number| {
        if number == 0 {
            FunctionAnswer::json(&json!({ "batchItemFailures": [{ "itemIdentifier": "" }] }))
        } else {
            success()
        }
    });
    let failures = RecordingDestination::new();

    let esm = stream.start(
        config(serde_json::json!({"MaximumRetryAttempts": 3})),
        None,
        function.clone(),
        failures.clone(),
    );
    until_checkpointed(&esm, SHARD_0, &sequence_numbers[4]).await;
    esm.stop().await;

    let calls = function.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].sequence_numbers, numbers(&sequence_numbers));
    assert_eq!(calls[1].sequence_numbers, numbers(&sequence_numbers));
    assert!(failures.records().is_empty());
}

/// A function behind the Lambda Invoke API that answers a top-level `[]`:
/// AWS was recorded reading that as success, so the record is invoked
/// exactly once and nothing is discarded.
#[tokio::test]
async fn invokes_a_record_answered_with_an_empty_array_exactly_once() {
    let emulators = Emulators::shared().await.expect("emulators start");
    let stream = Stream::create(emulators, "esm-empty-array").await;
    let server = InvokeServer::start(Answer::returning("[]")).await;
    let sequence_numbers = stream.put(TO_SHARD_0, &payloads("record", 1)).await;
    let failures = RecordingDestination::new();

    let esm = stream.start(
        config(serde_json::json!({"MaximumRetryAttempts": 3})),
        None,
        InvokeApiFunction::local(&server.endpoint, "processor"),
        failures.clone(),
    );
    let stats = until_checkpointed(&esm, SHARD_0, &sequence_numbers[0]).await;
    esm.stop().await;
    let received = server.received();
    server.stop().await;

    assert_eq!(received.len(), 1, "one invocation, no retry");
    assert_eq!(
        received[0].request_line,
        "POST /2015-03-31/functions/processor/invocations HTTP/1.1"
    );
    let event: Value = serde_json::from_slice(&received[0].body).expect("event");
    assert_eq!(
        event["Records"][0]["kinesis"]["sequenceNumber"],
        sequence_numbers[0].as_str()
    );
    assert_eq!(stats.shard(SHARD_0).map(|s| s.records_processed), Some(1));
    assert!(failures.records().is_empty());
}

/// A function behind the Lambda Invoke API that answers `"oops"`: AWS was
/// never recorded on a string, so the safe reading fails the whole batch;
/// it is retried until the retries run out and then discarded, with
/// `functionError` null since nothing was thrown.
#[tokio::test]
async fn retries_a_batch_answered_with_a_string_until_it_is_discarded() {
    let emulators = Emulators::shared().await.expect("emulators start");
    let stream = Stream::create(emulators, "esm-string-answer").await;
    let server = InvokeServer::start(Answer::returning("\"oops\"")).await;
    let sequence_numbers = stream.put(TO_SHARD_0, &payloads("record", 2)).await;
    let failures = RecordingDestination::new();

    let esm = stream.start(
        config(serde_json::json!({"MaximumRetryAttempts": 1})),
        None,
        InvokeApiFunction::local(&server.endpoint, "processor"),
        failures.clone(),
    );
    until_checkpointed(&esm, SHARD_0, &sequence_numbers[1]).await;
    esm.stop().await;
    let received = server.received();
    server.stop().await;

    assert_eq!(received.len(), 2, "the first invocation and one retry");
    let sent = failures.json();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0]["requestContext"]["condition"],
        "RetryAttemptsExhausted"
    );
    assert_eq!(sent[0]["responseContext"]["functionError"], Value::Null);
    assert_eq!(sent[0]["KinesisBatchInfo"]["batchSize"], 2);
}

/// Two shards are processed independently, each in order: the second
/// shard finishes while the first is held on a failing record.
#[tokio::test]
async fn processes_two_shards_independently_in_order() {
    let emulators = Emulators::shared().await.expect("emulators start");
    let stream = Stream::create(emulators, "esm-two-shards").await;
    let first = stream.put(TO_SHARD_0, &payloads("first", 50)).await;
    let second = stream.put(TO_SHARD_1, &payloads("second", 50)).await;
    let second_done = Arc::new(AtomicBool::new(false));
    let seen = Arc::clone(&second_done);
    // Shard 0 fails at its fourth record until shard 1's last record was
    // delivered.
    let function = ScriptedFunction::new(move |call, _| {
        if call.holds(b"second-49") {
            seen.store(true, Ordering::SeqCst);
        }
        match call.position(b"first-3") {
            Some(position) if !seen.load(Ordering::SeqCst) => failed_at(call, position),
            _ => success(),
        }
    });

    let esm = stream.start(
        config(serde_json::json!({
            "BatchSize": 10,
            "MaximumRetryAttempts": -1,
        })),
        None,
        function.clone(),
        RecordingDestination::new(),
    );
    until_checkpointed(&esm, SHARD_0, &first[49]).await;
    until_checkpointed(&esm, SHARD_1, &second[49]).await;
    esm.stop().await;

    assert!(second_done.load(Ordering::SeqCst));
    let delivered_in_order = |shard: &str| -> Vec<String> {
        let mut delivered: Vec<String> = Vec::new();
        for call in function.calls_of(shard) {
            // A retry starts again at the first record not yet processed.
            let start = &call.sequence_numbers[0];
            let keep = delivered
                .iter()
                .position(|n| n == start)
                .unwrap_or(delivered.len());
            delivered.truncate(keep);
            delivered.extend(call.sequence_numbers.clone());
        }
        delivered
    };
    assert_eq!(delivered_in_order(SHARD_0), numbers(&first));
    assert_eq!(delivered_in_order(SHARD_1), numbers(&second));
    let shard_0_calls = function.calls_of(SHARD_0);
    assert!(
        shard_0_calls.len() > 5,
        "shard 0 retried while shard 1 went on"
    );
    assert_eq!(
        function.calls_of(SHARD_1).len(),
        5,
        "shard 1: 5 batches of 10, never retried"
    );
    assert_eq!(function.max_in_flight_per_shard(), 1);
}
