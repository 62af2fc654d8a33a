//! The ESM runtime over an in-memory stream: shard order, one batch in
//! flight per shard, iterator refresh, read errors, resharding, starting
//! positions, OnFailure delivery and stop. Tokio time is paused, so waits
//! cost nothing.

mod esm_support;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use esm_support::{ScriptedFunction, failed_at, success, threw};
use serde_json::Value;
use streamdlq_core::fake::FakeStream;
use streamdlq_core::{IteratorStart, SequenceNumber};
use streamdlq_local::esm::{
    DestinationError, DiscardedBatch, Esm, EsmConfig, EsmHandle, EsmSettings, EsmStats, EsmTarget,
    FailureDestination, LambdaFunction, RecordingDestination, ShardState,
};

const FUNCTION_ARN: &str = "arn:aws:lambda:eu-west-1:123456789012:function:processor";
const SHARD_0: &str = "shardId-000000000000";
const SHARD_1: &str = "shardId-000000000001";
/// Long enough for anything a test waits for, in paused tokio time.
const PATIENCE: Duration = Duration::from_secs(600);

/// The ESM's config from these settings over the tests' usual ones, in the
/// Lambda API's names.
fn config(settings: serde_json::Value) -> EsmConfig {
    let mut properties = serde_json::json!({
        "StartingPosition": "TRIM_HORIZON",
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "MaximumRetryAttempts": 2,
    });
    for (name, value) in settings.as_object().into_iter().flatten() {
        properties[name] = value.clone();
    }
    let mut config = EsmConfig::new(EsmSettings::read(&properties).expect("valid settings"));
    config.poll_interval = Duration::from_millis(100);
    config
}

fn start<F, D>(stream: &FakeStream, config: EsmConfig, function: F, destination: D) -> EsmHandle
where
    F: LambdaFunction + 'static,
    D: FailureDestination + 'static,
{
    let target = EsmTarget::new(stream.stream_arn(), FUNCTION_ARN).expect("target");
    Esm::new(config, target)
        .expect("esm")
        .start(stream.clone(), function, destination)
}

/// Waits until every shard listed has checkpointed its last record.
async fn until_checkpointed(esm: &EsmHandle, shards: &[(&str, &SequenceNumber)]) -> EsmStats {
    esm.wait_for(PATIENCE, |stats| {
        shards.iter().all(|(shard, last)| {
            stats.shard(shard).and_then(|s| s.checkpoint.as_ref()) == Some(*last)
        })
    })
    .await
    .unwrap_or_else(|stats| panic!("shards not checkpointed: {stats:#?}"))
}

fn numbers(sequence_numbers: &[SequenceNumber]) -> Vec<String> {
    sequence_numbers
        .iter()
        .map(|s| s.as_str().to_owned())
        .collect()
}

/// Two shards are read independently, each in order, each record once,
/// never more than one batch of a shard in flight.
#[tokio::test(start_paused = true)]
async fn delivers_each_shard_in_order_with_one_batch_in_flight() {
    let stream = FakeStream::new(FakeStream::ARN);
    let first = stream.put_many(SHARD_0, 250);
    let second = stream.put_many(SHARD_1, 120);
    let function = ScriptedFunction::succeeding().with_latency(Duration::from_millis(30));

    let esm = start(
        &stream,
        config(serde_json::json!({})),
        function.clone(),
        RecordingDestination::new(),
    );
    let stats = until_checkpointed(&esm, &[(SHARD_0, &first[249]), (SHARD_1, &second[119])]).await;
    esm.stop().await;

    for (shard, expected) in [(SHARD_0, &first), (SHARD_1, &second)] {
        let calls = function.calls_of(shard);
        let delivered: Vec<String> = calls
            .iter()
            .flat_map(|c| c.sequence_numbers.clone())
            .collect();
        assert_eq!(delivered, numbers(expected), "{shard} in order, once");
        assert!(
            calls.iter().all(|c| c.sequence_numbers.len() <= 100),
            "BatchSize 100"
        );
    }
    assert_eq!(function.max_in_flight_per_shard(), 1);
    assert_eq!(stats.shard(SHARD_0).map(|s| s.records_processed), Some(250));
    assert_eq!(stats.failure_records(), 0);
}

