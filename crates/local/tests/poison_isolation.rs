//! Only the poison pills reach the DLQ, wherever they sit in their batches:
//! a whole [`Stack`] (what `streamdlq local up` runs) with the real
//! processor under the template's ESM (`BatchSize` 100,
//! `BisectBatchOnFunctionError`, three retries) and hydrate behind SNS.
//!
//! The processor answers partially at a pill when records before it
//! succeeded, and fails the invocation when a pill heads its batch, so the
//! ESM bisects until the pill is alone. Alone in its own test binary: it
//! captures the process-wide debug log to see which records the processor
//! took, in which order.

mod demo_stack;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use demo_stack::start;
use serde_json::Value;
use streamdlq_core::fake::{LogCapture, LogFormat};
use streamdlq_core::{HydrationStatus, SequenceNumber, assemble};
use streamdlq_local::Stack;
use streamdlq_local::esm::EsmStats;

/// Records per shard: a full batch of 100 and a second one of 50.
const PER_SHARD: usize = 150;
/// Pills by shard and position: first, middle and last of a batch on one
/// shard; two side by side and a third in one batch, then the first and
/// last of the next batch on the other.
const PILLS: [&[usize]; 2] = [&[0, 50, 99], &[30, 31, 70, 100, 149]];
/// Hash keys inside the first and the second half of the hash key range:
/// the template's two shards split it evenly.
const HASH_KEYS: [&str; 2] = ["1", "170141183460469231731687303715884105729"];

