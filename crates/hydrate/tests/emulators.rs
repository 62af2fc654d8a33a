//! The hydrate handler end to end against the emulators: records put into
//! kinesis-local, an SNS-shaped OnFailure event for a range of them, the
//! real SDK clients and the real handler, and the DLQ in moto's SQS read
//! back with `assemble`.

mod common;

use std::time::Duration;

use common::emulator::{self, Aws, Call, Observed, Put, Received, Stream};
use common::fixtures::{self, FOREIGN_STREAM, KINESIS, NOT_JSON, Range};
use hydrate::{HydrateError, HydrateSummary, Hydrator, handler};
use lambda_runtime::LambdaEvent;
use streamdlq_core::dlq::{HydratedFailure, SQS_MESSAGE_LIMIT};
use streamdlq_core::{
    HydrateOptions, HydrationStatus, KinesisShardReader, SqsDlqSink, StreamRecord, assemble,
};

/// Kinesis accepts at most 1 MiB per record, partition key included.
const KINESIS_RECORD_LIMIT: usize = 1_048_576;

type EmulatorHydrator = Hydrator<Observed<KinesisShardReader>, SqsDlqSink>;

/// A hydrator over the emulators, allowed to read `streams`, writing to
/// `queue_url`.
fn hydrator(aws: &Aws, queue_url: &str, streams: &[&str]) -> EmulatorHydrator {
    Hydrator::new(
        Observed::new(KinesisShardReader::new(aws.kinesis.clone())),
        SqsDlqSink::new(aws.sqs.clone(), queue_url),
        fixtures::config(queue_url, streams, &[]),
    )
}

/// Runs the handler on one SNS record carrying `message`, with two minutes
/// left in the invocation.
async fn invoke(
    hydrator: &EmulatorHydrator,
    message: &str,
) -> Result<HydrateSummary, HydrateError> {
    let event = LambdaEvent::new(
        fixtures::sns_event(&[message]),
        emulator::context(Duration::from_secs(120)),
    );
    handler(hydrator, event).await
}

/// The OnFailure message for `puts[first..=last]` of `shard`, reporting
/// `batch_size` records.
fn failure(stream: &Stream, shard: usize, first: &Put, last: &Put, batch_size: u32) -> String {
    fixtures::failure_message(
        KINESIS,
        &Range {
            stream_arn: stream.arn.clone(),
            shard_id: stream.shards[shard].id.clone(),
            start: first.sequence_number.clone(),
            end: last.sequence_number.clone(),
            batch_size,
        },
    )
}

/// Drains the queue of the `parts` messages of one failure, checks each is
/// within the SQS limit, and reads the failure back.
async fn read_dlq(aws: &Aws, queue_url: &str, parts: usize) -> HydratedFailure {
    let received = emulator::drain(&aws.sqs, queue_url, parts).await;
    assert_eq!(received.len(), parts);
    for message in &received {
        assert!(
            message.size <= SQS_MESSAGE_LIMIT,
            "a {}-byte message is over the SQS limit",
            message.size
        );
    }
    let mut failures = assemble(received.iter().map(|m: &Received| m.body.as_str()));
    assert_eq!(failures.len(), 1, "one failure in the DLQ");
    failures.remove(0).expect("the failure reads back whole")
}

/// Sequence number, partition key and bytes of each record, for comparing
/// what the DLQ holds with what was put.
fn contents(records: &[StreamRecord]) -> Vec<Put> {
    records
        .iter()
        .map(|record| Put {
            sequence_number: record.sequence_number.to_string(),
            partition_key: record.partition_key.clone(),
            data: record.data.clone(),
        })
        .collect()
}

fn text_records(prefix: &str, count: usize) -> Vec<(String, Vec<u8>)> {
    (0..count)
        .map(|n| {
            (
                format!("{prefix}-{n}"),
                format!("{prefix} record {n}").into_bytes(),
            )
        })
        .collect()
}

fn borrowed(records: &[(String, Vec<u8>)]) -> Vec<(&str, Vec<u8>)> {
    records
        .iter()
        .map(|(key, data)| (key.as_str(), data.clone()))
        .collect()
}

fn pages(calls: &[Call]) -> Vec<(usize, Option<i64>)> {
    calls
        .iter()
        .filter_map(|call| match call {
            Call::Page {
                records,
                millis_behind_latest,
            } => Some((*records, *millis_behind_latest)),
            _ => None,
        })
        .collect()
}

