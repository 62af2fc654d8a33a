//! Replaying 10,000 records from the DLQ into a stream, against the local
//! emulators (kinesis-local, moto): PutRecords calls against the goal of
//! ceil(N/500) plus retries, and records per second.
//!
//! `cargo bench -p streamdlq --bench replay` (or `scripts/bench.sh`).
//! `STREAMDLQ_BENCH_RECORDS` changes the number of records. The figures are
//! those of the emulators on this machine, not of AWS: a Kinesis shard takes
//! 1,000 records/s, so on AWS the shard count bounds the rate.

use std::time::{Duration, Instant};

use aws_sdk_kinesis::types::Record;
use indicatif::ProgressBar;
use streamdlq_cli::generate::{Generate, generate};
use streamdlq_cli::put::{KinesisStreamWriter, OrderedPut, PutOptions};
use streamdlq_cli::queue::{DlqQueue, ScanOptions};
use streamdlq_cli::replay::{
    Interrupt, ReplaySession, SelectOptions, Target, replay_to_streams, select,
};
use streamdlq_cli::stream::StreamId;
use streamdlq_core::dlq::{DlqSink, FailureSource, SQS_MESSAGE_LIMIT, SqsDlqSink, build_parts};
use streamdlq_core::{FailureRecord, Hydration, HydrationStatus, SequenceNumber, StreamRecord};
use streamdlq_emulators::Emulators;

#[path = "common/stream.rs"]
mod stream;

use stream::{create_stream, read_shards};

const SHARDS: i32 = 4;
const KEYS: usize = 64;
const RECORD_BYTES: usize = 600;
/// Records per hydrated failure (a typical ESM batch of a busy shard).
const FAILURE_RECORDS: usize = 500;

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

/// The benchmark's id, matched against criterion-style filter arguments.
const ID: &str = "cli/replay";

fn main() -> BenchResult<()> {
    // `cargo bench -- FILTER` passes FILTER (and `--bench`) to every bench.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    if !filters.is_empty() && !filters.iter().any(|filter| ID.contains(filter.as_str())) {
        return Ok(());
    }
    let records: usize = std::env::var("STREAMDLQ_BENCH_RECORDS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(10_000);
    tokio::runtime::Runtime::new()?.block_on(run(records))
}

async fn run(count: usize) -> BenchResult<()> {
    let emulators = Emulators::start().await?;
    let result = bench(&emulators, count).await;
    emulators.stop().await?;
    result
}

