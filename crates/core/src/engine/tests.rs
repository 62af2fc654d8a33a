//! The engine over an in-memory shard: every way a range read can go.

use std::time::Duration;

use tokio::time::Instant;

use super::*;
use crate::fake::{ALWAYS, FakeStream};
use crate::hydration::HydrationStatus;

const SHARD: &str = "shardId-000000000001";

/// A stream whose shard holds `count` records.
fn stream_with(count: usize) -> FakeStream {
    let stream = FakeStream::new(FakeStream::ARN);
    stream.put_many(SHARD, count);
    stream
}

fn far_deadline() -> Instant {
    Instant::now() + Duration::from_secs(600)
}

async fn hydrate_default(stream: &FakeStream, batch: &BatchInfo) -> HydrationReport {
    hydrate(stream, batch, &HydrateOptions::default(), far_deadline()).await
}

/// The shard's records at `positions`, as the engine should return them.
fn records_at(
    stream: &FakeStream,
    positions: std::ops::RangeInclusive<usize>,
) -> Vec<StreamRecord> {
    stream.shard_records(SHARD)[positions].to_vec()
}

fn reason(report: &HydrationReport) -> &str {
    report.hydration.reason.as_deref().unwrap_or("")
}

/// A range read in one page comes back whole, byte-exact and in order.
#[tokio::test(start_paused = true)]
async fn hydrates_a_complete_range_byte_exact_in_order() {
    let stream = stream_with(3);
    let all_bytes: Vec<u8> = (0..=255).collect();
    stream.put(SHARD, "binary", all_bytes);
    stream.put(SHARD, "ключ-🔑", "ünïcödé".as_bytes());
    stream.put_many(SHARD, 3);
    let batch = stream.batch(SHARD, 2..=5);

    let report = hydrate_default(&stream, &batch).await;

    assert_eq!(report.hydration.status, HydrationStatus::Complete);
    assert_eq!(report.hydration.reason, None);
    assert_eq!(report.hydration.expected, 4);
    assert_eq!(report.hydration.records, records_at(&stream, 2..=5));
    assert_eq!(report.stop, StopReason::RangeEnd);
    assert_eq!(
        stream.iterator_starts(),
        [IteratorStart::At(batch.start_sequence_number.clone())]
    );
    assert_eq!(stream.get_records_limits(), [4]);
    assert_eq!(report.stats.get_records_calls, 1);
    assert_eq!(report.stats.records_read, 4);
}

/// A range that holds exactly `batchSize` records ends on its last
/// record: one call asking for `batchSize`, no call past the range.
#[tokio::test(start_paused = true)]
async fn reads_no_further_when_the_range_is_as_wide_as_its_batch() {
    let stream = stream_with(10);
    let batch = stream.batch(SHARD, 2..=4);

    let report = hydrate_default(&stream, &batch).await;

    assert_eq!(report.stop, StopReason::RangeEnd);
    assert_eq!(report.hydration.status, HydrationStatus::Complete);
    assert_eq!(report.hydration.records, records_at(&stream, 2..=4));
    assert_eq!(stream.get_records_limits(), [3]);
    assert_eq!(report.stats.records_read, 3);
}

/// A range holding more records than its `batchSize` (a ParallelizationFactor
/// above 1 or event filtering spread the batch over it) is read to its end and
/// every record kept: still `complete`, as every record the failure names
/// is there, with more found than expected.
#[tokio::test(start_paused = true)]
async fn keeps_every_record_of_a_range_wider_than_its_batch() {
    let stream = stream_with(10);
    let mut batch = stream.batch(SHARD, 2..=8);
    batch.batch_size = 3;

    let report = hydrate_default(&stream, &batch).await;

    assert_eq!(report.stop, StopReason::RangeEnd);
    assert_eq!(report.hydration.status, HydrationStatus::Complete);
    assert_eq!(report.hydration.reason, None);
    assert_eq!(report.hydration.expected, 3);
    assert_eq!(report.hydration.records, records_at(&stream, 2..=8));
    assert_eq!(stream.get_records_limits(), [3, 10_000]);
}