/// Text, every byte value, a record just under the 1 MiB Kinesis limit and
/// unicode partition keys, put into one shard of a two-shard stream among
/// records of the other shard: the DLQ holds exactly the failed sub-range,
/// byte-exact, in order, in messages within the SQS limit.
#[tokio::test]
async fn hydrates_a_sub_range_of_a_two_shard_stream_byte_exact() {
    let aws = emulator::aws().await;
    let stream = Stream::create(&aws.kinesis, 2).await;
    let queue_url = emulator::create_queue(&aws.sqs).await;
    let big_key = "big-ключ";
    let big: Vec<u8> = (0..KINESIS_RECORD_LIMIT - big_key.len() - 16)
        .map(|n| (n.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let mut shard0 = Vec::new();
    let mut shard1 = Vec::new();
    for (key, data) in [
        ("before", b"not in the range".to_vec()),
        ("text", b"hello, streamdlq: {\"json\": true}\n".to_vec()),
        ("binary", (0..=255).collect()),
        (big_key, big),
        ("パーティション🔑", "ünïcødé ✓ 🚀".as_bytes().to_vec()),
        ("分区键-ключ", vec![0xff, 0xfe, 0x00, b'x', 0xc3, 0x28]),
        ("after", b"not in the range either".to_vec()),
    ] {
        shard0.extend(stream.put(&aws.kinesis, 0, &[(key, data)]).await);
        shard1.extend(
            stream
                .put(&aws.kinesis, 1, &[("other-shard", b"other".to_vec())])
                .await,
        );
    }
    let hydrator = hydrator(&aws, &queue_url, &[&stream.arn]);
    let message = failure(&stream, 0, &shard0[1], &shard0[5], 5);

    let summary = invoke(&hydrator, &message).await.expect("written");

    let entry = &summary.failures[0];
    assert_eq!(entry.status, HydrationStatus::Complete, "{entry:?}");
    assert_eq!((entry.found, entry.expected), (5, 5));
    assert!(entry.parts >= 2, "the ~1 MiB record needs fragments");
    let failure = read_dlq(&aws, &queue_url, entry.parts).await;
    assert_eq!(failure.id, entry.id);
    assert_eq!(failure.failure.as_deref(), Some(message.as_str()));
    assert_eq!(failure.hydration.status, HydrationStatus::Complete);
    assert_eq!(contents(&failure.records), shard0[1..=5].to_vec());
    assert!(
        failure
            .records
            .iter()
            .all(|r| r.approximate_arrival_millis.is_some())
    );
}

/// A batch spread over its range (ParallelizationFactor > 1 puts each
/// partition key's records in one of several concurrent batches): records
/// of two keys interleaved in the shard, an OnFailure record whose range
/// spans both keys but whose `batchSize` counts one key's records. Every
/// record of the range reaches the DLQ, flagged as a range wider than its
/// batch in the body and in a message attribute, and the failure is
/// `complete` because every record it names is there.
#[tokio::test]
async fn keeps_every_record_of_a_range_wider_than_its_batch() {
    let aws = emulator::aws().await;
    let stream = Stream::create(&aws.kinesis, 1).await;
    let queue_url = emulator::create_queue(&aws.sqs).await;
    let records: Vec<(String, Vec<u8>)> = (0..40)
        .map(|n| {
            let key = if n % 2 == 0 { "tenant-a" } else { "tenant-b" };
            (key.to_owned(), format!("{key} event {n}").into_bytes())
        })
        .collect();
    let puts = stream.put(&aws.kinesis, 0, &borrowed(&records)).await;
    // tenant-b's batch: its records 3, 5, …, 35 failed (17 of them); the
    // range runs from the first to the last of them.
    let failed_in_batch = puts[3..=35]
        .iter()
        .filter(|put| put.partition_key == "tenant-b")
        .count();
    let hydrator = hydrator(&aws, &queue_url, &[&stream.arn]);

    let summary = invoke(
        &hydrator,
        &failure(
            &stream,
            0,
            &puts[3],
            &puts[35],
            u32::try_from(failed_in_batch).expect("small"),
        ),
    )
    .await
    .expect("written");

    let entry = &summary.failures[0];
    assert_eq!(entry.status, HydrationStatus::Complete, "{entry:?}");
    assert_eq!((entry.found, entry.expected), (33, 17));
    let received = emulator::drain(&aws.sqs, &queue_url, entry.parts).await;
    for message in &received {
        assert!(
            message.attributes.contains(&(
                "streamdlq.widerRange".to_owned(),
                "batchSize=17;found=33;likelyCause=parallelizationFactorOrFiltering".to_owned()
            )),
            "{:?}",
            message.attributes
        );
    }
    let mut failures = assemble(received.iter().map(|m| m.body.as_str()));
    let failure = failures.remove(0).expect("reads back whole");
    assert_eq!(contents(&failure.records), puts[3..=35].to_vec());
    let wider = failure.hydration.wider_range.expect("flagged");
    assert_eq!((wider.batch_size, wider.found), (17, 33));
    assert_eq!(failure.hydration.status, HydrationStatus::Complete);
}

/// A range read over many GetRecords pages comes back whole. kinesis-local
/// computes `MillisBehindLatest` from arrival times, so records put in one
/// request report 0 long before the tip: the engine must only stop on an
/// empty page at the tip, never on a page that carried records.
#[tokio::test]
async fn reads_a_range_across_several_get_records_pages() {
    let aws = emulator::aws().await;
    let stream = Stream::create(&aws.kinesis, 2).await;
    let queue_url = emulator::create_queue(&aws.sqs).await;
    let records = text_records("paged", 60);
    let puts = stream.put(&aws.kinesis, 0, &borrowed(&records)).await;
    let hydrator = hydrator(&aws, &queue_url, &[&stream.arn]).with_options(HydrateOptions {
        max_records_per_call: 7,
        ..HydrateOptions::default()
    });

    let summary = invoke(&hydrator, &failure(&stream, 0, &puts[5], &puts[54], 50))
        .await
        .expect("written");

    let pages = pages(&hydrator.reader().calls());
    let entry = &summary.failures[0];
    assert_eq!(
        entry.status,
        HydrationStatus::Complete,
        "{entry:?} {pages:?}"
    );
    assert_eq!(pages.len(), 8, "50 records at 7 a call: {pages:?}");
    assert!(pages.iter().all(|(records, _)| *records > 0), "{pages:?}");
    // One PutRecords request gives every record the same arrival time, so
    // kinesis-local reports 0 on every page: the trap this test sets.
    assert!(
        pages.iter().all(|(_, millis)| *millis == Some(0)),
        "{pages:?}"
    );
    let failure = read_dlq(&aws, &queue_url, entry.parts).await;
    assert_eq!(contents(&failure.records), puts[5..=54].to_vec());
}

/// Reading to the tip of an open shard (a range whose end lies past its
/// newest record) ends on kinesis-local's first empty page
/// (`MillisBehindLatest` 0) instead of polling for records that cannot
/// come, and says how many of the expected records were found.
#[tokio::test]
async fn stops_at_the_tip_of_an_open_shard() {
    let aws = emulator::aws().await;
    let stream = Stream::create(&aws.kinesis, 2).await;
    let queue_url = emulator::create_queue(&aws.sqs).await;
    let records = text_records("tip", 5);
    let puts = stream.put(&aws.kinesis, 0, &borrowed(&records)).await;
    let hydrator = hydrator(&aws, &queue_url, &[&stream.arn]);

    // Ten times the newest sequence number: past every record of the shard.
    let past_the_tip = Put {
        sequence_number: format!("{}0", puts[4].sequence_number),
        ..puts[4].clone()
    };

    let summary = invoke(&hydrator, &failure(&stream, 0, &puts[2], &past_the_tip, 10))
        .await
        .expect("written");

    let pages = pages(&hydrator.reader().calls());
    assert_eq!(pages, [(3, Some(0)), (0, Some(0))]);
    let entry = &summary.failures[0];
    assert_eq!(entry.status, HydrationStatus::Partial);
    let failure = read_dlq(&aws, &queue_url, entry.parts).await;
    assert_eq!(contents(&failure.records), puts[2..=4].to_vec());
    let reason = failure.hydration.reason.expect("a reason");
    assert!(
        reason.contains("reached the newest record of the shard after 3 of 10"),
        "{reason}"
    );
}

/// A range whose first record does not exist (its start is the shard's
/// starting sequence number, which no record has) is hydrated as `partial`
/// with the reason, never passed off as complete.
#[tokio::test]
async fn flags_a_missing_first_record_as_partial() {
    let aws = emulator::aws().await;
    let stream = Stream::create(&aws.kinesis, 2).await;
    let queue_url = emulator::create_queue(&aws.sqs).await;
    let records = text_records("missing", 4);
    let puts = stream.put(&aws.kinesis, 0, &borrowed(&records)).await;
    let hydrator = hydrator(&aws, &queue_url, &[&stream.arn]);
    let start = &stream.shards[0].starting_sequence_number;
    let message = fixtures::failure_message(
        KINESIS,
        &Range {
            stream_arn: stream.arn.clone(),
            shard_id: stream.shards[0].id.clone(),
            start: start.clone(),
            end: puts[2].sequence_number.clone(),
            batch_size: 4,
        },
    );

    let summary = invoke(&hydrator, &message).await.expect("written");

    let entry = &summary.failures[0];
    assert_eq!(entry.status, HydrationStatus::Partial);
    let failure = read_dlq(&aws, &queue_url, entry.parts).await;
    assert_eq!(contents(&failure.records), puts[0..=2].to_vec());
    let reason = failure.hydration.reason.expect("a reason");
    assert!(
        reason.contains(&format!(
            "expected first sequence number {start}, found {}",
            puts[0].sequence_number
        )),
        "{reason}"
    );
}

/// A stream that is not on the allowlist is never read: no Kinesis call at
/// all, and the DLQ gets the failure as `rejected`.
#[tokio::test]
async fn rejects_a_foreign_stream_without_any_kinesis_call() {
    let aws = emulator::aws().await;
    let stream = Stream::create(&aws.kinesis, 2).await;
    let queue_url = emulator::create_queue(&aws.sqs).await;
    let hydrator = hydrator(&aws, &queue_url, &[&stream.arn]);

    let summary = invoke(&hydrator, &fixtures::message(FOREIGN_STREAM))
        .await
        .expect("written");

    assert_eq!(hydrator.reader().calls(), []);
    let entry = &summary.failures[0];
    assert_eq!(entry.status, HydrationStatus::Rejected);
    let failure = read_dlq(&aws, &queue_url, entry.parts).await;
    assert_eq!(failure.hydration.status, HydrationStatus::Rejected);
    assert_eq!(failure.failure, Some(fixtures::message(FOREIGN_STREAM)));
}

/// A message that is not an OnFailure record reaches the DLQ as
/// `unparseable`, with its raw text.
#[tokio::test]
async fn keeps_a_malformed_message_as_unparseable() {
    let aws = emulator::aws().await;
    let queue_url = emulator::create_queue(&aws.sqs).await;
    let hydrator = hydrator(&aws, &queue_url, &[]);

    let summary = invoke(&hydrator, &fixtures::message(NOT_JSON))
        .await
        .expect("written");

    assert_eq!(summary.failures[0].status, HydrationStatus::Unparseable);
    let failure = read_dlq(&aws, &queue_url, 1).await;
    assert_eq!(failure.raw, Some(fixtures::message(NOT_JSON)));
    assert_eq!(failure.hydration.status, HydrationStatus::Unparseable);
}

/// An allowed stream that does not exist is unreadable: the failure record
/// reaches the DLQ as `unavailable` with Kinesis's answer as the reason.
#[tokio::test]
async fn keeps_the_failure_when_the_stream_does_not_exist() {
    let aws = emulator::aws().await;
    let queue_url = emulator::create_queue(&aws.sqs).await;
    let arn = format!(
        "arn:aws:kinesis:us-east-1:000000000000:stream/{}",
        emulator::unique("never-created")
    );
    let hydrator = hydrator(&aws, &queue_url, &[&arn]);
    let message = fixtures::failure_message(
        KINESIS,
        &Range {
            stream_arn: arn.clone(),
            shard_id: "shardId-000000000000".into(),
            start: "49656959252094532447391178218386271298406532436532183042".into(),
            end: "49656959252094532447391178218388689150045761694881595410".into(),
            batch_size: 3,
        },
    );

    let summary = invoke(&hydrator, &message).await.expect("written");

    assert_eq!(summary.failures[0].status, HydrationStatus::Unavailable);
    let failure = read_dlq(&aws, &queue_url, 1).await;
    assert_eq!(failure.failure.as_deref(), Some(message.as_str()));
    let reason = failure.hydration.reason.expect("a reason");
    assert!(reason.contains("GetShardIterator failed"), "{reason}");
    assert!(reason.contains("ResourceNotFoundException"), "{reason}");
}

/// When the DLQ cannot be written (here: the queue does not exist), the
/// invocation fails with `DlqWriteFailed`, so Lambda retries it.
#[tokio::test]
async fn fails_the_invocation_when_the_queue_does_not_exist() {
    let aws = emulator::aws().await;
    let stream = Stream::create(&aws.kinesis, 2).await;
    let puts = stream
        .put(&aws.kinesis, 0, &borrowed(&text_records("lost", 2)))
        .await;
    let existing = emulator::create_queue(&aws.sqs).await;
    let missing = format!("{}-deleted", existing);
    let hydrator = hydrator(&aws, &missing, &[&stream.arn]);

    let error = invoke(&hydrator, &failure(&stream, 0, &puts[0], &puts[1], 2))
        .await
        .expect_err("the DLQ is unwritable");

    assert_eq!(error.error_type(), "DlqWriteFailed");
    let HydrateError::DlqWriteFailed { total, undelivered } = &error else {
        panic!("expected DlqWriteFailed, got {error}");
    };
    assert_eq!((*total, undelivered.len()), (1, 1));
    assert_eq!(undelivered[0].status, HydrationStatus::Complete);
    assert!(error.to_string().contains("QueueDoesNotExist"), "{error}");
}
