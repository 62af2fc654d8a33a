//! Hydrating a 10,000-record × 600-byte range against the emulators: how
//! many GetRecords and SendMessageBatch calls it takes, how long, and how
//! much memory. Not a timed test: it prints figures (`scripts/bench.sh`).
//!
//! Preparing the data (creating the stream, putting the records, creating a
//! fresh queue per run) is not measured, nor is reading the DLQ back to
//! check it; each run measures one `Hydrator::process_message`: parse, read
//! the range from kinesis-local, build the parts and send them to moto's
//! SQS, through the same SDK clients as the Lambda.
//!
//! Goals: GetRecords calls ≤ 2; SendMessageBatch calls ≤ ceil(DLQ bytes /
//! 1 MiB) + 1. Peak memory is the process's VmHWM, reset (via
//! `/proc/self/clear_refs`) just before each hydration so that it covers
//! the hydration alone.
//!
//! `HYDRATE_BENCH_RUNS` sets the number of runs (default 5).

use std::error::Error;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use hydrate::{FailureOutcome, HydrateConfig, Hydrator, clients};
use streamdlq_core::{
    DlqMessage, DlqSink, HydrationStatus, IteratorStart, KinesisShardReader, ReadError, RecordPage,
    SendStats, ShardReader, SinkError, SqsDlqSink, assemble,
};
use streamdlq_emulators::Emulators;

#[path = "common/dlq.rs"]
mod dlq;
#[path = "common/memory.rs"]
mod memory;

use dlq::drain_dlq;
use memory::{mib, reset_peak_memory, status_kib};

type BenchResult<T> = Result<T, Box<dyn Error>>;

const RECORDS: usize = 10_000;
const RECORD_BYTES: usize = 600;
const MIB: usize = 1_048_576;
const STREAM: &str = "hydrate-bench";

fn main() -> BenchResult<()> {
    let runs = std::env::var("HYDRATE_BENCH_RUNS")
        .ok()
        .and_then(|text| text.parse::<usize>().ok())
        .unwrap_or(5)
        .max(1);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(bench(runs))
}

/// The data every run hydrates.
struct Prepared {
    stream_arn: String,
    message: String,
    data: Vec<Vec<u8>>,
}

/// One run's figures.
#[derive(Debug, Clone, Copy)]
struct Run {
    wall: Duration,
    /// Time spent in Kinesis calls.
    reading: Duration,
    /// Time spent in SQS calls; the wall time minus both is the function's
    /// own time, the emulators' excluded.
    sending: Duration,
    get_records: u32,
    send_calls: usize,
    messages: usize,
    dlq_bytes: usize,
    peak_rss_kib: Option<u64>,
    start_rss_kib: Option<u64>,
}

impl Run {
    /// Wall time minus the time inside emulator calls.
    fn own(&self) -> Duration {
        self.wall.saturating_sub(self.reading + self.sending)
    }
}

async fn bench(runs: usize) -> BenchResult<()> {
    let emulators = Emulators::start().await?;
    let kinesis = clients::kinesis(&emulators.kinesis_config());
    let sqs = clients::sqs(&emulators.moto_config());
    let prepared = prepare(&kinesis).await?;
    println!(
        "hydrate: {RECORDS} records x {RECORD_BYTES} bytes ({} payload bytes), {runs} run(s)",
        RECORDS * RECORD_BYTES
    );
    let mut results = Vec::with_capacity(runs);
    for number in 1..=runs {
        let run = run_once(&kinesis, &sqs, &prepared, number).await?;
        println!(
            "  run {number}: wall {:.3} s ({:.3} s in Kinesis calls, {:.3} s in SQS calls, own {:.3} s), GetRecords {}, SendMessageBatch {}, {} DLQ messages ({} bytes), {}",
            run.wall.as_secs_f64(),
            run.reading.as_secs_f64(),
            run.sending.as_secs_f64(),
            run.own().as_secs_f64(),
            run.get_records,
            run.send_calls,
            run.messages,
            run.dlq_bytes,
            memory(&run),
        );
        results.push(run);
    }
    report(&results);
    emulators.stop().await?;
    Ok(())
}