/// A wider range is read in pages to its end, each call asking for as many
/// as the service allows, and nothing after `endSequenceNumber` is kept.
#[tokio::test(start_paused = true)]
async fn reads_a_wider_range_across_pages_up_to_its_end() {
    let stream = stream_with(30);
    stream.cap_page_size(4);
    let mut batch = stream.batch(SHARD, 1..=20);
    batch.batch_size = 6;

    let report = hydrate_default(&stream, &batch).await;

    assert_eq!(report.hydration.status, HydrationStatus::Complete);
    assert_eq!(report.hydration.records, records_at(&stream, 1..=20));
    assert_eq!(
        stream.get_records_limits(),
        [6, 2, 10_000, 10_000, 10_000, 10_000]
    );
}

/// A wider range with more records than the record cap keeps the cap's
/// worth and says why the rest is missing: `partial`, never silently cut.
#[tokio::test(start_paused = true)]
async fn stops_at_the_record_cap_of_a_wider_range_and_says_why() {
    let stream = stream_with(20);
    let mut batch = stream.batch(SHARD, 2..=15);
    batch.batch_size = 3;
    let options = HydrateOptions {
        max_range_records: 5,
        ..HydrateOptions::default()
    };

    let report = hydrate(&stream, &batch, &options, far_deadline()).await;

    assert_eq!(report.stop, StopReason::RangeCapped(RangeCap::Records(5)));
    assert_eq!(report.hydration.status, HydrationStatus::Partial);
    assert_eq!(report.hydration.records, records_at(&stream, 2..=6));
    assert_eq!(stream.get_records_limits(), [3, 2]);
    let reason = reason(&report);
    assert!(reason.contains("cap of 5 records"), "{reason}");
    assert!(reason.contains("batchSize of 3"), "{reason}");
    assert!(reason.contains("ParallelizationFactor"), "{reason}");
}

/// The byte cap bounds only what a wider range adds beyond its batch: the
/// first `batchSize` records are always kept, whatever their size.
#[tokio::test(start_paused = true)]
async fn stops_at_the_byte_cap_beyond_the_batch_and_says_why() {
    let stream = FakeStream::new(FakeStream::ARN);
    for n in 0..8 {
        stream.put(SHARD, &format!("pk-{n}"), vec![b'x'; 100]);
    }
    let mut batch = stream.batch(SHARD, 0..=7);
    batch.batch_size = 2;
    let options = HydrateOptions {
        max_range_bytes: 250,
        ..HydrateOptions::default()
    };

    let report = hydrate(&stream, &batch, &options, far_deadline()).await;

    assert_eq!(report.stop, StopReason::RangeCapped(RangeCap::Bytes(250)));
    assert_eq!(report.hydration.status, HydrationStatus::Partial);
    assert_eq!(report.hydration.records, records_at(&stream, 0..=3));
    assert!(
        reason(&report).contains("cap of 250 payload bytes"),
        "{}",
        reason(&report)
    );
}

/// The record cap never cuts the batch itself: a cap below `batchSize`
/// still reads `batchSize` records.
#[tokio::test(start_paused = true)]
async fn never_caps_below_the_batch_size() {
    let stream = stream_with(10);
    let batch = stream.batch(SHARD, 0..=7);
    let options = HydrateOptions {
        max_range_records: 2,
        ..HydrateOptions::default()
    };

    let report = hydrate(&stream, &batch, &options, far_deadline()).await;

    assert_eq!(report.hydration.status, HydrationStatus::Complete);
    assert_eq!(report.hydration.records, records_at(&stream, 0..=7));
}

