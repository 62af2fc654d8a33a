//! The rescue's loop ([`Rescue::run`]) against kinesis-local and moto, with
//! the hydrate function's engine and SQS sink: what it deletes, what it
//! leaves, how it keeps held messages hidden, how it stops.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{TestEnv, onfailure};
use hydrate::{HydrateConfig, Hydrator, StreamAllowlist};
use indicatif::ProgressBar;
use streamdlq_cli::generate::{Generate, generate};
use streamdlq_cli::replay::Interrupt;
use streamdlq_cli::rescue::{CountedRetention, Rescue, RescueOptions, RescueSummary, SourceQueue};
use streamdlq_core::dlq::SQS_MESSAGE_LIMIT;
use streamdlq_core::{
    IteratorStart, KinesisShardReader, ReadError, RecordPage, ShardReader, SqsDlqSink, StreamRecord,
};

/// A one-shard stream with `count` records; the OnFailure records of its
/// ranges of ten, in the source queue.
async fn queue_of_failures(env: &TestEnv, count: usize) -> (String, String, Vec<StreamRecord>) {
    let (_, arn) = env.stream("s", 1).await;
    env.put(
        &arn,
        generate(&Generate {
            count,
            size: Some(200),
            poison_pill: None,
            binary: true,
            partition_keys: 2,
        }),
    )
    .await;
    let (shard, records) = env
        .read_stream(&arn)
        .await
        .into_iter()
        .next()
        .expect("one shard");
    let source = env.queue("onfailure").await;
    for (n, chunk) in records.chunks(10).enumerate() {
        env.send_foreign(&source, &onfailure(&arn, &shard, chunk, &format!("r-{n}")))
            .await;
    }
    (arn, source, records)
}

fn config(dlq: &str, arn: &str) -> HydrateConfig {
    HydrateConfig {
        dlq_url: dlq.to_owned(),
        allowlist: StreamAllowlist::parse(arn),
        message_limit: SQS_MESSAGE_LIMIT,
        dlq_write_reserve: Duration::from_secs(10),
    }
}

async fn rescue<R: ShardReader + Sync>(
    env: &TestEnv,
    hydrator: &Hydrator<R, SqsDlqSink>,
    source: &str,
    options: RescueOptions,
    interrupt: &Interrupt,
) -> (RescueSummary, Option<anyhow::Error>) {
    let retention = CountedRetention::cached(KinesisShardReader::new(env.kinesis.clone()));
    let source = SourceQueue::new(env.sqs.clone(), source);
    let progress = ProgressBar::hidden();
    Rescue {
        hydrator,
        retention: &retention,
        source: &source,
        options,
        progress: &progress,
        interrupt,
    }
    .run()
    .await
}

/// The ids of every message in the DLQ, one per message (parts included).
async fn dlq_ids(env: &TestEnv, dlq: &str) -> Vec<String> {
    let mut ids = Vec::new();
    loop {
        let messages = env
            .dlq(dlq)
            .receive(Duration::from_secs(30), Duration::ZERO)
            .await
            .expect("receive");
        if messages.is_empty() {
            break;
        }
        for message in &messages {
            let body: serde_json::Value = serde_json::from_str(&message.body).expect("JSON");
            ids.push(body["id"].as_str().expect("an id").to_owned());
        }
        let handles: Vec<&str> = messages.iter().map(|m| m.receipt_handle.as_str()).collect();
        env.dlq(dlq).delete(&handles).await.expect("drained");
    }
    ids.sort();
    ids
}

/// When the DLQ cannot be written, no source message is deleted: each is
/// reported as not written and is visible again in the source queue.
#[tokio::test]
async fn never_deletes_a_message_whose_failure_was_not_written() {
    let env = TestEnv::new("rescue-unwritten").await;
    let (arn, source, _) = queue_of_failures(&env, 20).await;
    let missing = format!(
        "{}/000000000000/{}-missing",
        env.emulators.moto().endpoint_url(),
        env.prefix
    );
    let hydrator = Hydrator::new(
        KinesisShardReader::new(env.kinesis.clone()),
        SqsDlqSink::new(env.sqs.clone(), &missing),
        config(&missing, &arn),
    );

    let (summary, error) = rescue(
        &env,
        &hydrator,
        &source,
        RescueOptions::default(),
        &Interrupt::default(),
    )
    .await;

    assert!(error.is_none(), "{error:?}");
    assert_eq!(summary.not_written.len(), 2);
    assert_eq!((summary.deleted, summary.left), (0, 2));
    let depth = env.depth(&source).await;
    assert_eq!(
        (depth.visible, depth.in_flight),
        (2, 0),
        "both back, visible"
    );
}