/// A shard stuck on a failing record does not hold up the other shard.
#[tokio::test(start_paused = true)]
async fn a_stuck_shard_does_not_hold_up_another() {
    let stream = FakeStream::new(FakeStream::ARN);
    stream.put_many(SHARD_0, 5);
    let second = stream.put_many(SHARD_1, 5);
    let function = ScriptedFunction::new(|call, _| {
        if call.shard_id == SHARD_0 {
            failed_at(call, 0)
        } else {
            success()
        }
    });

    let esm = start(
        &stream,
        config(serde_json::json!({"MaximumRetryAttempts": -1})),
        function.clone(),
        RecordingDestination::new(),
    );
    until_checkpointed(&esm, &[(SHARD_1, &second[4])]).await;
    let retried = esm
        .wait_for(PATIENCE, |stats| {
            stats.shard(SHARD_0).is_some_and(|s| s.invocations >= 3)
        })
        .await;
    esm.stop().await;

    let stats = retried.expect("shard 0 keeps retrying");
    assert_eq!(
        stats.shard(SHARD_0).and_then(|s| s.checkpoint.clone()),
        None
    );
    assert_eq!(function.calls_of(SHARD_1).len(), 1);
}

/// Expired iterators are replaced after the last record read: nothing is
/// skipped and nothing read twice.
#[tokio::test(start_paused = true)]
async fn refreshes_expired_iterators_without_skipping_or_repeating() {
    let stream = FakeStream::new(FakeStream::ARN);
    let records = stream.put_many(SHARD_0, 30);
    stream.cap_page_size(4).expire_iterators_after(1);
    let function = ScriptedFunction::succeeding();

    let esm = start(
        &stream,
        config(serde_json::json!({"BatchSize": 10})),
        function.clone(),
        RecordingDestination::new(),
    );
    until_checkpointed(&esm, &[(SHARD_0, &records[29])]).await;
    esm.stop().await;

    let delivered: Vec<String> = function
        .calls()
        .iter()
        .flat_map(|c| c.sequence_numbers.clone())
        .collect();
    assert_eq!(delivered, numbers(&records));
    let starts = stream.iterator_starts();
    assert_eq!(starts[0], IteratorStart::TrimHorizon);
    assert!(
        starts.contains(&IteratorStart::After(records[3].clone())),
        "{starts:?}"
    );
}

/// Throttled and failing reads are retried; the records still arrive.
#[tokio::test(start_paused = true)]
async fn retries_failed_reads() {
    let stream = FakeStream::new(FakeStream::ARN);
    let records = stream.put_many(SHARD_0, 3);
    stream.throttle_get_records(4);
    stream.fail_shard_iterator(
        streamdlq_core::ReadError::Transient("connection reset".to_owned()),
        2,
    );
    let function = ScriptedFunction::succeeding();

    let esm = start(
        &stream,
        config(serde_json::json!({})),
        function.clone(),
        RecordingDestination::new(),
    );
    until_checkpointed(&esm, &[(SHARD_0, &records[2])]).await;
    esm.stop().await;

    assert_eq!(function.calls().len(), 1);
    assert_eq!(function.calls()[0].sequence_numbers, numbers(&records));
}

/// After a split, the closed parent is read to its end before either
/// child, and the parent's poller ends.
#[tokio::test(start_paused = true)]
async fn reads_child_shards_only_after_their_closed_parent() {
    let stream = FakeStream::new(FakeStream::ARN);
    let parent = stream.put_many(SHARD_0, 120);
    stream.close_shard(SHARD_0);
    stream.add_child_shard(SHARD_1, SHARD_0, None);
    stream.add_child_shard("shardId-000000000002", SHARD_0, None);
    let left = stream.put_many(SHARD_1, 3);
    let right = stream.put_many("shardId-000000000002", 3);
    let function = ScriptedFunction::succeeding().with_latency(Duration::from_millis(50));

    let esm = start(
        &stream,
        config(serde_json::json!({})),
        function.clone(),
        RecordingDestination::new(),
    );
    let stats = until_checkpointed(
        &esm,
        &[(SHARD_1, &left[2]), ("shardId-000000000002", &right[2])],
    )
    .await;
    esm.stop().await;

    let calls = function.calls();
    let last_parent_call = calls
        .iter()
        .rposition(|c| c.shard_id == SHARD_0)
        .expect("parent read");
    let first_child_call = calls
        .iter()
        .position(|c| c.shard_id != SHARD_0)
        .expect("children read");
    assert!(last_parent_call < first_child_call, "{calls:?}");
    assert_eq!(
        stats.shard(SHARD_0).map(|s| s.state),
        Some(ShardState::Ended)
    );
    assert_eq!(
        stats.shard(SHARD_0).and_then(|s| s.checkpoint.clone()),
        Some(parent[119].clone())
    );
}