/// Short pages are followed, each call asking only for what is missing,
/// and calls stay within the shard's 5 GetRecords/s.
#[tokio::test(start_paused = true)]
async fn reads_a_range_spanning_several_pages() {
    let stream = stream_with(12);
    stream.cap_page_size(4);
    let batch = stream.batch(SHARD, 1..=10);

    let report = hydrate_default(&stream, &batch).await;

    assert_eq!(report.hydration.status, HydrationStatus::Complete);
    assert_eq!(report.hydration.records, records_at(&stream, 1..=10));
    assert_eq!(stream.get_records_limits(), [10, 6, 2]);
    let times: Vec<Instant> = stream.call_log().iter().skip(1).map(|c| c.at).collect();
    for pair in times.windows(2) {
        assert!(
            pair[1] - pair[0] >= Duration::from_millis(200),
            "calls {pair:?}"
        );
    }
}

/// Empty pages with a next iterator are normal: reading carries on.
#[tokio::test(start_paused = true)]
async fn keeps_reading_through_empty_pages() {
    let stream = stream_with(5);
    stream.empty_pages(3);
    let batch = stream.batch(SHARD, 0..=4);

    let report = hydrate_default(&stream, &batch).await;

    assert_eq!(report.hydration.status, HydrationStatus::Complete);
    assert_eq!(report.hydration.records, records_at(&stream, 0..=4));
    assert_eq!(report.stats.empty_pages, 3);
    assert_eq!(report.stats.get_records_calls, 4);
}

/// A shard that only ever answers empty pages does not hold the reader
/// forever.
#[tokio::test(start_paused = true)]
async fn gives_up_after_too_many_empty_pages_in_a_row() {
    let stream = stream_with(5);
    stream.empty_pages(u32::MAX);
    let batch = stream.batch(SHARD, 0..=4);
    let options = HydrateOptions {
        max_empty_pages: 7,
        ..HydrateOptions::default()
    };

    let report = hydrate(&stream, &batch, &options, far_deadline()).await;

    assert_eq!(report.hydration.status, HydrationStatus::Unavailable);
    assert_eq!(report.stop, StopReason::EmptyPages(7));
    assert_eq!(stream.calls().get_records, 7);
    assert!(
        reason(&report).contains("7 consecutive pages"),
        "{}",
        reason(&report)
    );
}

/// Throttling the SDK could not absorb is retried with backoff, and the
/// range still comes back complete.
#[tokio::test(start_paused = true)]
async fn retries_throttled_reads_with_backoff_then_completes() {
    let stream = stream_with(4);
    stream.throttle_get_records(3);
    let batch = stream.batch(SHARD, 0..=3);
    let options = HydrateOptions::default();
    let started = Instant::now();

    let report = hydrate(&stream, &batch, &options, far_deadline()).await;

    assert_eq!(report.hydration.status, HydrationStatus::Complete);
    assert_eq!(report.hydration.records, records_at(&stream, 0..=3));
    assert_eq!(report.stats.throttles, 3);
    assert_eq!(report.stats.get_records_calls, 4);
    let longest_wait: Duration = (0..3)
        .map(|retry| options.backoff.ceiling(retry) + options.min_call_interval)
        .sum();
    assert!(
        started.elapsed() <= longest_wait,
        "took {:?}",
        started.elapsed()
    );
    assert!(started.elapsed() >= 3 * options.min_call_interval);
}

/// Transient faults are retried like throttling.
#[tokio::test(start_paused = true)]
async fn retries_transient_errors_then_completes() {
    let stream = stream_with(2);
    stream.fail_get_records(ReadError::Transient("connection reset".into()), 2);
    let batch = stream.batch(SHARD, 0..=1);

    let report = hydrate_default(&stream, &batch).await;

    assert_eq!(report.hydration.status, HydrationStatus::Complete);
    assert_eq!(report.stats.transient_errors, 2);
}

