//! Hydrating a 1,000-record DynamoDB Streams range against moto: how many
//! GetRecords calls it takes, how long, and how much memory. Not a timed
//! test: it prints figures (`scripts/bench.sh`).
//!
//! Preparing the data (a table with a `NEW_AND_OLD_IMAGES` stream, 1,000
//! items of about 600 bytes each written through the SDK, a fresh queue
//! per run) is not measured, nor is reading the DLQ back to check it; each
//! run measures one `Hydrator::process_message`: parse, read the range from
//! moto's DynamoDB Streams, build the parts and send them to moto's SQS,
//! through the same SDK clients as the Lambda.
//!
//! Goal: GetRecords calls = 1, the minimum a 1,000-record page allows.
//! Peak memory is the process's VmHWM, reset just before each hydration.
//!
//! `HYDRATE_BENCH_RUNS` sets the number of runs (default 5).

use std::error::Error;
use std::time::{Duration, Instant};

use hydrate::{HydrateConfig, Hydrator, clients};
use streamdlq_core::dynamodb::{AttributeValue, Item};
use streamdlq_core::{
    DynamoDbShardReader, HydrationStatus, KinesisShardReader, SqsDlqSink, assemble,
};
use streamdlq_emulators::Emulators;

#[path = "common/dlq.rs"]
mod dlq;
#[path = "common/memory.rs"]
mod memory;
#[path = "../tests/common/table.rs"]
#[allow(dead_code)]
mod table;

use dlq::drain_dlq;
use memory::{mib, reset_peak_memory, status_kib};
use table::{TableStream, key};

type BenchResult<T> = Result<T, Box<dyn Error>>;

const RECORDS: usize = 1_000;
const PAYLOAD_BYTES: usize = 600;
const MIB: usize = 1_048_576;

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

/// One run's figures.
#[derive(Debug, Clone, Copy)]
struct Run {
    wall: Duration,
    get_records: u32,
    messages: usize,
    dlq_bytes: usize,
    peak_rss_kib: Option<u64>,
    start_rss_kib: Option<u64>,
}

async fn bench(runs: usize) -> BenchResult<()> {
    let emulators = Emulators::start().await?;
    let moto = emulators.moto_config();
    let dynamodb = aws_sdk_dynamodb::Client::new(&moto);
    let streams = clients::dynamodb_streams(&moto);
    let sqs = clients::sqs(&moto);
    let kinesis = clients::kinesis(&emulators.kinesis_config());
    let (table, message, items) = prepare(&dynamodb, &streams).await?;
    println!(
        "hydrate (DynamoDB Streams): {RECORDS} items of ~{PAYLOAD_BYTES} bytes, {runs} run(s)"
    );
    let mut results = Vec::with_capacity(runs);
    for number in 1..=runs {
        let queue_url = sqs
            .create_queue()
            .queue_name(format!("hydrate-ddb-bench-{number}"))
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
            "ALLOWED_STREAM_ARNS" => Some(table.stream_arn.clone()),
            _ => None,
        })?;
        let hydrator = Hydrator::new(
            KinesisShardReader::new(kinesis.clone()),
            SqsDlqSink::new(sqs.clone(), queue_url.clone()),
            config,
        )
        .with_dynamodb(DynamoDbShardReader::new(streams.clone()));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(600);

        let peak_reset = reset_peak_memory();
        let start_rss_kib = status_kib("VmRSS:");
        let started = Instant::now();
        let outcome = hydrator.process_message(&message, deadline).await;
        let wall = started.elapsed();
        let peak_rss_kib = if peak_reset {
            status_kib("VmHWM:")
        } else {
            None
        };
        if let Some(error) = &outcome.error {
            return Err(format!("the DLQ was not written: {error}").into());
        }
        if outcome.summary.status != HydrationStatus::Complete || outcome.summary.found != RECORDS {
            return Err(format!("hydration was not complete: {:?}", outcome.summary).into());
        }
        verify_dlq(&sqs, &queue_url, outcome.summary.parts, &items).await?;
        sqs.delete_queue().queue_url(&queue_url).send().await?;
        let run = Run {
            wall,
            get_records: outcome.read.get_records_calls,
            messages: outcome.sent.messages,
            dlq_bytes: outcome.sent.bytes,
            peak_rss_kib,
            start_rss_kib,
        };
        println!(
            "  run {number}: wall {:.3} s, GetRecords {}, {} DLQ messages ({} bytes), peak RSS {}",
            run.wall.as_secs_f64(),
            run.get_records,
            run.messages,
            run.dlq_bytes,
            run.peak_rss_kib
                .map_or_else(|| "-".to_owned(), |kib| format!("{:.1} MiB", mib(kib))),
        );
        results.push(run);
    }
    report(&results);
    emulators.stop().await?;
    Ok(())
}

