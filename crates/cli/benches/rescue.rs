//! `streamdlq hydrate --from-queue`, the rescue, over 1,000 metadata-only
//! failure records of 10 records each (half raw, half SNS-wrapped), against
//! the local emulators (kinesis-local, moto): failures per second, and AWS
//! API calls per failure counted on the wire (every HTTP request the SDK
//! clients send, retries included), next to the run's own count.
//!
//! `cargo bench -p streamdlq --bench rescue` (or `scripts/bench.sh`).
//! `STREAMDLQ_BENCH_FAILURES` changes the number of failure records. The
//! figures are the emulators' on this machine: on AWS each failure's range
//! is read with GetShardIterator and GetRecords (5 calls/s per shard,
//! shared with the ESM), so the round trips to Kinesis and SQS set the
//! pace.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_sqs::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_sqs::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use hydrate::{HydrateConfig, Hydrator, StreamAllowlist, clients};
use indicatif::ProgressBar;
use streamdlq_cli::generate::{Generate, generate};
use streamdlq_cli::put::{KinesisStreamWriter, OrderedPut, PutOptions};
use streamdlq_cli::queue::DlqQueue;
use streamdlq_cli::replay::Interrupt;
use streamdlq_cli::rescue::{CountedRetention, Rescue, RescueOptions, SourceQueue};
use streamdlq_cli::stream::StreamId;
use streamdlq_core::dlq::SQS_MESSAGE_LIMIT;
use streamdlq_core::{KinesisShardReader, SqsDlqSink};
use streamdlq_emulators::Emulators;

#[path = "common/stream.rs"]
mod stream;

use stream::{create_stream, read_shards};

const SHARDS: i32 = 4;
const KEYS: usize = 64;
const RECORD_BYTES: usize = 600;
/// Records per failure record.
const RANGE: usize = 10;

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

/// The benchmark's id, matched against criterion-style filter arguments.
const ID: &str = "cli/rescue";

fn main() -> BenchResult<()> {
    // `cargo bench -- FILTER` passes FILTER (and `--bench`) to every bench.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    if !filters.is_empty() && !filters.iter().any(|filter| ID.contains(filter.as_str())) {
        return Ok(());
    }
    let failures: usize = std::env::var("STREAMDLQ_BENCH_FAILURES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(1_000);
    tokio::runtime::Runtime::new()?.block_on(run(failures))
}

async fn run(failures: usize) -> BenchResult<()> {
    let emulators = Emulators::start().await?;
    let result = bench(&emulators, failures).await;
    emulators.stop().await?;
    result
}

/// Counts the HTTP requests a client sends, by operation (`X-Amz-Target`,
/// which both Kinesis and SQS speak).
#[derive(Debug, Clone, Default)]
struct CallCounter(Arc<Mutex<BTreeMap<String, usize>>>);

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "CallCounter"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let operation = context
            .request()
            .headers()
            .get("x-amz-target")
            .and_then(|target| target.rsplit('.').next())
            .unwrap_or("unknown")
            .to_owned();
        let mut counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *counts.entry(operation).or_default() += 1;
        Ok(())
    }
}