/// When retries run out before any record, the failure is `unavailable`
/// with the last error as the reason.
#[tokio::test(start_paused = true)]
async fn reports_unavailable_when_retries_run_out_before_any_record() {
    let stream = stream_with(4);
    stream.throttle_get_records(ALWAYS);
    let batch = stream.batch(SHARD, 0..=3);

    let report = hydrate_default(&stream, &batch).await;

    assert_eq!(report.hydration.status, HydrationStatus::Unavailable);
    assert!(report.hydration.records.is_empty());
    assert_eq!(stream.calls().get_records, 6);
    assert!(matches!(
        report.stop,
        StopReason::ReadFailed {
            operation: Operation::GetRecords,
            error: ReadError::Throttled(_),
            attempts: 6
        }
    ));
    let reason = reason(&report);
    assert!(
        reason.contains("GetRecords failed after 6 attempt(s)"),
        "{reason}"
    );
    assert!(reason.contains("Rate exceeded"), "{reason}");
}

/// Records read before retries ran out are kept: `partial`, with reason.
#[tokio::test(start_paused = true)]
async fn keeps_what_was_read_when_retries_run_out_later() {
    let stream = stream_with(6);
    stream.cap_page_size(2);
    stream.succeed_get_records(1).throttle_get_records(ALWAYS);
    let batch = stream.batch(SHARD, 0..=5);

    let report = hydrate_default(&stream, &batch).await;

    assert_eq!(report.hydration.status, HydrationStatus::Partial);
    assert_eq!(report.hydration.records, records_at(&stream, 0..=1));
    assert!(
        reason(&report).contains("2 of 6 records read"),
        "{}",
        reason(&report)
    );
}

/// A stream that does not exist is not retried: `unavailable` at once.
#[tokio::test(start_paused = true)]
async fn reports_unavailable_without_retry_when_the_stream_is_missing() {
    let stream = stream_with(3);
    let mut batch = stream.batch(SHARD, 0..=2);
    batch.stream_arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/deleted".into();

    let report = hydrate_default(&stream, &batch).await;

    assert_eq!(report.hydration.status, HydrationStatus::Unavailable);
    assert_eq!(stream.calls().shard_iterator, 1);
    assert_eq!(stream.calls().get_records, 0);
    assert!(reason(&report).starts_with("GetShardIterator failed after 1 attempt(s)"));
    assert!(
        reason(&report).contains("stream/deleted"),
        "{}",
        reason(&report)
    );
}

/// Missing permissions are not retried either.
#[tokio::test(start_paused = true)]
async fn reports_unavailable_without_retry_when_access_is_denied() {
    let stream = stream_with(3);
    let denied =
        ReadError::AccessDenied("not authorized to perform kinesis:GetShardIterator".into());
    stream.fail_shard_iterator(denied, ALWAYS);
    let batch = stream.batch(SHARD, 0..=2);

    let report = hydrate_default(&stream, &batch).await;

    assert_eq!(report.hydration.status, HydrationStatus::Unavailable);
    assert_eq!(stream.calls().shard_iterator, 1);
    assert!(
        reason(&report).contains("access denied"),
        "{}",
        reason(&report)
    );
}

/// An expired iterator is replaced AFTER the last record read: no record
/// is read twice and none is skipped.
#[tokio::test(start_paused = true)]
async fn refreshes_an_expired_iterator_after_the_last_record_read() {
    let stream = stream_with(12);
    stream.cap_page_size(3).expire_iterators_after(2);
    let batch = stream.batch(SHARD, 0..=9);

    let report = hydrate_default(&stream, &batch).await;

    assert_eq!(report.hydration.status, HydrationStatus::Complete);
    assert_eq!(report.hydration.records, records_at(&stream, 0..=9));
    let sequence_numbers: Vec<_> = stream
        .shard_records(SHARD)
        .into_iter()
        .map(|r| r.sequence_number)
        .collect();
    assert_eq!(
        stream.iterator_starts(),
        [
            IteratorStart::At(sequence_numbers[0].clone()),
            IteratorStart::After(sequence_numbers[5].clone()),
        ]
    );
    assert_eq!(report.stats.iterator_refreshes, 1);
}

