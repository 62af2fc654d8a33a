//! A storm: failures put into kinesis-local, their OnFailure events
//! delivered to hydrate instances whose Kinesis and SQS calls pass through
//! fault proxies, some instances SIGKILLed in the middle of a multi-part
//! write, every failed or killed delivery redelivered as Lambda does; then
//! the DLQ drained and checked.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::Value;
use streamdlq_emulators::Emulators;
use streamdlq_fault_proxy::{FaultCounts, FaultProxy, ProxyConfig, Sabotage};

use crate::check::{self, Expected, Record, Verdict};
use crate::common::emulator::{self, Stream};
use crate::common::fixtures::{self, KINESIS, Range};
use crate::runtime::{Attempt, Function};

/// What a storm does.
#[derive(Debug, Clone)]
pub struct Storm {
    pub seed: u64,
    /// Keep going, round after round, until this many faults were injected.
    pub min_faults: u64,
    /// Failures per round.
    pub failures_per_round: usize,
    /// Of those, how many are big: many parts, written in several
    /// SendMessageBatch calls.
    pub big_per_round: usize,
    /// Of the big ones, how many get their function killed in the middle of
    /// writing them.
    pub kills_per_round: usize,
    pub max_rounds: usize,
    /// Concurrent function instances, each behind its own proxies.
    pub workers: usize,
    /// Fault rate of the Kinesis calls.
    pub kinesis_rate: f64,
    /// Fault rate of the SQS calls.
    pub sqs_rate: f64,
    pub sabotage: Option<Sabotage>,
    /// Deliveries of one event before giving up on it: Lambda's first try
    /// and two retries, then redrives from the function's own failure queue.
    pub max_deliveries: u32,
}

impl Storm {
    /// The short seeded storm of the test suite.
    pub fn short(seed: u64) -> Self {
        Self {
            seed,
            min_faults: 0,
            failures_per_round: 12,
            big_per_round: 1,
            kills_per_round: 1,
            max_rounds: 1,
            workers: 2,
            kinesis_rate: 0.3,
            sqs_rate: 0.35,
            sabotage: None,
            max_deliveries: 8,
        }
    }
}

/// What happened to the deliveries.
#[derive(Debug, Default, Clone)]
pub struct Deliveries {
    pub invocations: u64,
    pub redeliveries: u64,
    pub kills: u64,
    pub crashes: u64,
    pub timeouts: u64,
    pub error_types: BTreeMap<String, u64>,
    /// Events still undelivered after `max_deliveries`.
    pub given_up: Vec<String>,
}

impl Deliveries {
    fn merge(&mut self, other: &Self) {
        self.invocations += other.invocations;
        self.redeliveries += other.redeliveries;
        self.kills += other.kills;
        self.crashes += other.crashes;
        self.timeouts += other.timeouts;
        for (error_type, count) in &other.error_types {
            *self.error_types.entry(error_type.clone()).or_default() += count;
        }
        self.given_up.extend(other.given_up.iter().cloned());
    }
}

/// Everything a storm measured.
#[derive(Debug)]
pub struct Report {
    pub faults: FaultCounts,
    pub deliveries: Deliveries,
    pub verdict: Verdict,
    pub elapsed: Duration,
}

impl Report {
    /// The report's lines, as `scripts/faults.sh` shows them.
    pub fn print(&self, storm: &Storm) {
        println!(
            "faults: seed {} workers {} rate kinesis {} sqs {} sabotage {:?}",
            storm.seed, storm.workers, storm.kinesis_rate, storm.sqs_rate, storm.sabotage
        );
        println!("{}", self.faults);
        let d = &self.deliveries;
        println!(
            "invocations: {} (redeliveries {}, killed mid-write {}, crashed {}, timed out {}, given up {})",
            d.invocations,
            d.redeliveries,
            d.kills,
            d.crashes,
            d.timeouts,
            d.given_up.len()
        );
        for (error_type, count) in &d.error_types {
            println!("invocation errors {error_type}: {count}");
        }
        let v = &self.verdict;
        println!(
            "dlq: {} messages, {} identical copies, {} foreign",
            v.messages, v.duplicates, v.foreign
        );
        for (id, why) in &v.lost {
            println!("lost {id}: {why}");
        }
        for (id, why) in &v.altered {
            println!("altered {id}: {why}");
        }
        println!(
            "result: faults={} sabotage={} failures={} records={} lost={} altered={} seconds={:.1}",
            self.faults.injected(),
            self.faults.sabotaged(),
            v.failures,
            v.records,
            v.lost.len(),
            v.altered.len(),
            self.elapsed.as_secs_f64()
        );
    }
}