async fn bench(emulators: &Emulators, count: usize) -> BenchResult<()> {
    let kinesis = aws_sdk_kinesis::Client::new(&emulators.kinesis_config());
    let sqs = aws_sdk_sqs::Client::new(&emulators.moto_config());
    let arn = create_stream(&kinesis, "bench-replay", SHARDS).await?;
    let queue_url = sqs
        .create_queue()
        .queue_name("bench-replay-dlq")
        .send()
        .await?
        .queue_url
        .ok_or("no queue url")?;

    // The records that failed: put once, read back with their sequence
    // numbers, and sent to the DLQ the way hydration sends them.
    let entries = generate(&Generate {
        count,
        size: Some(RECORD_BYTES),
        poison_pill: None,
        binary: true,
        partition_keys: KEYS,
    });
    let writer = KinesisStreamWriter::new(kinesis.clone());
    let mut put = OrderedPut::new(StreamId::Arn(arn.clone()), entries, PutOptions::default())?;
    let started = Instant::now();
    put.finish(&writer, |_| {}).await?;
    let put_time = started.elapsed();
    let put_calls = put.report().calls;

    let mut messages = 0;
    let mut failures = 0;
    for (shard, records) in read_shards(&kinesis, &arn).await? {
        let records = records
            .into_iter()
            .map(stream_record)
            .collect::<BenchResult<Vec<_>>>()?;
        for chunk in records.chunks(FAILURE_RECORDS) {
            failures += 1;
            messages += send_failure(&sqs, &queue_url, &arn, &shard, chunk, failures).await?;
        }
    }

    // The replay, as `streamdlq replay --to-stream` runs it: scan, select,
    // put, delete, release. The target is a fresh stream of the same shape:
    // kinesis-local takes longer per record the more a shard holds, which
    // would charge the replay for the emulator's history.
    let target = create_stream(&kinesis, "bench-replay-target", SHARDS).await?;
    let dlq = DlqQueue::new(sqs.clone(), &queue_url);
    let started = Instant::now();
    let session = ReplaySession::open(dlq.clone(), &ScanOptions::default()).await?;
    let scanned = started.elapsed();
    let selection = select(session.inventory(), &SelectOptions::default());
    let replay_started = Instant::now();
    let (report, error) = replay_to_streams(
        &writer,
        &dlq,
        &selection.chosen,
        &Target::Stream(StreamId::Arn(target.clone())),
        &PutOptions::default(),
        &ProgressBar::hidden(),
        &Interrupt::default(),
    )
    .await;
    let replay_time = replay_started.elapsed();
    session.close(&report.deletions.handles).await?;
    let total_time = started.elapsed();
    if let Some(error) = error {
        return Err(format!("{error:#}").into());
    }
    let total = report.total();
    let depth = dlq.depth().await?;
    if total.records != count || depth.visible + depth.in_flight != 0 {
        return Err(format!(
            "replayed {} of {count} records, {} messages left",
            total.records,
            depth.visible + depth.in_flight
        )
        .into());
    }

    let goal = count.div_ceil(500);
    println!(
        "replay of {count} records ({RECORD_BYTES} B, {KEYS} keys, {SHARDS} shards; \
         {failures} failures in {messages} DLQ messages) into a fresh stream"
    );
    println!(
        "  PutRecords calls: {} (goal ceil({count}/500) = {goal}, retries {}, out of order {})",
        total.calls, total.retries, total.out_of_order
    );
    println!(
        "  replay: {:.2} s end to end = {:.0} records/s (scan {:.2} s, put and delete {:.2} s = {:.0} records/s)",
        total_time.as_secs_f64(),
        rate(count, total_time),
        scanned.as_secs_f64(),
        replay_time.as_secs_f64(),
        rate(count, replay_time),
    );
    println!(
        "  for comparison, put-records of the same records: {put_calls} calls, {:.0} records/s",
        rate(count, put_time)
    );
    // The lines scripts/bench.sh keeps for its summary.
    println!(
        "result: {ID}: {count} records replayed in {:.2} s = {:.0} records/s end to end",
        total_time.as_secs_f64(),
        rate(count, total_time)
    );
    println!(
        "result: {ID}: {} PutRecords calls (goal ceil({count}/500) = {goal}), {} retries",
        total.calls, total.retries
    );
    Ok(())
}

fn rate(count: usize, time: Duration) -> f64 {
    count as f64 / time.as_secs_f64().max(f64::EPSILON)
}

/// A record read back from the stream, as the DLQ format holds it.
fn stream_record(record: Record) -> BenchResult<StreamRecord> {
    Ok(StreamRecord {
        sequence_number: SequenceNumber::parse(&record.sequence_number)?,
        partition_key: record.partition_key.unwrap_or_default(),
        approximate_arrival_millis: record
            .approximate_arrival_timestamp
            .and_then(|time| time.to_millis().ok()),
        data: record.data.into_inner(),
    })
}

async fn send_failure(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    arn: &str,
    shard: &str,
    records: &[StreamRecord],
    n: usize,
) -> BenchResult<usize> {
    let (first, last) = (&records[0], &records[records.len() - 1]);
    let text = serde_json::json!({
        "requestContext": {"requestId": format!("bench-{n}"), "condition": "RetryAttemptsExhausted", "approximateInvokeCount": 4},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": "2026-11-23T10:15:42.318Z",
        "KinesisBatchInfo": {
            "shardId": shard,
            "startSequenceNumber": first.sequence_number.as_str(),
            "endSequenceNumber": last.sequence_number.as_str(),
            "batchSize": records.len(),
            "streamArn": arn
        }
    })
    .to_string();
    let failure = FailureRecord::parse(&text)?;
    let hydration = Hydration {
        status: HydrationStatus::Complete,
        expected: failure.batch.batch_size,
        records: records.to_vec(),
        reason: None,
    };
    let messages = build_parts(
        &FailureSource::Record(&failure),
        &hydration,
        SQS_MESSAGE_LIMIT,
    )?;
    SqsDlqSink::new(sqs.clone(), queue_url)
        .send(&messages)
        .await?;
    Ok(messages.len())
}