/// A child shard that appears while the ESM runs is found and read from its
/// first record, whatever the starting position.
#[tokio::test(start_paused = true)]
async fn finds_shards_created_while_running_and_reads_them_from_the_start() {
    let stream = FakeStream::new(FakeStream::ARN);
    stream.add_shard(SHARD_0);
    let function = ScriptedFunction::succeeding();
    let esm = start(
        &stream,
        config(serde_json::json!({"StartingPosition": "LATEST"})),
        function.clone(),
        RecordingDestination::new(),
    );
    esm.wait_for(PATIENCE, |stats| stats.shard(SHARD_0).is_some())
        .await
        .expect("parent polled");

    stream.close_shard(SHARD_0);
    stream.add_child_shard(SHARD_1, SHARD_0, None);
    let child = stream.put_many(SHARD_1, 4);
    until_checkpointed(&esm, &[(SHARD_1, &child[3])]).await;
    esm.stop().await;

    assert_eq!(
        function.calls_of(SHARD_1)[0].sequence_numbers,
        numbers(&child)
    );
}

/// LATEST skips what was in the shard before the ESM started.
#[tokio::test(start_paused = true)]
async fn latest_reads_only_records_put_after_the_start() {
    let stream = FakeStream::new(FakeStream::ARN);
    stream.put_many(SHARD_0, 5);
    let function = ScriptedFunction::succeeding();
    let esm = start(
        &stream,
        config(serde_json::json!({"StartingPosition": "LATEST"})),
        function.clone(),
        RecordingDestination::new(),
    );
    esm.wait_for(PATIENCE, |_| stream.calls().get_records > 0)
        .await
        .expect("polling");

    let later = stream.put_many(SHARD_0, 2);
    until_checkpointed(&esm, &[(SHARD_0, &later[1])]).await;
    esm.stop().await;

    let delivered: Vec<String> = function
        .calls()
        .iter()
        .flat_map(|c| c.sequence_numbers.clone())
        .collect();
    assert_eq!(delivered, numbers(&later));
}

/// A batching window gathers records read over several polls into one
/// invocation.
#[tokio::test(start_paused = true)]
async fn a_batching_window_gathers_records_into_one_invocation() {
    let stream = FakeStream::new(FakeStream::ARN);
    stream.add_shard(SHARD_0);
    let function = ScriptedFunction::succeeding();
    let esm = start(
        &stream,
        config(serde_json::json!({"MaximumBatchingWindowInSeconds": 2})),
        function.clone(),
        RecordingDestination::new(),
    );
    esm.wait_for(PATIENCE, |_| stream.calls().get_records > 0)
        .await
        .expect("polling");

    stream.put_many(SHARD_0, 3);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let last = stream.put_many(SHARD_0, 3);
    until_checkpointed(&esm, &[(SHARD_0, &last[2])]).await;
    esm.stop().await;

    let sizes: Vec<usize> = function
        .calls()
        .iter()
        .map(|c| c.sequence_numbers.len())
        .collect();
    assert_eq!(sizes, [6]);
}

/// A poison pill's OnFailure record names the stream, the shard and the
/// function, and the shard moves on past it.
#[tokio::test(start_paused = true)]
async fn sends_the_onfailure_record_and_moves_past_the_discarded_range() {
    let stream = FakeStream::new(FakeStream::ARN);
    let records = stream.put_many(SHARD_0, 10);
    let function = ScriptedFunction::new(|call, _| match call.position(b"record-6") {
        Some(position) => failed_at(call, position),
        None => success(),
    });
    let failures = RecordingDestination::new();

    let esm = start(
        &stream,
        config(serde_json::json!({})),
        function.clone(),
        failures.clone(),
    );
    let stats = until_checkpointed(&esm, &[(SHARD_0, &records[9])]).await;
    let later = stream.put_many(SHARD_0, 2);
    until_checkpointed(&esm, &[(SHARD_0, &later[1])]).await;
    esm.stop().await;

    let sent = failures.json();
    assert_eq!(sent.len(), 1);
    let info = &sent[0]["KinesisBatchInfo"];
    assert_eq!(info["shardId"], SHARD_0);
    assert_eq!(info["streamArn"], FakeStream::ARN);
    assert_eq!(info["startSequenceNumber"], records[6].as_str());
    assert_eq!(info["endSequenceNumber"], records[9].as_str());
    assert_eq!(info["batchSize"], 4);
    assert_eq!(sent[0]["requestContext"]["functionArn"], FUNCTION_ARN);
    assert_eq!(sent[0]["responseContext"]["functionError"], Value::Null);
    assert_eq!(
        stats
            .shard(SHARD_0)
            .map(|s| (s.records_processed, s.records_discarded)),
        Some((6, 4))
    );
    let last_call = function.calls().pop().expect("calls");
    assert_eq!(
        last_call.sequence_numbers,
        numbers(&later),
        "discarded records never invoked again"
    );
}

