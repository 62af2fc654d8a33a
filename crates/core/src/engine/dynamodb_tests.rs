//! The same engine over an in-memory DynamoDB table stream: pages of at
//! most 1,000 records, no `MillisBehindLatest`, and
//! `TrimmedDataAccessException` where Kinesis would start at the trim
//! horizon.

use std::time::Duration;

use tokio::time::Instant;

use super::*;
use crate::dynamodb::DynamoDbRecord;
use crate::fake::FakeDynamoDbStream;
use crate::hydration::HydrationStatus;

const SHARD: &str = "shardId-00000001795428000000-a1b2c3d4";

/// A table stream whose shard holds `count` records.
fn stream_with(count: usize) -> FakeDynamoDbStream {
    let stream = FakeDynamoDbStream::dynamodb(FakeDynamoDbStream::TABLE_STREAM_ARN);
    stream.put_many(SHARD, count);
    stream
}

fn far_deadline() -> Instant {
    Instant::now() + Duration::from_secs(600)
}

async fn hydrate_dynamodb(
    stream: &FakeDynamoDbStream,
    batch: &BatchInfo,
) -> HydrationReport<DynamoDbRecord> {
    hydrate(
        stream,
        batch,
        &HydrateOptions::dynamodb_streams(),
        far_deadline(),
    )
    .await
}

fn records_at(
    stream: &FakeDynamoDbStream,
    positions: std::ops::RangeInclusive<usize>,
) -> Vec<DynamoDbRecord> {
    stream.shard_records(SHARD)[positions].to_vec()
}

fn reason<T>(report: &HydrationReport<T>) -> &str {
    report.hydration.reason.as_deref().unwrap_or("")
}

/// A 2,500-record range is read in pages of 1,000, 1,000 and 500: the
/// fewest calls DynamoDB Streams allows, none asking for more than 1,000.
#[tokio::test(start_paused = true)]
async fn reads_a_large_range_in_pages_of_one_thousand() {
    let stream = stream_with(2_600);
    let batch = stream.batch(SHARD, 50..=2_549);

    let report = hydrate_dynamodb(&stream, &batch).await;

    assert_eq!(report.hydration.status, HydrationStatus::Complete);
    assert_eq!(report.hydration.records, records_at(&stream, 50..=2_549));
    assert_eq!(stream.get_records_limits(), [1_000, 1_000, 500]);
    assert_eq!(report.stats.get_records_calls, 3);
}

/// Even with Kinesis tuning (10,000 a call), a DynamoDB read never asks
/// for more than the service accepts.
#[tokio::test(start_paused = true)]
async fn never_asks_dynamodb_for_more_than_one_thousand_records() {
    let stream = stream_with(1_500);
    let batch = stream.batch(SHARD, 0..=1_499);

    let report = hydrate(&stream, &batch, &HydrateOptions::default(), far_deadline()).await;

    assert_eq!(report.hydration.status, HydrationStatus::Complete);
    assert_eq!(stream.get_records_limits(), [1_000, 500]);
}

/// A start trimmed by retention (`TrimmedDataAccessException`) is read from
/// the trim horizon: the records still there are kept and the range is
/// reported trimmed, never passed off as complete.
#[tokio::test(start_paused = true)]
async fn reads_what_is_left_of_a_range_whose_start_was_trimmed() {
    let stream = stream_with(10);
    let batch = stream.batch(SHARD, 0..=5);
    stream.trim(SHARD, 3);

    let report = hydrate_dynamodb(&stream, &batch).await;

    assert_eq!(report.hydration.status, HydrationStatus::Partial);
    assert_eq!(report.hydration.records, records_at(&stream, 3..=5));
    assert!(
        reason(&report).contains("range trimmed by retention"),
        "{}",
        reason(&report)
    );
    assert_eq!(
        stream.iterator_starts(),
        [
            IteratorStart::At(batch.start_sequence_number.clone()),
            IteratorStart::TrimHorizon
        ]
    );
    assert_eq!(report.stats.trimmed_starts, 1);
}

/// A range trimmed away entirely is `unavailable`, and no record after it
/// is handed over as if it were the range.
#[tokio::test(start_paused = true)]
async fn reports_unavailable_when_the_whole_range_was_trimmed() {
    let stream = stream_with(10);
    let batch = stream.batch(SHARD, 0..=5);
    stream.trim(SHARD, 8);

    let report = hydrate_dynamodb(&stream, &batch).await;

    assert_eq!(report.hydration.status, HydrationStatus::Unavailable);
    assert!(report.hydration.records.is_empty());
    assert!(
        reason(&report).contains("after the range end"),
        "{}",
        reason(&report)
    );
}

/// An expired iterator (15 minutes on DynamoDB Streams) is replaced by one
/// after the last record read: nothing is read twice or skipped.
#[tokio::test(start_paused = true)]
async fn resumes_after_the_last_record_when_the_iterator_expires() {
    let stream = stream_with(6);
    stream.cap_page_size(2).expire_iterators_after(1);
    let batch = stream.batch(SHARD, 0..=5);

    let report = hydrate_dynamodb(&stream, &batch).await;

    assert_eq!(report.hydration.status, HydrationStatus::Complete);
    assert_eq!(report.hydration.records, records_at(&stream, 0..=5));
    let records = stream.shard_records(SHARD);
    assert_eq!(
        stream.iterator_starts(),
        [
            IteratorStart::At(batch.start_sequence_number.clone()),
            IteratorStart::After(records[1].dynamodb.sequence_number.clone()),
            IteratorStart::After(records[3].dynamodb.sequence_number.clone()),
        ]
    );
    assert_eq!(report.stats.iterator_refreshes, 2);
}