/// A table stream whose only shard holds the 1,000 inserts (not measured),
/// the OnFailure record for exactly them, and the items written.
async fn prepare(
    dynamodb: &aws_sdk_dynamodb::Client,
    streams: &aws_sdk_dynamodbstreams::Client,
) -> BenchResult<(TableStream, String, Vec<Item>)> {
    let table = TableStream::create(dynamodb, streams, "hydrate-ddb-bench").await;
    let mut items = Vec::with_capacity(RECORDS);
    for n in 0..RECORDS {
        let mut item = key(&format!("item-{n:05}"));
        let payload: Vec<u8> = (0..PAYLOAD_BYTES)
            .map(|i| ((n * 31 + i * 7) % 256) as u8)
            .collect();
        item.insert("payload".to_owned(), AttributeValue::B(payload));
        item.insert("n".to_owned(), AttributeValue::N(format!("{n}.{n}")));
        table.put(dynamodb, &item).await;
        items.push(item);
    }
    let listed = table.list(streams).await;
    let (Some(first), Some(last)) = (listed.first(), listed.last()) else {
        return Err("the stream holds no records".into());
    };
    if listed.len() != RECORDS {
        return Err(format!("the stream holds {} records, not {RECORDS}", listed.len()).into());
    }
    let message = serde_json::json!({
        "requestContext": {
            "requestId": "6f7b2c1e-0d4a-4b8e-9c3f-2a1b0c9d8e7f",
            "functionArn": "arn:aws:lambda:us-east-1:000000000000:function:table-processor",
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": 4
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": "2026-11-23T10:15:42.318Z",
        "DDBStreamBatchInfo": {
            "shardId": table.shard_id,
            "startSequenceNumber": first.sequence_number,
            "endSequenceNumber": last.sequence_number,
            "approximateArrivalOfFirstRecord": "2026-11-23T10:14:57Z",
            "approximateArrivalOfLastRecord": "2026-11-23T10:14:58Z",
            "batchSize": RECORDS,
            "streamArn": table.stream_arn
        }
    })
    .to_string();
    Ok((table, message, items))
}

/// Receives and deletes every message, and checks that they read back into
/// exactly the items written, in order.
async fn verify_dlq(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    parts: usize,
    items: &[Item],
) -> BenchResult<()> {
    let bodies = drain_dlq(sqs, queue_url, parts).await?;
    let failures = assemble(bodies.iter().map(String::as_str));
    let [Ok(failure)] = failures.as_slice() else {
        return Err(format!("the DLQ does not read back as one failure: {failures:?}").into());
    };
    let read: Vec<Option<&Item>> = failure
        .dynamodb_records
        .iter()
        .map(|record| record.dynamodb.new_image.as_ref())
        .collect();
    let written: Vec<Option<&Item>> = items.iter().map(Some).collect();
    if read != written {
        return Err("the DLQ records differ from the items written".into());
    }
    Ok(())
}

/// The figures `scripts/bench.sh` collects: lines starting with `result:`.
fn report(runs: &[Run]) {
    let mut walls: Vec<Duration> = runs.iter().map(|run| run.wall).collect();
    walls.sort();
    let get_records = runs.iter().map(|run| run.get_records).max().unwrap_or(0);
    let messages = runs.iter().map(|run| run.messages).max().unwrap_or(0);
    let dlq_bytes = runs.iter().map(|run| run.dlq_bytes).max().unwrap_or(0);
    let met = if get_records <= 1 { "met" } else { "MISSED" };
    println!("result: GetRecords calls {get_records} (goal 1, one 1,000-record page: {met})");
    println!(
        "result: wall time median {:.3} s (min {:.3} s, max {:.3} s, {} runs), {messages} DLQ messages, {dlq_bytes} bytes",
        walls[walls.len() / 2].as_secs_f64(),
        walls[0].as_secs_f64(),
        walls[walls.len() - 1].as_secs_f64(),
        runs.len(),
    );
    let peak = runs.iter().filter_map(|run| run.peak_rss_kib).max();
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