/// An iterator that expires before anything was read is replaced AT the
/// range start; one that never lets a page through ends the read.
#[tokio::test(start_paused = true)]
async fn gives_up_when_iterators_keep_expiring_before_any_read() {
    let stream = stream_with(3);
    stream.expire_iterators_after(0);
    let batch = stream.batch(SHARD, 0..=2);

    let report = hydrate_default(&stream, &batch).await;

    assert_eq!(report.hydration.status, HydrationStatus::Unavailable);
    let at_start = IteratorStart::At(batch.start_sequence_number.clone());
    assert!(stream.iterator_starts().iter().all(|s| *s == at_start));
    assert_eq!(stream.calls().shard_iterator, 6);
    assert!(
        reason(&report).contains("shard iterator expired"),
        "{}",
        reason(&report)
    );
}

/// A closed shard ends the read when it ends: no call after the last page,
/// and the shortfall is reported.
#[tokio::test(start_paused = true)]
async fn stops_at_the_end_of_a_closed_shard() {
    let stream = stream_with(10);
    stream.close_shard(SHARD);
    let mut batch = stream.batch(SHARD, 5..=9);
    batch.end_sequence_number = stream.sequence_number_at(SHARD, 11);
    batch.batch_size = 7;

    let report = hydrate_default(&stream, &batch).await;

    assert_eq!(report.stop, StopReason::ShardClosed);
    assert_eq!(report.hydration.status, HydrationStatus::Partial);
    assert_eq!(report.hydration.records, records_at(&stream, 5..=9));
    assert_eq!(stream.calls().get_records, 1);
    assert!(reason(&report).contains("shard closed after 5 of 7 records"));
}

/// A range at the end of a closed shard is complete when all of it is read.
#[tokio::test(start_paused = true)]
async fn completes_a_range_that_ends_a_closed_shard() {
    let stream = stream_with(10);
    stream.close_shard(SHARD);
    let batch = stream.batch(SHARD, 7..=9);

    let report = hydrate_default(&stream, &batch).await;

    assert_eq!(report.hydration.status, HydrationStatus::Complete);
    assert_eq!(report.hydration.records, records_at(&stream, 7..=9));
}

/// Records after `endSequenceNumber` are never kept, even when `batchSize`
/// promised more.
#[tokio::test(start_paused = true)]
async fn excludes_records_after_the_range_end() {
    let stream = stream_with(10);
    let mut batch = stream.batch(SHARD, 2..=4);
    batch.batch_size = 5;

    let report = hydrate_default(&stream, &batch).await;

    assert_eq!(report.hydration.records, records_at(&stream, 2..=4));
    assert_eq!(
        stream.get_records_limits(),
        [5],
        "the page held records 5 and 6"
    );
    assert_eq!(report.stop, StopReason::RangeEnd);
    assert_eq!(report.hydration.status, HydrationStatus::Partial);
    assert!(
        reason(&report).contains("after 3 of 5 records"),
        "{}",
        reason(&report)
    );
}

/// Reaching the tip of an open shard ends the read: records of the range
/// cannot appear later.
#[tokio::test(start_paused = true)]
async fn stops_when_caught_up_with_an_open_shard() {
    let stream = stream_with(6);
    let mut batch = stream.batch(SHARD, 3..=5);
    batch.end_sequence_number = stream.sequence_number_at(SHARD, 6);
    batch.batch_size = 4;

    let report = hydrate_default(&stream, &batch).await;

    assert_eq!(report.stop, StopReason::CaughtUp);
    assert_eq!(report.hydration.status, HydrationStatus::Partial);
    assert_eq!(report.hydration.records, records_at(&stream, 3..=5));
    assert_eq!(stream.calls().get_records, 2);
}

/// A deadline reached mid-range stops the read in time and keeps what was
/// read: `partial`, reason "deadline".
#[tokio::test(start_paused = true)]
async fn stops_before_the_deadline_and_keeps_what_was_read() {
    let stream = stream_with(10);
    stream.cap_page_size(1).set_latency(Duration::from_secs(1));
    let batch = stream.batch(SHARD, 0..=9);
    let deadline = Instant::now() + Duration::from_millis(3_500);

    let report = hydrate(&stream, &batch, &HydrateOptions::default(), deadline).await;

    assert!(Instant::now() <= deadline, "overran the deadline");
    assert_eq!(report.stop, StopReason::Deadline);
    assert_eq!(report.hydration.status, HydrationStatus::Partial);
    assert_eq!(report.hydration.records, records_at(&stream, 0..=1));
    assert!(reason(&report).contains("deadline"), "{}", reason(&report));
}