/// Ids are deterministic: the same source messages rescued again (as after
/// a run that stopped between writing and deleting) write exactly the same
/// DLQ ids, duplicates a reader recognises, never new failures.
#[tokio::test]
async fn a_repeated_rescue_writes_the_same_ids() {
    let env = TestEnv::new("rescue-ids").await;
    let (arn, source, records) = queue_of_failures(&env, 30).await;
    let dlq = env.queue("dlq").await;
    let hydrator = Hydrator::new(
        KinesisShardReader::new(env.kinesis.clone()),
        SqsDlqSink::new(env.sqs.clone(), &dlq),
        config(&dlq, &arn),
    );
    let (first, _) = rescue(
        &env,
        &hydrator,
        &source,
        RescueOptions::default(),
        &Interrupt::default(),
    )
    .await;
    assert_eq!(first.deleted, 3);
    let first_ids = dlq_ids(&env, &dlq).await;

    let shard = "shardId-000000000000";
    for (n, chunk) in records.chunks(10).enumerate() {
        env.send_foreign(&source, &onfailure(&arn, shard, chunk, &format!("r-{n}")))
            .await;
    }
    let (second, _) = rescue(
        &env,
        &hydrator,
        &source,
        RescueOptions::default(),
        &Interrupt::default(),
    )
    .await;
    assert_eq!(second.deleted, 3);
    let second_ids = dlq_ids(&env, &dlq).await;

    assert_eq!(first_ids.len(), 3);
    assert_eq!(first_ids, second_ids, "the same ids again");
}

/// A reader that takes its time over GetRecords, and can ask the run to
/// stop while it reads.
#[derive(Debug)]
struct Slow {
    inner: KinesisShardReader,
    delay: Duration,
    interrupt: Option<Interrupt>,
}

impl ShardReader for Slow {
    async fn shard_iterator(
        &self,
        stream_arn: &str,
        shard_id: &str,
        start: &IteratorStart,
    ) -> Result<String, ReadError> {
        self.inner.shard_iterator(stream_arn, shard_id, start).await
    }

    async fn records(
        &self,
        stream_arn: &str,
        iterator: &str,
        limit: u32,
    ) -> Result<RecordPage, ReadError> {
        tokio::time::sleep(self.delay).await;
        if let Some(interrupt) = &self.interrupt {
            interrupt.set();
        }
        self.inner.records(stream_arn, iterator, limit).await
    }
}

/// While ranges take longer to read than the visibility timeout, the held
/// messages are kept hidden: another reader receives none of them, and
/// every one is rescued once.
#[tokio::test]
async fn keeps_held_messages_hidden_while_a_long_range_is_read() {
    let env = TestEnv::new("rescue-hidden").await;
    let (arn, source, _) = queue_of_failures(&env, 30).await;
    let dlq = env.queue("dlq").await;
    let hydrator = Hydrator::new(
        Slow {
            inner: KinesisShardReader::new(env.kinesis.clone()),
            delay: Duration::from_millis(2_500),
            interrupt: None,
        },
        SqsDlqSink::new(env.sqs.clone(), &dlq),
        config(&dlq, &arn),
    );
    let options = RescueOptions {
        visibility: Duration::from_secs(2),
        ..RescueOptions::default()
    };

    let other_reader = async {
        let mut seen = BTreeSet::new();
        for _ in 0..12 {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let messages = env
                .dlq(&source)
                .receive(Duration::from_secs(1), Duration::ZERO)
                .await
                .expect("receive");
            seen.extend(messages.into_iter().map(|m| m.message_id));
        }
        seen
    };
    let interrupt = Interrupt::default();
    let ((summary, error), seen) = tokio::join!(
        rescue(&env, &hydrator, &source, options, &interrupt),
        other_reader
    );

    assert!(error.is_none(), "{error:?}");
    assert!(seen.is_empty(), "another reader received {seen:?}");
    assert_eq!(summary.deleted, 3);
    assert!(
        summary.calls.change_message_visibility_batch >= 2,
        "extended: {:?}",
        summary.calls
    );
    assert_eq!(dlq_ids(&env, &dlq).await.len(), 3, "each rescued once");
}

/// Ctrl-C stops the run after the message in hand: that one is written and
/// deleted, the rest of its batch is released at once, visible again.
#[tokio::test]
async fn an_interrupt_stops_after_the_message_in_hand() {
    let env = TestEnv::new("rescue-interrupt").await;
    let (arn, source, _) = queue_of_failures(&env, 30).await;
    let dlq = env.queue("dlq").await;
    let interrupt = Interrupt::default();
    let hydrator = Hydrator::new(
        Slow {
            inner: KinesisShardReader::new(env.kinesis.clone()),
            delay: Duration::ZERO,
            interrupt: Some(interrupt.clone()),
        },
        SqsDlqSink::new(env.sqs.clone(), &dlq),
        config(&dlq, &arn),
    );

    let (summary, error) = rescue(
        &env,
        &hydrator,
        &source,
        RescueOptions::default(),
        &interrupt,
    )
    .await;

    assert!(error.is_none(), "{error:?}");
    assert!(summary.interrupted);
    assert_eq!((summary.messages, summary.deleted), (1, 1));
    assert_eq!(dlq_ids(&env, &dlq).await.len(), 1);
    let depth = env.depth(&source).await;
    assert_eq!(
        (depth.visible, depth.in_flight),
        (2, 0),
        "the rest released"
    );
}

