//! [`Batcher`]: records read from a shard, waiting to form a batch.
//!
//! AWS contract honoured here: a batch is invoked when it holds
//! `BatchSize` records, when the next record would take the event past the
//! 6 MB synchronous payload limit, or when `MaximumBatchingWindowInSeconds`
//! has passed since its first record was read (at once with a window of
//! zero) — and, locally, when a closed shard has nothing more to give.

use std::collections::VecDeque;
use std::time::Duration;

use streamdlq_core::StreamRecord;
use streamdlq_core::invocation::SYNC_INVOKE_PAYLOAD_LIMIT as MAX_EVENT_BYTES;
use tokio::time::Instant;

use super::source::EsmRecord;

/// Read-ahead of one shard, cut into batches.
#[derive(Debug)]
pub struct Batcher<T = StreamRecord> {
    batch_size: usize,
    window: Duration,
    buffer: VecDeque<T>,
    /// When the window of the next batch opened.
    window_opened: Option<Instant>,
}

impl<T: EsmRecord> Batcher<T> {
    pub fn new(batch_size: u32, window: Duration) -> Self {
        Self {
            batch_size: usize::try_from(batch_size).unwrap_or(usize::MAX).max(1),
            window,
            buffer: VecDeque::new(),
            window_opened: None,
        }
    }

    /// Adds records just read, in shard order.
    pub fn push(&mut self, records: Vec<T>, now: Instant) {
        if records.is_empty() {
            return;
        }
        if self.buffer.is_empty() {
            self.window_opened = Some(now);
        }
        self.buffer.extend(records);
    }

    pub fn len(&self) -> usize {
        self.buffer.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buffer.is_empty()
    }

    /// How many records one more GetRecords call should ask for: 1 up to
    /// what one call may return (10,000 on Kinesis, 1,000 on DynamoDB
    /// Streams).
    pub fn wanted(&self) -> u32 {
        let most = T::MAX_RECORDS_PER_CALL;
        let missing = self.batch_size.saturating_sub(self.buffer.len()).max(1);
        u32::try_from(missing).map_or(most, |missing| missing.min(most))
    }

    /// When the window of the waiting records closes.
    pub fn deadline(&self) -> Option<Instant> {
        self.window_opened.map(|opened| opened + self.window)
    }

    /// Whether a batch should be invoked now. `drained` says that the shard
    /// will give no more records (closed and read to the end).
    pub fn ready(&self, now: Instant, drained: bool) -> bool {
        if self.buffer.is_empty() {
            return false;
        }
        drained
            || self.buffer.len() >= self.batch_size
            || self.batch_bytes_reached()
            || self.deadline().is_some_and(|deadline| now >= deadline)
    }

    /// Takes the next batch: up to `BatchSize` records and 6 MB of event,
    /// at least one record.
    pub fn take(&mut self, now: Instant) -> Vec<T> {
        let mut bytes = 0;
        let mut count = 0;
        for record in self.buffer.iter().take(self.batch_size) {
            bytes += record.estimated_event_bytes();
            if count > 0 && bytes > MAX_EVENT_BYTES {
                break;
            }
            count += 1;
        }
        let batch: Vec<T> = self.buffer.drain(..count).collect();
        // Records left over open the next batch's window now.
        self.window_opened = (!self.buffer.is_empty()).then_some(now);
        batch
    }

    /// Whether the waiting records already fill a 6 MB event.
    fn batch_bytes_reached(&self) -> bool {
        let mut bytes = 0;
        self.buffer.iter().take(self.batch_size).any(|record| {
            bytes += record.estimated_event_bytes();
            bytes > MAX_EVENT_BYTES
        })
    }
}

#[cfg(test)]
mod tests {
    use streamdlq_core::SequenceNumber;

    use super::*;

    fn records(count: usize, bytes: usize) -> Vec<StreamRecord> {
        (0..count)
            .map(|i| StreamRecord {
                sequence_number: SequenceNumber::parse(&format!("{}", 1000 + i)).expect("digits"),
                partition_key: "pk".to_owned(),
                approximate_arrival_millis: Some(0),
                data: vec![b'x'; bytes],
            })
            .collect()
    }