/// A closed shard read to its end (no next iterator) stops the read with
/// what it held: `partial`, reason "shard closed".
#[tokio::test(start_paused = true)]
async fn stops_at_the_end_of_a_closed_shard() {
    let stream = stream_with(5);
    stream.close_shard(SHARD);
    let mut batch = stream.batch(SHARD, 3..=4);
    batch.end_sequence_number = stream.sequence_number_at(SHARD, 6);
    batch.batch_size = 4;

    let report = hydrate_dynamodb(&stream, &batch).await;

    assert_eq!(report.stop, StopReason::ShardClosed);
    assert_eq!(report.hydration.status, HydrationStatus::Partial);
    assert_eq!(report.hydration.records, records_at(&stream, 3..=4));
    assert!(
        reason(&report).contains("shard closed"),
        "{}",
        reason(&report)
    );
}

/// The deadline is never overrun; what was read before it is kept.
#[tokio::test(start_paused = true)]
async fn stops_before_the_deadline_and_keeps_what_was_read() {
    let stream = stream_with(10);
    stream.cap_page_size(1).set_latency(Duration::from_secs(1));
    let batch = stream.batch(SHARD, 0..=9);
    let deadline = Instant::now() + Duration::from_millis(3_500);

    let report = hydrate(
        &stream,
        &batch,
        &HydrateOptions::dynamodb_streams(),
        deadline,
    )
    .await;

    assert!(Instant::now() <= deadline, "overran the deadline");
    assert_eq!(report.stop, StopReason::Deadline);
    assert_eq!(report.hydration.status, HydrationStatus::Partial);
    assert_eq!(report.hydration.records, records_at(&stream, 0..=1));
}

/// An open shard answers empty pages forever past its newest record, and
/// DynamoDB pages carry no `MillisBehindLatest` to say so: once records
/// were read, a few empty pages in a row end the read, promptly and with
/// the reason, instead of running to the 50-page limit or the deadline.
#[tokio::test(start_paused = true)]
async fn ends_at_the_quiet_tip_of_an_open_shard() {
    let stream = stream_with(6);
    let mut batch = stream.batch(SHARD, 3..=5);
    batch.end_sequence_number = stream.sequence_number_at(SHARD, 7);
    batch.batch_size = 4;
    let started = Instant::now();

    let report = hydrate_dynamodb(&stream, &batch).await;

    assert_eq!(report.stop, StopReason::QuietTip(3));
    assert_eq!(report.hydration.status, HydrationStatus::Partial);
    assert_eq!(report.hydration.records, records_at(&stream, 3..=5));
    assert_eq!(
        stream.calls().get_records,
        4,
        "one page of records, three empty"
    );
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(
        reason(&report).contains("MillisBehindLatest"),
        "{}",
        reason(&report)
    );
}

/// Empty pages before the range's first record are not the tip: DynamoDB
/// may answer several before reaching the records, and they are read.
#[tokio::test(start_paused = true)]
async fn reads_through_empty_pages_before_the_first_record() {
    let stream = stream_with(5);
    stream.empty_pages(6);
    let batch = stream.batch(SHARD, 1..=3);

    let report = hydrate_dynamodb(&stream, &batch).await;

    assert_eq!(report.hydration.status, HydrationStatus::Complete);
    assert_eq!(report.hydration.records, records_at(&stream, 1..=3));
    assert_eq!(stream.calls().get_records, 7);
}

/// A table stream range holding more records than its `batchSize` (the
/// mapping's ParallelizationFactor split the shard, or a filter dropped
/// records) is read to its end in pages of at most 1,000: every record kept.
#[tokio::test(start_paused = true)]
async fn keeps_every_record_of_a_range_wider_than_its_batch() {
    let stream = stream_with(2_600);
    let mut batch = stream.batch(SHARD, 10..=2_409);
    batch.batch_size = 400;

    let report = hydrate_dynamodb(&stream, &batch).await;

    assert_eq!(report.stop, StopReason::RangeEnd);
    assert_eq!(report.hydration.status, HydrationStatus::Complete);
    assert_eq!(report.hydration.records, records_at(&stream, 10..=2_409));
    assert_eq!(stream.get_records_limits(), [400, 1_000, 1_000]);
}

/// A table stream range as wide as its batch is read exactly as before.
#[tokio::test(start_paused = true)]
async fn reads_no_further_when_the_range_is_as_wide_as_its_batch() {
    let stream = stream_with(20);
    let batch = stream.batch(SHARD, 4..=9);

    let report = hydrate_dynamodb(&stream, &batch).await;

    assert_eq!(report.stop, StopReason::RangeEnd);
    assert_eq!(report.hydration.status, HydrationStatus::Complete);
    assert_eq!(report.hydration.records, records_at(&stream, 4..=9));
    assert_eq!(stream.get_records_limits(), [6]);
}

/// The cap ends a table stream range wider than its batch with the reason.
#[tokio::test(start_paused = true)]
async fn stops_at_the_record_cap_of_a_wider_range_and_says_why() {
    let stream = stream_with(50);
    let mut batch = stream.batch(SHARD, 0..=40);
    batch.batch_size = 10;
    let options = HydrateOptions {
        max_range_records: 25,
        ..HydrateOptions::dynamodb_streams()
    };

    let report = hydrate(&stream, &batch, &options, far_deadline()).await;

    assert_eq!(report.stop, StopReason::RangeCapped(RangeCap::Records(25)));
    assert_eq!(report.hydration.status, HydrationStatus::Partial);
    assert_eq!(report.hydration.records, records_at(&stream, 0..=24));
    assert!(
        reason(&report).contains("cap of 25 records"),
        "{}",
        reason(&report)
    );
}