/// `max_messages` handles that many messages and leaves the rest visible.
#[tokio::test]
async fn stops_at_max_messages() {
    let env = TestEnv::new("rescue-max").await;
    let (arn, source, _) = queue_of_failures(&env, 50).await;
    let dlq = env.queue("dlq").await;
    let hydrator = Hydrator::new(
        KinesisShardReader::new(env.kinesis.clone()),
        SqsDlqSink::new(env.sqs.clone(), &dlq),
        config(&dlq, &arn),
    );
    let options = RescueOptions {
        max_messages: Some(2),
        ..RescueOptions::default()
    };

    let (summary, _) = rescue(&env, &hydrator, &source, options, &Interrupt::default()).await;

    assert_eq!((summary.messages, summary.deleted), (2, 2));
    let depth = env.depth(&source).await;
    assert_eq!((depth.visible, depth.in_flight), (3, 0));
}

/// A reader that notes how many GetRecords calls are in flight, per shard
/// and in all, each call held open a moment so overlaps show.
#[derive(Debug, Default)]
struct Watching {
    inner: Option<KinesisShardReader>,
    /// Which shard an iterator reads.
    shards: std::sync::Mutex<std::collections::HashMap<String, String>>,
    in_flight: std::sync::Mutex<(std::collections::HashMap<String, usize>, usize)>,
    /// Most calls seen at once on one shard, and in all.
    most: std::sync::Mutex<(usize, usize)>,
}

impl Watching {
    fn reader(&self) -> &KinesisShardReader {
        self.inner.as_ref().expect("a reader")
    }

    fn enter(&self, shard: &str) {
        let mut in_flight = self.in_flight.lock().expect("lock");
        let on_shard = {
            let count = in_flight.0.entry(shard.to_owned()).or_default();
            *count += 1;
            *count
        };
        in_flight.1 += 1;
        let mut most = self.most.lock().expect("lock");
        most.0 = most.0.max(on_shard);
        most.1 = most.1.max(in_flight.1);
    }

    fn leave(&self, shard: &str) {
        let mut in_flight = self.in_flight.lock().expect("lock");
        *in_flight.0.entry(shard.to_owned()).or_default() -= 1;
        in_flight.1 -= 1;
    }
}

impl ShardReader for Watching {
    async fn shard_iterator(
        &self,
        stream_arn: &str,
        shard_id: &str,
        start: &IteratorStart,
    ) -> Result<String, ReadError> {
        let iterator = self
            .reader()
            .shard_iterator(stream_arn, shard_id, start)
            .await?;
        self.shards
            .lock()
            .expect("lock")
            .insert(iterator.clone(), shard_id.to_owned());
        Ok(iterator)
    }

    async fn records(
        &self,
        stream_arn: &str,
        iterator: &str,
        limit: u32,
    ) -> Result<RecordPage, ReadError> {
        let shard = self
            .shards
            .lock()
            .expect("lock")
            .get(iterator)
            .cloned()
            .unwrap_or_default();
        self.enter(&shard);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let page = self.reader().records(stream_arn, iterator, limit).await;
        self.leave(&shard);
        let page = page?;
        if let Some(next) = &page.next_iterator {
            self.shards
                .lock()
                .expect("lock")
                .insert(next.clone(), shard);
        }
        Ok(page)
    }
}

/// A batch's shards are read side by side, and each shard by one reader
/// of the run at a time (a shard allows 5 GetRecords calls a second,
/// shared with the ESM).
#[tokio::test]
async fn reads_shards_side_by_side_and_each_shard_one_range_at_a_time() {
    let env = TestEnv::new("rescue-lanes").await;
    let (_, arn) = env.stream("s", 2).await;
    env.put(
        &arn,
        generate(&Generate {
            count: 80,
            size: Some(100),
            poison_pill: None,
            binary: true,
            partition_keys: 8,
        }),
    )
    .await;
    let source = env.queue("onfailure").await;
    let dlq = env.queue("dlq").await;
    let mut sent = 0;
    for (shard, records) in env.read_stream(&arn).await {
        assert!(records.len() >= 20, "{shard} holds two ranges");
        for (n, chunk) in records.chunks_exact(10).take(2).enumerate() {
            env.send_foreign(
                &source,
                &onfailure(&arn, &shard, chunk, &format!("{shard}-{n}")),
            )
            .await;
            sent += 1;
        }
    }
    let hydrator = Hydrator::new(
        Watching {
            inner: Some(KinesisShardReader::new(env.kinesis.clone())),
            ..Watching::default()
        },
        SqsDlqSink::new(env.sqs.clone(), &dlq),
        config(&dlq, &arn),
    );

    let (summary, error) = rescue(
        &env,
        &hydrator,
        &source,
        RescueOptions::default(),
        &Interrupt::default(),
    )
    .await;

    assert!(error.is_none(), "{error:?}");
    assert_eq!((summary.messages, summary.deleted), (sent, sent));
    let (per_shard, overall) = *hydrator.reader().most.lock().expect("lock");
    assert_eq!(per_shard, 1, "one range of a shard at a time");
    assert_eq!(overall, 2, "both shards at once");
}