/// One failure to deliver.
#[derive(Debug, Clone)]
struct Job {
    expected: Expected,
    event: String,
    kill: bool,
}

/// One function instance with its two proxies.
#[derive(Debug)]
struct Worker {
    function: Function,
    kinesis: FaultProxy,
    sqs: FaultProxy,
}

fn upstream(endpoint_url: &str) -> SocketAddr {
    endpoint_url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .expect("an emulator listens on an IP address and port")
}

/// Runs `storm` against the shared emulators.
pub async fn run(storm: &Storm) -> Report {
    let started = Instant::now();
    let emulators = Emulators::shared().await.expect("emulators start");
    let aws = emulator::aws().await;
    let stream = Stream::create(&aws.kinesis, 2).await;
    let queue_url = emulator::create_queue(&aws.sqs).await;
    let log_dir = std::env::temp_dir().join("streamdlq-faults");
    std::fs::create_dir_all(&log_dir).expect("log dir");

    let mut workers = Vec::new();
    for n in 0..storm.workers {
        let seed = storm.seed.wrapping_mul(1_000).wrapping_add(2 * n as u64);
        let mut kinesis = ProxyConfig::new(upstream(emulators.kinesis().endpoint_url()));
        kinesis.seed = seed;
        kinesis.rate = storm.kinesis_rate;
        let mut sqs = ProxyConfig::new(upstream(emulators.moto().endpoint_url()));
        sqs.seed = seed + 1;
        sqs.rate = storm.sqs_rate;
        // One instance carries the sabotage, so it happens exactly once.
        sqs.sabotage = if n == 0 { storm.sabotage } else { None };
        let kinesis = FaultProxy::start(kinesis).await.expect("kinesis proxy");
        let sqs = FaultProxy::start(sqs).await.expect("sqs proxy");
        let env = function_env(&queue_url, &stream.arn, &kinesis, &sqs);
        let log = log_dir.join(format!("hydrate-{}-{n}.log", storm.seed));
        let function = Function::new(&format!("w{n}"), env, log).await;
        workers.push(Worker {
            function,
            kinesis,
            sqs,
        });
    }

    let mut rng = fastrand::Rng::with_seed(storm.seed);
    let mut expected = Vec::new();
    let mut deliveries = Deliveries::default();
    for round in 0..storm.max_rounds {
        let jobs = make_jobs(storm, round, &stream, &aws.kinesis, &mut rng).await;
        expected.extend(jobs.iter().map(|job| job.expected.clone()));
        let queue = Arc::new(Mutex::new(VecDeque::from(jobs)));
        let mut tasks = Vec::new();
        for worker in workers.drain(..) {
            let queue = Arc::clone(&queue);
            let max = storm.max_deliveries;
            tasks.push(tokio::spawn(work(worker, queue, max)));
        }
        for task in tasks {
            let (worker, done) = task.await.expect("worker");
            deliveries.merge(&done);
            workers.push(worker);
        }
        let injected = faults(&workers).injected();
        println!(
            "round {}: {} failures delivered, {injected} faults so far",
            round + 1,
            expected.len()
        );
        if injected >= storm.min_faults {
            break;
        }
    }
    let counts = faults(&workers);
    for worker in workers {
        worker.function.stop().await;
    }
    let bodies = drain(&aws.sqs, &queue_url).await;
    let verdict = check::check(&bodies, &expected);
    Report {
        faults: counts,
        deliveries,
        verdict,
        elapsed: started.elapsed(),
    }
}

fn faults(workers: &[Worker]) -> FaultCounts {
    let mut total = FaultCounts::default();
    for worker in workers {
        total.merge(&worker.kinesis.counts());
        total.merge(&worker.sqs.counts());
    }
    total
}