/// A distinct element per record; a pill sends its mass as a string.
fn element(shard: usize, position: usize, pill: bool) -> Vec<u8> {
    let number = shard * PER_SHARD + position + 1;
    let mass = if pill {
        format!("\"{number}.5\"")
    } else {
        format!("{number}.5")
    };
    format!(r#"{{"AtomicNumber":{number},"Element":"E{number}","Symbol":"X","AtomicMass":{mass}}}"#)
        .into_bytes()
}

/// One put record: where it went and what it holds.
#[derive(Debug, Clone)]
struct Put {
    shard_id: String,
    sequence_number: String,
    data: Vec<u8>,
    pill: bool,
}

/// Puts every record in one PutRecords call, so the ESM forms its batches
/// from the shards as they are.
async fn put_all(stack: &Stack) -> Vec<Put> {
    let mut request = stack
        .clients()
        .kinesis
        .put_records()
        .stream_name(&stack.resources().stream.name);
    let mut planned = Vec::new();
    for (shard, pills) in PILLS.iter().enumerate() {
        for position in 0..PER_SHARD {
            let pill = pills.contains(&position);
            let data = element(shard, position, pill);
            request = request.records(
                PutRecordsRequestEntry::builder()
                    .data(Blob::new(data.clone()))
                    .partition_key(format!("key-{shard}"))
                    .explicit_hash_key(HASH_KEYS[shard])
                    .build()
                    .expect("entry"),
            );
            planned.push((data, pill));
        }
    }
    let answer = request.send().await.expect("put records");
    assert_eq!(answer.failed_record_count, Some(0));
    let puts: Vec<Put> = answer
        .records
        .into_iter()
        .zip(planned)
        .map(|(entry, (data, pill))| Put {
            shard_id: entry.shard_id.expect("shard id"),
            sequence_number: entry.sequence_number.expect("sequence number"),
            data,
            pill,
        })
        .collect();
    let shards: BTreeSet<&str> = puts.iter().map(|put| put.shard_id.as_str()).collect();
    assert_eq!(shards.len(), 2, "the records are on two shards");
    puts
}

fn finished(stats: &EsmStats) -> u64 {
    stats
        .shards
        .values()
        .map(|shard| shard.records_processed + shard.records_discarded)
        .sum()
}

/// The DLQ's messages, drained, once `expected` whole failures are there.
async fn drain_dlq(stack: &Stack, expected: usize) -> Vec<String> {
    let dlq = &stack.resources().dead_letter_queue.url;
    let sqs = &stack.clients().sqs;
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut bodies = Vec::new();
    loop {
        let messages = sqs
            .receive_message()
            .queue_url(dlq)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("receive")
            .messages
            .unwrap_or_default();
        for message in messages {
            bodies.push(message.body.clone().expect("body"));
            sqs.delete_message()
                .queue_url(dlq)
                .receipt_handle(message.receipt_handle.expect("receipt handle"))
                .send()
                .await
                .expect("delete");
        }
        if assemble(bodies.iter().map(String::as_str)).len() >= expected {
            return bodies;
        }
        assert!(
            Instant::now() < deadline,
            "{} DLQ messages after 60 s",
            bodies.len()
        );
    }
}

/// Sequence numbers the processor took, by shard, in the order it took
/// them (its debug line per processed record).
fn processed_by_shard(logs: &str) -> BTreeMap<String, Vec<String>> {
    let mut processed: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in logs.lines() {
        let Ok(line) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let fields = &line["fields"];
        if fields["message"] != "record processed" {
            continue;
        }
        let shard = fields["shard"].as_str().expect("shard").to_owned();
        let sequence_number = fields["sequence_number"].as_str().expect("sequence number");
        processed
            .entry(shard)
            .or_default()
            .push(sequence_number.to_owned());
    }
    processed
}

/// Pills first, in the middle and last of a batch, and two in one batch,
/// on two shards: the DLQ holds exactly the pills, each alone and
/// byte-exact; every other record is processed once, in sequence order per
/// shard. The number of invocations is printed.
#[tokio::test]
async fn only_the_poison_pills_reach_the_dlq_wherever_they_sit() {
    let logs = LogCapture::install(LogFormat::Json);
    let stack = start("poison-isolation").await;
    let started = Instant::now();
    let puts = put_all(&stack).await;
    let pills: Vec<&Put> = puts.iter().filter(|put| put.pill).collect();

    let stats = stack
        .esm()
        .wait_for(Duration::from_secs(120), |stats| {
            finished(stats) == puts.len() as u64
        })
        .await
        .expect("every record processed or given up on");
    let bodies = drain_dlq(&stack, pills.len()).await;
    let elapsed = started.elapsed();

    // The DLQ: one failure per pill, each exactly that record, byte-exact.
    let mut failures: Vec<_> = assemble(bodies.iter().map(String::as_str))
        .into_iter()
        .map(|failure| failure.expect("a whole failure"))
        .collect();
    assert_eq!(failures.len(), pills.len(), "one failure per pill");
    failures.sort_by(|a, b| {
        a.records[0]
            .sequence_number
            .cmp(&b.records[0].sequence_number)
    });
    let mut expected = pills.clone();
    expected.sort_by_key(|put| SequenceNumber::parse(&put.sequence_number).expect("digits"));
    for (failure, pill) in failures.iter().zip(&expected) {
        assert_eq!(failure.hydration.status, HydrationStatus::Complete);
        assert_eq!(failure.records.len(), 1, "the pill alone");
        let record = &failure.records[0];
        assert_eq!(record.sequence_number.as_str(), pill.sequence_number);
        assert_eq!(record.data, pill.data, "byte-exact");
        let on_failure: Value =
            serde_json::from_str(failure.failure.as_deref().expect("OnFailure record"))
                .expect("JSON");
        assert_eq!(on_failure["KinesisBatchInfo"]["batchSize"], 1);
        assert_eq!(
            on_failure["KinesisBatchInfo"]["shardId"],
            pill.shard_id.as_str()
        );
        assert_eq!(
            on_failure["requestContext"]["condition"],
            "RetryAttemptsExhausted"
        );
    }

    // The processor: every other record once, in sequence order per shard.
    let processed = processed_by_shard(&logs.text());
    let mut healthy: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for put in puts.iter().filter(|put| !put.pill) {
        healthy
            .entry(put.shard_id.clone())
            .or_default()
            .push(put.sequence_number.clone());
    }
    assert_eq!(processed, healthy, "every healthy record once, in order");

    let invocations = stats.invocations();
    eprintln!(
        "poison isolation: {} records on 2 shards, {} pills: {} invocations, {} OnFailure records, {:.1} s",
        puts.len(),
        pills.len(),
        invocations,
        stats.failure_records(),
        elapsed.as_secs_f64()
    );
    assert_eq!(stats.failure_records(), pills.len() as u64);
    stack.stop().await.expect("stops");
}