/// A one-shard stream holding the range (not measured).
async fn prepare(kinesis: &aws_sdk_kinesis::Client) -> BenchResult<Prepared> {
    kinesis
        .create_stream()
        .stream_name(STREAM)
        .shard_count(1)
        .send()
        .await?;
    let summary = kinesis
        .describe_stream_summary()
        .stream_name(STREAM)
        .send()
        .await?
        .stream_description_summary
        .ok_or("DescribeStreamSummary answered without a summary")?;
    let data: Vec<Vec<u8>> = (0..RECORDS)
        .map(|n| {
            (0..RECORD_BYTES)
                .map(|i| ((n * 31 + i * 7) ^ (n >> 3)) as u8)
                .collect()
        })
        .collect();
    let mut sequence_numbers = Vec::with_capacity(RECORDS);
    let mut shard_id = String::new();
    // PutRecords takes at most 500 records a call.
    for (chunk_index, chunk) in data.chunks(500).enumerate() {
        let entries = chunk
            .iter()
            .enumerate()
            .map(|(n, bytes)| {
                PutRecordsRequestEntry::builder()
                    .partition_key(format!("bench-{}", chunk_index * 500 + n))
                    .data(Blob::new(bytes.clone()))
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()?;
        let output = kinesis
            .put_records()
            .stream_arn(&summary.stream_arn)
            .set_records(Some(entries))
            .send()
            .await?;
        if output.failed_record_count.unwrap_or(0) > 0 {
            return Err("kinesis-local failed records of the bench data".into());
        }
        for record in output.records {
            shard_id = record.shard_id.unwrap_or_default();
            sequence_numbers.push(record.sequence_number.unwrap_or_default());
        }
    }
    let (first, last) = match (sequence_numbers.first(), sequence_numbers.last()) {
        (Some(first), Some(last)) => (first, last),
        _ => return Err("no records were put".into()),
    };
    let message = serde_json::json!({
        "requestContext": {
            "requestId": "6f7b2c1e-0d4a-4b8e-9c3f-2a1b0c9d8e7f",
            "functionArn": "arn:aws:lambda:us-east-1:000000000000:function:streamdlq-processor",
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": 4
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": "2026-11-23T10:15:42.318Z",
        "KinesisBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": first,
            "endSequenceNumber": last,
            "approximateArrivalOfFirstRecord": "2026-11-23T10:14:57.512Z",
            "approximateArrivalOfLastRecord": "2026-11-23T10:14:57.986Z",
            "batchSize": RECORDS,
            "streamArn": summary.stream_arn
        }
    })
    .to_string();
    Ok(Prepared {
        stream_arn: summary.stream_arn,
        message,
        data,
    })
}

/// One measured hydration into a fresh queue, then the DLQ read back and
/// checked byte for byte (not measured).
async fn run_once(
    kinesis: &aws_sdk_kinesis::Client,
    sqs: &aws_sdk_sqs::Client,
    prepared: &Prepared,
    number: usize,
) -> BenchResult<Run> {
    let queue_url = sqs
        .create_queue()
        .queue_name(format!("hydrate-bench-{number}"))
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::MaximumMessageSize,
            MIB.to_string(),
        )
        .send()
        .await?
        .queue_url
        .ok_or("CreateQueue answered without a URL")?;
    let config = HydrateConfig::from_lookup(|name| match name {
        "DLQ_URL" => Some(queue_url.clone()),
        "ALLOWED_STREAM_ARNS" => Some(prepared.stream_arn.clone()),
        _ => None,
    })?;
    let reader = Timed::new(KinesisShardReader::new(kinesis.clone()));
    let sink = Timed::new(SqsDlqSink::new(sqs.clone(), queue_url.clone()));
    let hydrator = Hydrator::new(reader.clone(), sink.clone(), config);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(600);

    let peak_reset = reset_peak_memory();
    let start_rss_kib = status_kib("VmRSS:");
    let started = Instant::now();
    let outcome = hydrator.process_message(&prepared.message, deadline).await;
    let wall = started.elapsed();
    let peak_rss_kib = if peak_reset {
        status_kib("VmHWM:")
    } else {
        None
    };

    check(&outcome)?;
    verify_dlq(sqs, &queue_url, outcome.summary.parts, &prepared.data).await?;
    sqs.delete_queue().queue_url(&queue_url).send().await?;
    Ok(Run {
        wall,
        reading: reader.total(),
        sending: sink.total(),
        get_records: outcome.read.get_records_calls,
        send_calls: outcome.sent.calls,
        messages: outcome.sent.messages,
        dlq_bytes: outcome.sent.bytes,
        peak_rss_kib,
        start_rss_kib,
    })
}

fn check(outcome: &FailureOutcome) -> BenchResult<()> {
    if let Some(error) = &outcome.error {
        return Err(format!("the DLQ was not written: {error}").into());
    }
    let summary = &outcome.summary;
    if summary.status != HydrationStatus::Complete || summary.found != RECORDS {
        return Err(format!("hydration was not complete: {summary:?}").into());
    }
    Ok(())
}

/// Receives and deletes every message, and checks that they read back into
/// exactly the records put.
async fn verify_dlq(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    parts: usize,
    data: &[Vec<u8>],
) -> BenchResult<()> {
    let bodies = drain_dlq(sqs, queue_url, parts).await?;
    let failures = assemble(bodies.iter().map(String::as_str));
    let [Ok(failure)] = failures.as_slice() else {
        return Err(format!("the DLQ does not read back as one failure: {failures:?}").into());
    };
    let read: Vec<&[u8]> = failure.records.iter().map(|r| r.data.as_slice()).collect();
    let put: Vec<&[u8]> = data.iter().map(Vec::as_slice).collect();
    if read != put {
        return Err("the DLQ records differ from the records put".into());
    }
    Ok(())
}

fn memory(run: &Run) -> String {
    match (run.peak_rss_kib, run.start_rss_kib) {
        (Some(peak), Some(start)) => format!(
            "peak RSS {:.1} MiB (+{:.1} MiB over the {:.1} MiB before)",
            mib(peak),
            mib(peak.saturating_sub(start)),
            mib(start)
        ),
        _ => "peak RSS not measurable here (/proc/self/clear_refs unavailable)".to_owned(),
    }
}

/// The figures `scripts/bench.sh` collects: lines starting with `result:`.
fn report(runs: &[Run]) {
    let mut walls: Vec<Duration> = runs.iter().map(|run| run.wall).collect();
    walls.sort();
    let median = walls[walls.len() / 2];
    let get_records = runs.iter().map(|run| run.get_records).max().unwrap_or(0);
    let send_calls = runs.iter().map(|run| run.send_calls).max().unwrap_or(0);
    let dlq_bytes = runs.iter().map(|run| run.dlq_bytes).max().unwrap_or(0);
    let messages = runs.iter().map(|run| run.messages).max().unwrap_or(0);
    let send_goal = dlq_bytes.div_ceil(MIB) + 1;
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    println!(
        "result: GetRecords calls {get_records} (goal <= 2: {})",
        verdict(get_records <= 2)
    );
    println!(
        "result: SendMessageBatch calls {send_calls} for {messages} messages, {dlq_bytes} bytes \
         (goal <= ceil(bytes / 1 MiB) + 1 = {send_goal}: {})",
        verdict(send_calls <= send_goal)
    );
    let mut readings: Vec<Duration> = runs.iter().map(|run| run.reading).collect();
    readings.sort();
    println!(
        "result: wall time median {:.3} s (min {:.3} s, max {:.3} s, {} runs; median {:.3} s of it in Kinesis calls)",
        median.as_secs_f64(),
        walls[0].as_secs_f64(),
        walls[walls.len() - 1].as_secs_f64(),
        runs.len(),
        readings[readings.len() / 2].as_secs_f64()
    );
    let mut owns: Vec<Duration> = runs.iter().map(Run::own).collect();
    owns.sort();
    println!(
        "result: own time (wall minus Kinesis and SQS calls) median {:.3} s (min {:.3} s)",
        owns[owns.len() / 2].as_secs_f64(),
        owns[0].as_secs_f64()
    );
    let peak = runs.iter().filter_map(|run| run.peak_rss_kib).max();
    // Later runs start with the memory earlier ones freed but the allocator
    // kept, so the first run's growth is the one that counts.
    let first_growth = runs
        .first()
        .and_then(|run| Some(run.peak_rss_kib?.saturating_sub(run.start_rss_kib?)));
    match (peak, first_growth) {
        (Some(peak), Some(growth)) => println!(
            "result: peak memory during hydration {:.1} MiB RSS (first run +{:.1} MiB over the RSS before it)",
            mib(peak),
            mib(growth)
        ),
        _ => {
            println!("result: peak memory not measurable here (/proc/self/clear_refs unavailable)")
        }
    }
}

/// A [`ShardReader`] or [`DlqSink`] decorator that adds up the time spent
/// in its calls.
#[derive(Debug, Clone)]
struct Timed<R> {
    inner: R,
    total: Arc<Mutex<Duration>>,
}

impl<R> Timed<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            total: Arc::default(),
        }
    }

    fn total(&self) -> Duration {
        *self.total.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn add(&self, started: Instant) {
        *self.total.lock().unwrap_or_else(PoisonError::into_inner) += started.elapsed();
    }
}

impl<R: ShardReader + Sync> ShardReader for Timed<R> {
    async fn shard_iterator(
        &self,
        stream_arn: &str,
        shard_id: &str,
        start: &IteratorStart,
    ) -> Result<String, ReadError> {
        let started = Instant::now();
        let result = self.inner.shard_iterator(stream_arn, shard_id, start).await;
        self.add(started);
        result
    }

    async fn records(
        &self,
        stream_arn: &str,
        iterator: &str,
        limit: u32,
    ) -> Result<RecordPage, ReadError> {
        let started = Instant::now();
        let result = self.inner.records(stream_arn, iterator, limit).await;
        self.add(started);
        result
    }
}

impl<S: DlqSink + Sync> DlqSink for Timed<S> {
    async fn send(&self, messages: &[DlqMessage]) -> Result<SendStats, SinkError> {
        let started = Instant::now();
        let result = self.inner.send(messages).await;
        self.add(started);
        result
    }
}