/// A destination that fails for a while delays the shard but loses nothing.
#[tokio::test(start_paused = true)]
async fn retries_onfailure_delivery_until_it_is_taken() {
    #[derive(Debug, Clone, Default)]
    struct Flaky {
        refusals: Arc<AtomicU32>,
        delivered: Arc<Mutex<Vec<String>>>,
    }
    impl FailureDestination for Flaky {
        async fn send(&self, discarded: &DiscardedBatch) -> Result<(), DestinationError> {
            if self.refusals.fetch_add(1, Ordering::SeqCst) < 3 {
                return Err(DestinationError::Unavailable("throttled".to_owned()));
            }
            self.delivered
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(discarded.record.clone());
            Ok(())
        }
    }
    let stream = FakeStream::new(FakeStream::ARN);
    let records = stream.put_many(SHARD_0, 3);
    let destination = Flaky::default();

    let esm = start(
        &stream,
        config(serde_json::json!({"MaximumRetryAttempts": 0})),
        ScriptedFunction::new(|_, _| threw()),
        destination.clone(),
    );
    until_checkpointed(&esm, &[(SHARD_0, &records[2])]).await;
    esm.stop().await;

    let delivered = destination
        .delivered
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    assert_eq!(delivered.len(), 1);
    assert_eq!(destination.refusals.load(Ordering::SeqCst), 4);
}

/// Stop ends every poller, even one waiting on an endless retry.
#[tokio::test(start_paused = true)]
async fn stop_ends_every_poller() {
    let stream = FakeStream::new(FakeStream::ARN);
    stream.put_many(SHARD_0, 2);
    stream.add_shard(SHARD_1);
    let function = ScriptedFunction::new(|_, _| threw());
    let esm = start(
        &stream,
        config(serde_json::json!({"MaximumRetryAttempts": -1})),
        function.clone(),
        RecordingDestination::new(),
    );
    esm.wait_for(PATIENCE, |stats| stats.invocations() >= 3)
        .await
        .expect("retrying");

    esm.stop().await;

    let invocations = function.calls().len();
    let reads = stream.calls();
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(
        function.calls().len(),
        invocations,
        "no invocation after stop"
    );
    assert_eq!(stream.calls(), reads, "no read after stop");
}

/// The demo processor, in process under the ESM: it reports the poison
/// pill (Boron, in the middle) as the first failure, so the checkpoint moves
/// to it; the retried rest starts with the pill, so the processor fails the
/// invocation and the ESM bisects (without using up retries) until the pill
/// is alone: once its retries run out the OnFailure record covers exactly
/// the pill, and every other record is processed.
#[tokio::test(start_paused = true)]
async fn drives_the_in_process_processor_to_an_onfailure_from_the_poison_pill() {
    use base64::Engine as _;
    let fixture: Value = serde_json::from_str(include_str!(
        "../../../events/test-records-with-poison-pill.json"
    ))
    .expect("fixture");
    let stream = FakeStream::new(FakeStream::ARN);
    let records: Vec<SequenceNumber> = fixture
        .as_array()
        .expect("records")
        .iter()
        .map(|entry| {
            let data = base64::engine::general_purpose::STANDARD
                .decode(entry["Data"].as_str().expect("data"))
                .expect("base64");
            stream.put(SHARD_0, "periodic-table", data)
        })
        .collect();
    let failures = RecordingDestination::new();
    let function = streamdlq_local::esm::processor_function(
        processor::ElementHandler::<processor::LogSink>::default(),
        streamdlq_local::esm::FunctionSettings::new(FUNCTION_ARN),
    );

    let esm = start(
        &stream,
        config(serde_json::json!({"BisectBatchOnFunctionError": true})),
        function,
        failures.clone(),
    );
    let pill = fixture
        .as_array()
        .expect("records")
        .iter()
        .position(|entry| {
            let data = base64::engine::general_purpose::STANDARD
                .decode(entry["Data"].as_str().expect("data"))
                .expect("base64");
            data.windows(14).any(|w| w == br#""AtomicMass":""#)
        })
        .expect("the pill");
    let stats = until_checkpointed(&esm, &[(SHARD_0, &records[9])]).await;
    esm.stop().await;

    let sent = failures.json();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["responseContext"]["functionError"], Value::Null);
    assert_eq!(sent[0]["requestContext"]["approximateInvokeCount"], 3);
    let info = &sent[0]["KinesisBatchInfo"];
    assert_eq!(info["startSequenceNumber"], records[pill].as_str());
    assert_eq!(info["endSequenceNumber"], records[pill].as_str());
    assert_eq!(info["batchSize"], 1);
    // 10 records, pill at 4: [0..10] partial at the pill; [4..10], [4..7]
    // and [4..6] fail and bisect; [4] three times (two retries); then [5],
    // [6] and [7..10].
    assert_eq!(
        stats
            .shard(SHARD_0)
            .map(|s| (s.records_processed, s.invocations)),
        Some((9, 10))
    );
}