/// The function's environment, as a deployment would set it, pointing its
/// SDK clients at the proxies. Small messages make every failure of some
/// size a multi-part one.
fn function_env(
    queue_url: &str,
    stream_arn: &str,
    kinesis: &FaultProxy,
    sqs: &FaultProxy,
) -> Vec<(String, String)> {
    [
        ("DLQ_URL", queue_url.to_owned()),
        ("ALLOWED_STREAM_ARNS", stream_arn.to_owned()),
        ("MESSAGE_LIMIT_BYTES", "16384".to_owned()),
        ("AWS_ENDPOINT_URL_KINESIS", kinesis.endpoint_url()),
        ("AWS_ENDPOINT_URL_SQS", sqs.endpoint_url()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "streamdlq-local".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "streamdlq-local".to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ("AWS_LAMBDA_FUNCTION_NAME", "hydrate".to_owned()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512".to_owned()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        ("RUST_LOG", "info".to_owned()),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect()
}

/// Delivers jobs until none is left, redelivering each as Lambda would.
async fn work(
    mut worker: Worker,
    queue: Arc<Mutex<VecDeque<Job>>>,
    max_deliveries: u32,
) -> (Worker, Deliveries) {
    let mut done = Deliveries::default();
    loop {
        let next = queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front();
        let Some(job) = next else {
            return (worker, done);
        };
        for delivery in 1..=max_deliveries {
            done.invocations += 1;
            let tripwire = (job.kill && delivery == 1).then(|| worker.sqs.arm_tripwire());
            match worker.function.invoke(&job.event, tripwire).await {
                Attempt::Succeeded => break,
                Attempt::Failed(error_type) => {
                    *done.error_types.entry(error_type).or_default() += 1
                }
                Attempt::Killed => done.kills += 1,
                Attempt::Crashed => done.crashes += 1,
                Attempt::TimedOut => done.timeouts += 1,
            }
            if delivery == max_deliveries {
                done.given_up.push(job.expected.request_id.clone());
            } else {
                done.redeliveries += 1;
                // Lambda waits a minute or more; the emulators need no pause.
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// A round's failures: random binary records put into both shards, each
/// failure a run of consecutive records of one shard.
async fn make_jobs(
    storm: &Storm,
    round: usize,
    stream: &Stream,
    kinesis: &aws_sdk_kinesis::Client,
    rng: &mut fastrand::Rng,
) -> Vec<Job> {
    let mut sizes = Vec::new();
    for n in 0..storm.failures_per_round {
        let kill = n < storm.kills_per_round;
        // A big failure spans several SendMessageBatch calls of ten 16 KiB
        // parts; the others one to a few parts.
        let big = kill || n < storm.big_per_round;
        let count = if big { 320 } else { rng.usize(1..=40) };
        sizes.push((n % stream.shards.len(), count, kill));
    }
    let mut puts = Vec::new();
    for shard in 0..stream.shards.len() {
        let records: Vec<(String, Vec<u8>)> = sizes
            .iter()
            .filter(|(of, ..)| *of == shard)
            .flat_map(|(_, count, _)| 0..*count)
            .map(|n| {
                let key = match rng.u8(..4) {
                    0 => format!("ключ-☃-{n}"),
                    _ => format!("pk-{}", rng.u32(..1000)),
                };
                let len = rng.usize(1..=900);
                (
                    key,
                    std::iter::repeat_with(|| rng.u8(..)).take(len).collect(),
                )
            })
            .collect();
        let borrowed: Vec<(&str, Vec<u8>)> = records
            .iter()
            .map(|(key, data)| (key.as_str(), data.clone()))
            .collect();
        puts.push(VecDeque::from(stream.put(kinesis, shard, &borrowed).await));
    }
    sizes
        .into_iter()
        .enumerate()
        .map(|(n, (shard, count, kill))| {
            let records: Vec<Record> = puts[shard]
                .drain(..count)
                .map(|put| Record {
                    sequence_number: put.sequence_number,
                    partition_key: put.partition_key,
                    data: put.data,
                })
                .collect();
            let request_id = format!("storm-{}-{round}-{n}", storm.seed);
            let range = Range {
                stream_arn: stream.arn.clone(),
                shard_id: stream.shards[shard].id.clone(),
                start: records[0].sequence_number.clone(),
                end: records[count - 1].sequence_number.clone(),
                batch_size: u32::try_from(count).expect("small"),
            };
            let mut record: Value =
                serde_json::from_str(&fixtures::failure_message(KINESIS, &range)).expect("JSON");
            record["requestContext"]["requestId"] = request_id.clone().into();
            let message = record.to_string();
            Job {
                event: sns_event(&message, &request_id),
                expected: Expected {
                    request_id,
                    message,
                    records,
                },
                kill,
            }
        })
        .collect()
}

/// The SNS event carrying `message`, shaped like the fixture.
fn sns_event(message: &str, message_id: &str) -> String {
    let mut event: Value = serde_json::from_str(KINESIS).expect("fixture is JSON");
    event["Records"][0]["Sns"]["Message"] = message.into();
    event["Records"][0]["Sns"]["MessageId"] = message_id.into();
    event.to_string()
}

/// Every message body in the queue, received straight from moto (not
/// through a proxy) and deleted.
async fn drain(sqs: &aws_sdk_sqs::Client, queue_url: &str) -> Vec<String> {
    let mut bodies = Vec::new();
    let mut empty = 0;
    while empty < 3 {
        let received = emulator::receive(sqs, queue_url, if empty == 0 { 0 } else { 1 }).await;
        if received.is_empty() {
            empty += 1;
            continue;
        }
        empty = 0;
        bodies.extend(received.into_iter().map(|message| message.body));
    }
    bodies
}
