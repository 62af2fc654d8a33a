//! What the CLI tests share: the emulators, a stream and queues per test,
//! DLQ messages built from records read back from the stream, a state
//! file, and running the binary.
#![allow(dead_code)] // each test binary uses a different part

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use aws_sdk_kinesis::types::{ShardIteratorType, StreamStatus};
use streamdlq_cli::put::{KinesisStreamWriter, OrderedPut, PutEntry, PutOptions};
use streamdlq_cli::queue::{DlqQueue, QueueDepth};
use streamdlq_cli::stream::StreamId;
use streamdlq_core::dlq::{DlqSink, FailureSource, SQS_MESSAGE_LIMIT, SqsDlqSink, build_parts};
use streamdlq_core::{FailureRecord, Hydration, HydrationStatus, SequenceNumber, StreamRecord};
use streamdlq_emulators::{EmulatorProcess, Emulators};
use streamdlq_local::state::{
    Endpoints, LocalState, ProcessEntry, STATE_FILE, STATE_VERSION, StreamState,
};

/// One test's view of the shared emulators, with names of its own.
pub struct TestEnv {
    pub emulators: &'static Emulators,
    pub kinesis: aws_sdk_kinesis::Client,
    pub sqs: aws_sdk_sqs::Client,
    /// Unique per test: every resource name starts with it.
    pub prefix: String,
}

impl TestEnv {
    pub async fn new(test: &str) -> Self {
        let emulators = Emulators::shared().await.expect("emulators start");
        Self {
            emulators,
            kinesis: aws_sdk_kinesis::Client::new(&emulators.kinesis_config()),
            sqs: aws_sdk_sqs::Client::new(&emulators.moto_config()),
            prefix: format!("{test}-{:06x}", fastrand::u32(..0xff_ffff)),
        }
    }