/// A deadline reached before any record is `unavailable`, not a hang.
#[tokio::test(start_paused = true)]
async fn reports_unavailable_when_the_deadline_passes_before_any_record() {
    let stream = stream_with(3);
    stream.throttle_get_records(ALWAYS);
    let batch = stream.batch(SHARD, 0..=2);
    let deadline = Instant::now() + Duration::from_millis(300);

    let report = hydrate(&stream, &batch, &HydrateOptions::default(), deadline).await;

    assert!(Instant::now() <= deadline, "overran the deadline");
    assert_eq!(report.stop, StopReason::Deadline);
    assert_eq!(report.hydration.status, HydrationStatus::Unavailable);
}

/// Backoff never sleeps past the deadline.
#[tokio::test(start_paused = true)]
async fn does_not_back_off_past_the_deadline() {
    let stream = stream_with(3);
    stream.throttle_get_records(ALWAYS);
    let batch = stream.batch(SHARD, 0..=2);
    let options = HydrateOptions {
        backoff: Backoff {
            base: Duration::from_secs(10),
            cap: Duration::from_secs(10),
        },
        ..HydrateOptions::default()
    };
    let deadline = Instant::now() + Duration::from_secs(20);

    let report = hydrate(&stream, &batch, &options, deadline).await;

    assert!(Instant::now() <= deadline, "overran the deadline");
    assert_eq!(report.hydration.status, HydrationStatus::Unavailable);
}

/// A range whose head was trimmed by retention is `partial` with a reason
/// naming the expected and the found first record; what is left is kept.
#[tokio::test(start_paused = true)]
async fn flags_trimmed_range_instead_of_hydrating_wrong_records() {
    let stream = stream_with(10);
    stream.trim(SHARD, 3);
    let batch = stream.batch(SHARD, 1..=6);
    let found = stream.shard_records(SHARD)[3].sequence_number.clone();

    let report = hydrate_default(&stream, &batch).await;

    assert_eq!(report.hydration.status, HydrationStatus::Partial);
    assert_eq!(report.hydration.records, records_at(&stream, 3..=6));
    let reason = reason(&report);
    assert!(
        reason.contains(&format!(
            "expected first sequence number {}",
            batch.start_sequence_number
        )),
        "{reason}"
    );
    assert!(reason.contains(&format!("found {found}")), "{reason}");
}

/// A range trimmed away entirely yields no records: `unavailable`.
#[tokio::test(start_paused = true)]
async fn reports_unavailable_when_the_whole_range_was_trimmed() {
    let stream = stream_with(10);
    stream.trim(SHARD, 8);
    let batch = stream.batch(SHARD, 1..=5);

    let report = hydrate_default(&stream, &batch).await;

    assert_eq!(report.hydration.status, HydrationStatus::Unavailable);
    assert!(report.hydration.records.is_empty());
    assert!(
        reason(&report).contains("after the range end"),
        "{}",
        reason(&report)
    );
}

/// A reversed range is refused without a single call.
#[tokio::test(start_paused = true)]
async fn refuses_a_reversed_range_without_reading() {
    let stream = stream_with(5);
    let mut batch = stream.batch(SHARD, 1..=3);
    std::mem::swap(
        &mut batch.start_sequence_number,
        &mut batch.end_sequence_number,
    );

    let report = hydrate_default(&stream, &batch).await;

    assert_eq!(report.hydration.status, HydrationStatus::Unavailable);
    assert_eq!(report.stop, StopReason::ReversedRange);
    assert_eq!(stream.calls(), crate::fake::FakeCalls::default());
}
