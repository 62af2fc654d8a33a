//! Records per second through the batch helper and the demo logic, on a
//! 10,000-record event (the largest Kinesis `BatchSize`).
//!
//! - `event_to_response`: event JSON text in, response JSON text out — what
//!   one invocation does, without logging installed.
//! - `event_to_response_json_logs`: the same with the Lambda's JSON log
//!   subscriber writing to nowhere, so formatting one log line per element
//!   is counted.
//! - `deserialise`: the event JSON text into a `KinesisBatch` alone,
//!   through serde_json (the reference reading, and the one for events with
//!   escapes or other rare shapes).
//! - `deserialise_bytes`: the event's bytes into a `KinesisBatch` as the
//!   binary reads them (`KinesisBatch::from_json`, behind
//!   `EventBodyLayer`: the scanner specialised for the event as the ESM
//!   writes it).
//! - `deserialise_lambda_runtime`: the same bytes read the way
//!   `lambda_runtime` reads a payload (`serde_path_to_error` over
//!   `serde_json::from_slice`), which the binary no longer does.
//! - `process_batch`: the helper and demo logic alone, on an already
//!   deserialised batch.
//!
//! The whole invocation through the Lambda Runtime API, against Powertools
//! for AWS Lambda (Python), is `scripts/bench-runtime-api.sh`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use processor::{ElementHandler, LogSink, SchemaMode};
use serde_json::{Value, json};
use streamdlq_core::batch::{KinesisBatch, process_batch};

const RECORDS: usize = 10_000;

const ELEMENTS: [(u32, &str, &str, f64); 10] = [
    (1, "Hydrogen", "H", 1.008),
    (2, "Helium", "He", 4.0026),
    (3, "Lithium", "Li", 6.94),
    (4, "Beryllium", "Be", 9.0122),
    (5, "Boron", "B", 10.811),
    (6, "Carbon", "C", 12.011),
    (7, "Nitrogen", "N", 14.007),
    (8, "Oxygen", "O", 15.999),
    (9, "Fluorine", "F", 18.998),
    (10, "Neon", "Ne", 20.18),
];

/// A real-shaped event of valid elements with 56-digit sequence numbers.
fn event_json() -> String {
    let records: Vec<Value> = (0..RECORDS)
        .map(|i| {
            let (number, name, symbol, mass) = ELEMENTS[i % ELEMENTS.len()];
            let element = json!({
                "AtomicNumber": number, "Element": name, "Symbol": symbol, "AtomicMass": mass
            });
            let sequence_number = format!("4965695925209453244739117821838627129840653243{i:010}");
            json!({
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": "periodic-table",
                    "sequenceNumber": sequence_number,
                    "data": STANDARD.encode(element.to_string()),
                    // Milliseconds, as the ESM writes them: three decimals,
                    // not a float sum's 1795428897.5140002.
                    "approximateArrivalTimestamp": (1_795_428_897_512 + i) as f64 / 1000.0
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": format!("shardId-000000000000:{sequence_number}"),
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": "arn:aws:iam::123456789012:role/streamdlq-processor-role",
                "awsRegion": "us-east-1",
                "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/streamdlq-demo"
            })
        })
        .collect();
    json!({ "Records": records }).to_string()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio runtime")
}

/// One invocation's work: parse the event, process it, write the answer.
fn invoke(runtime: &tokio::runtime::Runtime, handler: &ElementHandler, event: &str) -> String {
    let batch = KinesisBatch::from_json(event.as_bytes()).expect("event parses");
    let outcome = runtime.block_on(process_batch(batch, handler));
    assert!(outcome.is_success(), "every record is valid");
    serde_json::to_string(&outcome.into_response()).expect("response serialises")
}

fn batch(c: &mut Criterion) {
    let runtime = runtime();
    let handler = ElementHandler::new(LogSink, SchemaMode::Strict);
    let event = event_json();
    let parsed: KinesisBatch = serde_json::from_str(&event).expect("event parses");

    let mut group = c.benchmark_group("processor");
    group.throughput(Throughput::Elements(RECORDS as u64));
    group.sample_size(20);
    // The logging variant needs ~7 s for 20 linear samples.
    group.measurement_time(Duration::from_secs(8));

    group.bench_function("event_to_response", |b| {
        b.iter(|| invoke(&runtime, &handler, &event));
    });

    group.bench_function("event_to_response_json_logs", |b| {
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_ansi(false)
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(std::io::sink)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            b.iter(|| invoke(&runtime, &handler, &event));
        });
    });

    group.bench_function("deserialise", |b| {
        b.iter(|| serde_json::from_str::<KinesisBatch>(&event).expect("event parses"));
    });

    group.bench_function("deserialise_bytes", |b| {
        b.iter(|| KinesisBatch::from_json(event.as_bytes()).expect("event parses"));
    });

    group.bench_function("deserialise_lambda_runtime", |b| {
        b.iter(|| {
            let deserializer = &mut serde_json::Deserializer::from_slice(event.as_bytes());
            serde_path_to_error::deserialize::<_, KinesisBatch>(deserializer).expect("event parses")
        });
    });

    group.bench_function("process_batch", |b| {
        b.iter_batched(
            || parsed.clone(),
            |batch| runtime.block_on(process_batch(batch, &handler)),
            BatchSize::LargeInput,
        );
    });

    group.finish();
}

criterion_group!(benches, batch);
criterion_main!(benches);