    /// Creates an active stream; returns its ARN.
    pub async fn stream(&self, suffix: &str, shards: i32) -> (String, String) {
        let name = format!("{}-{suffix}", self.prefix);
        self.kinesis
            .create_stream()
            .stream_name(&name)
            .shard_count(shards)
            .send()
            .await
            .expect("create stream");
        for _ in 0..100 {
            let summary = self
                .kinesis
                .describe_stream_summary()
                .stream_name(&name)
                .send()
                .await
                .expect("describe stream")
                .stream_description_summary
                .expect("summary");
            if summary.stream_status == StreamStatus::Active {
                return (name, summary.stream_arn);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("stream {name} never became active");
    }

    /// Creates a queue; returns its URL.
    pub async fn queue(&self, suffix: &str) -> String {
        self.sqs
            .create_queue()
            .queue_name(format!("{}-{suffix}", self.prefix))
            .send()
            .await
            .expect("create queue")
            .queue_url
            .expect("queue url")
    }

    pub fn dlq(&self, url: &str) -> DlqQueue {
        DlqQueue::new(self.sqs.clone(), url)
    }

    pub async fn depth(&self, url: &str) -> QueueDepth {
        self.dlq(url).depth().await.expect("queue depth")
    }

    /// Puts records through the CLI's writer; returns them as put.
    pub async fn put(&self, stream_arn: &str, entries: Vec<PutEntry>) -> Vec<PutEntry> {
        let writer = KinesisStreamWriter::new(self.kinesis.clone());
        let mut put = OrderedPut::new(
            StreamId::Arn(stream_arn.to_owned()),
            entries.clone(),
            PutOptions::default(),
        )
        .expect("valid records");
        put.finish(&writer, |_| {}).await.expect("records put");
        entries
    }

    /// Every record of the stream, per shard in shard order.
    pub async fn read_stream(&self, stream_arn: &str) -> BTreeMap<String, Vec<StreamRecord>> {
        let shards = self
            .kinesis
            .list_shards()
            .stream_arn(stream_arn)
            .send()
            .await
            .expect("list shards")
            .shards
            .unwrap_or_default();
        let mut all = BTreeMap::new();
        for shard in shards {
            let mut iterator = self
                .kinesis
                .get_shard_iterator()
                .stream_arn(stream_arn)
                .shard_id(&shard.shard_id)
                .shard_iterator_type(ShardIteratorType::TrimHorizon)
                .send()
                .await
                .expect("iterator")
                .shard_iterator;
            let mut records = Vec::new();
            while let Some(current) = iterator {
                let page = self
                    .kinesis
                    .get_records()
                    .stream_arn(stream_arn)
                    .shard_iterator(current)
                    .limit(10_000)
                    .send()
                    .await
                    .expect("get records");
                let empty = page.records.is_empty();
                records.extend(page.records.into_iter().map(|record| {
                    StreamRecord {
                        sequence_number: SequenceNumber::parse(&record.sequence_number)
                            .expect("sequence number"),
                        partition_key: record.partition_key.unwrap_or_default(),
                        approximate_arrival_millis: record
                            .approximate_arrival_timestamp
                            .and_then(|time| time.to_millis().ok()),
                        data: record.data.into_inner(),
                    }
                }));
                iterator = page.next_shard_iterator;
                if empty && page.millis_behind_latest.unwrap_or(0) == 0 {
                    break;
                }
            }
            all.insert(shard.shard_id, records);
        }
        all
    }

    /// Sends the DLQ messages of one hydrated failure, in parts of at most
    /// `limit` bytes; returns the failure id and the number of messages.
    pub async fn send_failure(
        &self,
        queue_url: &str,
        failure: &str,
        status: HydrationStatus,
        records: Vec<StreamRecord>,
        limit: usize,
    ) -> (String, usize) {
        let record = FailureRecord::parse(failure).expect("an OnFailure record");
        let expected = record.batch.batch_size;
        let hydration = Hydration {
            status,
            expected,
            reason: (status != HydrationStatus::Complete).then(|| format!("test: {status}")),
            records,
        };
        let messages =
            build_parts(&FailureSource::Record(&record), &hydration, limit).expect("parts");
        SqsDlqSink::new(self.sqs.clone(), queue_url)
            .send(&messages)
            .await
            .expect("DLQ messages sent");
        (messages[0].id.clone(), messages.len())
    }

    /// Sends a message that is not a streamdlq DLQ message.
    pub async fn send_foreign(&self, queue_url: &str, body: &str) -> String {
        self.sqs
            .send_message()
            .queue_url(queue_url)
            .message_body(body)
            .send()
            .await
            .expect("send")
            .message_id
            .expect("message id")
    }

    /// A state file naming the emulators, the stream and the DLQ, in a
    /// fresh directory.
    pub fn state_file(&self, stream: (&str, &str), dlq_url: &str) -> PathBuf {
        let path = temp_dir(&self.prefix).join(STATE_FILE);
        self.local_state(stream, dlq_url)
            .save_to(&path)
            .expect("state file");
        path
    }

    /// The state of a local stack made of the shared emulators: their real
    /// processes, which the state's liveness check recognises as running.
    pub fn local_state(&self, stream: (&str, &str), dlq_url: &str) -> LocalState {
        let moto = self.emulators.moto().endpoint_url();
        let process = |process: &EmulatorProcess| ProcessEntry {
            name: process.name().to_owned(),
            pid: process.pid(),
            pgid: process.process_group(),
        };
        LocalState {
            version: STATE_VERSION,
            region: "us-east-1".to_owned(),
            endpoints: Endpoints {
                kinesis: self.emulators.kinesis().endpoint_url().to_owned(),
                moto: moto.to_owned(),
            },
            stack_name: "streamdlq".to_owned(),
            stream: StreamState {
                name: stream.0.to_owned(),
                arn: stream.1.to_owned(),
            },
            topic_arn: format!("arn:aws:sns:us-east-1:000000000000:{}-topic", self.prefix),
            dlq_url: dlq_url.to_owned(),
            hydrate_failure_queue_url: format!("{moto}/000000000000/{}-unused", self.prefix),
            delivery_queue_url: format!("{moto}/000000000000/{}-unused", self.prefix),
            processes: vec![
                process(self.emulators.kinesis().process()),
                process(self.emulators.moto().process()),
            ],
            started_at: "2026-11-23T10:00:00.000Z".to_owned(),
            table: None,
        }
    }
}

/// The OnFailure record of a failed batch of `records` (one shard), as a
/// Kinesis ESM would send it.
pub fn onfailure(
    stream_arn: &str,
    shard_id: &str,
    records: &[StreamRecord],
    request_id: &str,
) -> String {
    let first = records.first().expect("records");
    let last = records.last().expect("records");
    serde_json::json!({
        "requestContext": {
            "requestId": request_id,
            "functionArn": "arn:aws:lambda:us-east-1:000000000000:function:streamdlq-processor",
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": 4
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": "2026-11-23T10:15:42.318Z",
        "KinesisBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": first.sequence_number.as_str(),
            "endSequenceNumber": last.sequence_number.as_str(),
            "approximateArrivalOfFirstRecord": "2026-11-23T10:14:57.512Z",
            "approximateArrivalOfLastRecord": "2026-11-23T10:14:57.986Z",
            "batchSize": records.len(),
            "streamArn": stream_arn
        }
    })
    .to_string()
}

/// Sends one complete failure per shard, covering every record of it.
pub async fn fail_every_shard(
    env: &TestEnv,
    stream_arn: &str,
    queue_url: &str,
    limit: usize,
) -> BTreeMap<String, Vec<StreamRecord>> {
    let shards = env.read_stream(stream_arn).await;
    for (n, (shard, records)) in shards.iter().enumerate() {
        if records.is_empty() {
            continue;
        }
        let failure = onfailure(stream_arn, shard, records, &format!("request-{n}"));
        env.send_failure(
            queue_url,
            &failure,
            HydrationStatus::Complete,
            records.clone(),
            limit,
        )
        .await;
    }
    shards
}

pub const FULL: usize = SQS_MESSAGE_LIMIT;

/// A fresh directory under the system temp dir.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "streamdlq-cli-{name}-{}-{:08x}",
        std::process::id(),
        fastrand::u32(..)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Runs the `streamdlq` binary in `dir` with a clean streamdlq and AWS
/// environment (so nothing of the caller's leaks in).
pub fn cli(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_streamdlq"));
    command.args(args).current_dir(dir);
    for (name, _) in std::env::vars() {
        if name.starts_with("STREAMDLQ_")
            || name.starts_with("AWS_")
            || name == "PROCESSOR_SCHEMA_MODE"
        {
            command.env_remove(name);
        }
    }
    command
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_REGION", "us-east-1")
        .env("RUST_LOG", "warn");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("the streamdlq binary runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The records' payloads and keys, for order comparisons.
pub fn payloads(records: &[StreamRecord]) -> Vec<(String, Vec<u8>)> {
    records
        .iter()
        .map(|record| (record.partition_key.clone(), record.data.clone()))
        .collect()
}