    /// With no window a batch goes as soon as records are read.
    #[test]
    fn without_a_window_invokes_as_soon_as_records_arrive() {
        let now = Instant::now();
        let mut batcher = Batcher::new(100, Duration::ZERO);
        assert!(!batcher.ready(now, false));
        batcher.push(records(3, 10), now);
        assert!(batcher.ready(now, false));
        assert_eq!(batcher.take(now).len(), 3);
        assert!(batcher.is_empty());
    }

    /// With a window, a partial batch waits for the window to close.
    #[test]
    fn a_partial_batch_waits_for_the_window() {
        let opened = Instant::now();
        let mut batcher = Batcher::new(100, Duration::from_secs(2));
        batcher.push(records(3, 10), opened);
        assert!(!batcher.ready(opened + Duration::from_millis(1999), false));
        assert_eq!(batcher.deadline(), Some(opened + Duration::from_secs(2)));
        assert!(batcher.ready(opened + Duration::from_secs(2), false));
    }

    /// A full batch goes at once, window or not, and holds BatchSize records.
    #[test]
    fn a_full_batch_goes_at_once_with_batch_size_records() {
        let now = Instant::now();
        let mut batcher = Batcher::new(10, Duration::from_secs(300));
        batcher.push(records(25, 10), now);
        assert!(batcher.ready(now, false));
        assert_eq!(batcher.take(now).len(), 10);
        assert_eq!(batcher.len(), 15);
        assert_eq!(batcher.wanted(), 1);
    }

    /// A closed shard's last records go without waiting for the window.
    #[test]
    fn a_drained_shard_flushes_its_last_records() {
        let now = Instant::now();
        let mut batcher = Batcher::new(100, Duration::from_secs(300));
        batcher.push(records(2, 10), now);
        assert!(batcher.ready(now, true));
    }

    /// Batches stop short of a 6 MB event: ten 1 MiB records make two
    /// batches, never one oversized event.
    #[test]
    fn cuts_batches_at_the_synchronous_payload_limit() {
        let now = Instant::now();
        let mut batcher = Batcher::new(100, Duration::from_secs(300));
        batcher.push(records(10, 1024 * 1024), now);
        assert!(batcher.ready(now, false));
        let first = batcher.take(now);
        assert_eq!(
            first.len(),
            4,
            "4 x 1.33 MiB of base64 fit in 6 MiB, 5 do not"
        );
        assert_eq!(batcher.take(now).len(), 4);
        assert_eq!(batcher.take(now).len(), 2);
    }

    /// One record too big for the limit on its own still goes alone.
    #[test]
    fn a_single_oversized_record_still_forms_a_batch() {
        let now = Instant::now();
        let mut batcher = Batcher::new(100, Duration::ZERO);
        batcher.push(records(2, 7 * 1024 * 1024), now);
        assert_eq!(batcher.take(now).len(), 1);
        assert_eq!(batcher.take(now).len(), 1);
    }

    /// A DynamoDB Streams read never asks for more than the 1,000 records
    /// one GetRecords call may return.
    #[test]
    fn asks_dynamodb_streams_for_at_most_a_thousand_records() {
        use streamdlq_core::dynamodb::DynamoDbRecord;
        assert_eq!(
            Batcher::<DynamoDbRecord>::new(10_000, Duration::ZERO).wanted(),
            1_000
        );
        assert_eq!(
            Batcher::<DynamoDbRecord>::new(100, Duration::ZERO).wanted(),
            100
        );
    }

    /// GetRecords asks for what the batch still lacks.
    #[test]
    fn asks_for_the_records_the_batch_lacks() {
        let now = Instant::now();
        let mut batcher = Batcher::new(100, Duration::from_secs(1));
        assert_eq!(batcher.wanted(), 100);
        batcher.push(records(30, 1), now);
        assert_eq!(batcher.wanted(), 70);
        assert_eq!(
            Batcher::<StreamRecord>::new(10_000, Duration::ZERO).wanted(),
            10_000
        );
    }
}
