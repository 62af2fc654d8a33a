//! `--dry-run`: what each message would become, and how close its range is
//! to the stream's retention — the one thing a rescue races against.
//!
//! The retention is read from the stream ([`StreamRetention`], cached per
//! stream), DynamoDB Streams' fixed 24 hours for those; the range's age from
//! the failure record's `approximateArrivalOfFirstRecord`, the same reading
//! the hydrate function's retention-margin metric makes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hydrate::metrics::first_arrival_millis;
use streamdlq_core::retention::{DYNAMODB_STREAMS_RETENTION, retention_margin_millis};
use streamdlq_core::{
    FailureRecord, Hydration, HydrationStatus, ReadError, RetentionCache, StreamRetention,
    StreamSource,
};

use super::summary::Planned;

/// A [`StreamRetention`] that counts the lookups reaching its source.
#[derive(Debug)]
pub struct CountedRetention<T> {
    source: T,
    calls: AtomicUsize,
}

impl<T> CountedRetention<T> {
    /// `source` behind a cache, counted.
    pub fn cached(source: T) -> RetentionCache<Self> {
        RetentionCache::new(Self {
            source,
            calls: AtomicUsize::new(0),
        })
    }

    /// Lookups made so far.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::Relaxed)
    }
}

impl<T: StreamRetention + Sync> StreamRetention for CountedRetention<T> {
    async fn retention_period(&self, stream_arn: &str) -> Result<Duration, ReadError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.source.retention_period(stream_arn).await
    }
}

/// The plan for one failure of an allowed stream.
pub async fn plan_failure<T: StreamRetention + Sync>(
    message_id: &str,
    record: &FailureRecord,
    sns_wrapped: bool,
    retention: &RetentionCache<T>,
) -> Planned {
    let batch = &record.batch;
    let mut planned = Planned {
        message_id: message_id.to_owned(),
        action: "hydrate",
        sns_wrapped,
        stream_arn: Some(batch.stream_arn.clone()),
        shard_id: Some(batch.shard_id.clone()),
        start_sequence_number: Some(batch.start_sequence_number.as_str().to_owned()),
        end_sequence_number: Some(batch.end_sequence_number.as_str().to_owned()),
        batch_size: Some(batch.batch_size),
        ..Planned::default()
    };
    let period = match record.source {
        StreamSource::DynamoDb => Ok(DYNAMODB_STREAMS_RETENTION),
        StreamSource::Kinesis => retention.retention_period(&batch.stream_arn).await,
    };
    let period = match period {
        Ok(period) => period,
        Err(error) => {
            planned.reason = Some(format!("cannot read the stream's retention: {error}"));
            return planned;
        }
    };
    planned.retention_seconds = Some(period.as_secs());
    // Nothing is read in a dry run: the arrival time is the failure record's.
    let unread = Hydration::without_records(HydrationStatus::Unavailable, 0, "not read");
    match first_arrival_millis(batch, &unread) {
        Some(arrival) => {
            let margin = retention_margin_millis(period, arrival, now_millis());
            planned.retention_left_seconds = Some(margin / 1000);
        }
        None => {
            planned.reason =
                Some("the failure record has no approximateArrivalOfFirstRecord".to_owned());
        }
    }
    planned
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD: &str = include_str!("../../../../events/onfailure-kinesis.json");

    #[derive(Debug)]
    struct Fixed(Result<Duration, ReadError>);

    impl StreamRetention for Fixed {
        async fn retention_period(&self, _stream_arn: &str) -> Result<Duration, ReadError> {
            self.0.clone()
        }
    }

    /// The plan names the range and the stream's retention, and says how
    /// far the range's first record is past it (the fixture's arrival is
    /// long gone by any clock this runs on).
    #[tokio::test]
    async fn plans_the_range_with_its_retention_margin() {
        let record = FailureRecord::parse(RECORD).expect("record");
        let retention = CountedRetention::cached(Fixed(Ok(Duration::from_secs(24 * 3600))));
        let planned = plan_failure("m-1", &record, true, &retention).await;
        assert_eq!(planned.action, "hydrate");
        assert!(planned.sns_wrapped);
        assert_eq!(planned.batch_size, Some(record.batch.batch_size));
        assert_eq!(planned.retention_seconds, Some(24 * 3600));
        let left = planned.retention_left_seconds.expect("a margin");
        assert!(
            left < 0,
            "the fixture's range is past a 24 h retention: {left}"
        );
        // Asked once, whatever the number of failures of the stream.
        plan_failure("m-2", &record, false, &retention).await;
        assert_eq!(retention.source().calls(), 1);
    }

    /// A stream whose retention cannot be read still gets a plan, with the
    /// reason instead of a margin.
    #[tokio::test]
    async fn says_why_the_retention_is_unknown() {
        let record = FailureRecord::parse(RECORD).expect("record");
        let retention = CountedRetention::cached(Fixed(Err(ReadError::AccessDenied(
            "not authorized to DescribeStreamSummary".into(),
        ))));
        let planned = plan_failure("m-1", &record, false, &retention).await;
        assert_eq!(planned.retention_left_seconds, None);
        let reason = planned.reason.expect("a reason");
        assert!(reason.contains("DescribeStreamSummary"), "{reason}");
    }
}