impl CallCounter {
    fn counts(&self) -> BTreeMap<String, usize> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

async fn bench(emulators: &Emulators, count: usize) -> BenchResult<()> {
    let kinesis = aws_sdk_kinesis::Client::new(&emulators.kinesis_config());
    let sqs = aws_sdk_sqs::Client::new(&emulators.moto_config());
    let arn = create_stream(&kinesis, "bench-rescue", SHARDS).await?;
    let source_url = create_queue(&sqs, "bench-rescue-onfailure").await?;
    let dlq_url = create_queue(&sqs, "bench-rescue-dlq").await?;

    // The stream holds the records; the source queue one metadata-only
    // record per range of ten, as an ESM's OnFailure queue would.
    // A few ranges more than needed: every shard's last range may be short.
    let entries = generate(&Generate {
        count: (count + SHARDS as usize) * RANGE,
        size: Some(RECORD_BYTES),
        poison_pill: None,
        binary: true,
        partition_keys: KEYS,
    });
    let writer = KinesisStreamWriter::new(kinesis.clone());
    let mut put = OrderedPut::new(StreamId::Arn(arn.clone()), entries, PutOptions::default())?;
    put.finish(&writer, |_| {}).await?;
    let mut bodies = Vec::new();
    for (shard, records) in read_shards(&kinesis, &arn).await? {
        let sequence_numbers: Vec<String> = records
            .into_iter()
            .map(|record| record.sequence_number)
            .collect();
        for range in sequence_numbers.chunks_exact(RANGE) {
            if bodies.len() == count {
                break;
            }
            let record = onfailure(&arn, &shard, range, bodies.len());
            bodies.push(if bodies.len() % 2 == 0 {
                record
            } else {
                sns_wrapped(&record, bodies.len())
            });
        }
    }
    if bodies.len() != count {
        return Err(format!(
            "only {} ranges of {RANGE} records for {count} failures",
            bodies.len()
        )
        .into());
    }
    for batch in bodies.chunks(10) {
        let entries = batch
            .iter()
            .enumerate()
            .map(|(n, body)| {
                SendMessageBatchRequestEntry::builder()
                    .id(n.to_string())
                    .message_body(body)
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()?;
        sqs.send_message_batch()
            .queue_url(&source_url)
            .set_entries(Some(entries))
            .send()
            .await?;
    }

    // The rescue as `streamdlq hydrate --from-queue` runs it: the hydrate
    // function's clients, engine and sink, each client counting its calls.
    let counter = CallCounter::default();
    let counted_kinesis = aws_sdk_kinesis::Client::from_conf(
        clients::kinesis(&emulators.kinesis_config())
            .config()
            .to_builder()
            .interceptor(counter.clone())
            .build(),
    );
    let counted_sqs = aws_sdk_sqs::Client::from_conf(
        clients::sqs(&emulators.moto_config())
            .config()
            .to_builder()
            .interceptor(counter.clone())
            .build(),
    );
    let reader = KinesisShardReader::new(counted_kinesis);
    let hydrator = Hydrator::new(
        reader.clone(),
        SqsDlqSink::new(counted_sqs.clone(), &dlq_url),
        HydrateConfig {
            dlq_url: dlq_url.clone(),
            allowlist: StreamAllowlist::parse(&arn),
            message_limit: SQS_MESSAGE_LIMIT,
            dlq_write_reserve: Duration::from_secs(10),
        },
    );
    let retention = CountedRetention::cached(reader);
    let source = SourceQueue::new(counted_sqs, &source_url);
    let started = Instant::now();
    let (summary, error) = Rescue {
        hydrator: &hydrator,
        retention: &retention,
        source: &source,
        options: RescueOptions::default(),
        progress: &ProgressBar::hidden(),
        interrupt: &Interrupt::default(),
    }
    .run()
    .await;
    let elapsed = started.elapsed();
    if let Some(error) = error {
        return Err(format!("{error:#}").into());
    }

    let complete = summary.failures.get("complete").copied().unwrap_or(0);
    let left = DlqQueue::new(sqs.clone(), &source_url).depth().await?;
    let written = DlqQueue::new(sqs.clone(), &dlq_url).depth().await?;
    if complete != count
        || summary.deleted != count
        || left.visible + left.in_flight != 0
        || written.visible != count as u64
    {
        return Err(format!(
            "rescued {complete} of {count} complete, deleted {}, {} left in the source queue, \
             {} DLQ messages",
            summary.deleted,
            left.visible + left.in_flight,
            written.visible
        )
        .into());
    }

    let calls = counter.counts();
    let total: usize = calls.values().sum();
    let per_failure = total as f64 / count as f64;
    let rate = count as f64 / elapsed.as_secs_f64().max(f64::EPSILON);
    println!(
        "rescue of {count} metadata-only failure records ({RANGE} records of {RECORD_BYTES} B \
         each, half SNS-wrapped; {SHARDS} shards) from moto SQS, ranges read from kinesis-local"
    );
    println!(
        "  {:.2} s = {rate:.1} failures/s ({:.0} records/s), {} DLQ messages",
        elapsed.as_secs_f64(),
        rate * RANGE as f64,
        summary.dlq_messages
    );
    println!("  API calls on the wire: {total} = {per_failure:.2} per failure");
    for (operation, calls) in &calls {
        println!(
            "    {operation}: {calls} ({:.2} per failure)",
            *calls as f64 / count as f64
        );
    }
    println!(
        "  the run's own count: {} (the wire count adds GetQueueAttributes and SDK retries)",
        summary.calls.total()
    );
    // The lines scripts/bench.sh keeps for its summary.
    println!(
        "result: {ID}: {count} failures of {RANGE} records rescued in {:.2} s = {rate:.1} failures/s",
        elapsed.as_secs_f64()
    );
    let by_operation = calls
        .iter()
        .map(|(operation, calls)| format!("{operation} {calls}"))
        .collect::<Vec<_>>()
        .join(", ");
    println!("result: {ID}: {total} API calls = {per_failure:.2} per failure ({by_operation})");
    Ok(())
}

fn onfailure(arn: &str, shard: &str, range: &[String], n: usize) -> String {
    serde_json::json!({
        "requestContext": {"requestId": format!("bench-{n}"), "condition": "RetryAttemptsExhausted", "approximateInvokeCount": 4},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": "2026-11-23T10:15:42.318Z",
        "KinesisBatchInfo": {
            "shardId": shard,
            "startSequenceNumber": range[0],
            "endSequenceNumber": range[range.len() - 1],
            "approximateArrivalOfFirstRecord": "2026-11-23T10:14:57.512Z",
            "approximateArrivalOfLastRecord": "2026-11-23T10:14:57.986Z",
            "batchSize": range.len(),
            "streamArn": arn
        }
    })
    .to_string()
}

fn sns_wrapped(record: &str, n: usize) -> String {
    serde_json::json!({
        "Type": "Notification",
        "MessageId": format!("6a1f0d5e-0000-4000-8000-{n:012}"),
        "TopicArn": "arn:aws:sns:us-east-1:000000000000:bench-failures",
        "Message": record,
    })
    .to_string()
}

async fn create_queue(sqs: &aws_sdk_sqs::Client, name: &str) -> BenchResult<String> {
    Ok(sqs
        .create_queue()
        .queue_name(name)
        .send()
        .await?
        .queue_url
        .ok_or("no queue url")?)
}
