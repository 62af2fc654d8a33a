//! How long a stream keeps records, and how close a failed range came to
//! being trimmed.
//!
//! The retention is read from the stream itself ([`StreamRetention`],
//! `DescribeStreamSummary` in the Kinesis adapter), never from
//! configuration that can drift from it, and cached per stream
//! ([`RetentionCache`]): it changes rarely, and one call per failure would
//! spend the stream's control-plane quota (DescribeStreamSummary allows 20
//! calls per second per account).

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use crate::stream::ReadError;

/// DynamoDB Streams keep records 24 hours; the retention cannot be changed.
pub const DYNAMODB_STREAMS_RETENTION: Duration = Duration::from_secs(24 * 3600);

/// Reads a stream's retention period, named by its ARN.
pub trait StreamRetention {
    fn retention_period(
        &self,
        stream_arn: &str,
    ) -> impl Future<Output = Result<Duration, ReadError>> + Send;
}

/// A [`StreamRetention`] for deployments that do not read retention: every
/// lookup fails, so no retention margin is reported rather than a guess.
#[derive(Debug, Clone, Copy, Default)]
pub struct UnknownRetention;

impl StreamRetention for UnknownRetention {
    async fn retention_period(&self, _stream_arn: &str) -> Result<Duration, ReadError> {
        Err(ReadError::Other(
            "no retention source configured".to_owned(),
        ))
    }
}

/// A [`StreamRetention`] that asks its source once per stream. Failed
/// lookups are not cached: the next failure asks again.
#[derive(Debug)]
pub struct RetentionCache<T> {
    source: T,
    known: Mutex<HashMap<String, Duration>>,
}

impl<T> RetentionCache<T> {
    pub fn new(source: T) -> Self {
        Self {
            source,
            known: Mutex::new(HashMap::new()),
        }
    }

    pub fn source(&self) -> &T {
        &self.source
    }

    fn cached(&self, stream_arn: &str) -> Option<Duration> {
        self.known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(stream_arn)
            .copied()
    }
}

impl<T: StreamRetention + Sync> StreamRetention for RetentionCache<T> {
    async fn retention_period(&self, stream_arn: &str) -> Result<Duration, ReadError> {
        if let Some(retention) = self.cached(stream_arn) {
            return Ok(retention);
        }
        let retention = self.source.retention_period(stream_arn).await?;
        self.known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(stream_arn.to_owned(), retention);
        Ok(retention)
    }
}

/// How long the first record of a range still had before the stream would
/// trim it: retention − (now − arrival of the first record), in
/// milliseconds. Negative once the record is past the retention (it may
/// already be gone).
pub fn retention_margin_millis(
    retention: Duration,
    first_arrival_millis: i64,
    now_millis: i64,
) -> i64 {
    let retention = i64::try_from(retention.as_millis()).unwrap_or(i64::MAX);
    let age = now_millis.saturating_sub(first_arrival_millis);
    retention.saturating_sub(age)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    const DAY: Duration = Duration::from_secs(24 * 3600);

    /// A record that arrived an hour ago in a 24 h stream has 23 h left.
    #[test]
    fn margin_is_retention_less_the_first_records_age() {
        let arrival = 1_795_428_841_123;
        let now = arrival + 3_600_000;
        assert_eq!(retention_margin_millis(DAY, arrival, now), 23 * 3_600_000);
    }

    /// A record older than the retention has a negative margin.
    #[test]
    fn margin_is_negative_past_the_retention() {
        let now = 10 * 86_400_000;
        assert_eq!(
            retention_margin_millis(DAY, now - 86_400_000 - 5_000, now),
            -5_000
        );
    }

    #[derive(Debug, Default)]
    struct Counting {
        calls: AtomicUsize,
        fail: bool,
    }

    impl StreamRetention for Counting {
        async fn retention_period(&self, _stream_arn: &str) -> Result<Duration, ReadError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if self.fail {
                Err(ReadError::AccessDenied("no".into()))
            } else {
                Ok(DAY)
            }
        }
    }

    /// The cache asks once per stream.
    #[tokio::test]
    async fn cache_asks_the_stream_once() {
        let cache = RetentionCache::new(Counting::default());
        for _ in 0..3 {
            assert_eq!(cache.retention_period("a").await, Ok(DAY));
        }
        assert_eq!(cache.retention_period("b").await, Ok(DAY));
        assert_eq!(cache.source().calls.load(Ordering::SeqCst), 2);
    }

    /// A failed lookup is asked again next time.
    #[tokio::test]
    async fn cache_keeps_no_failures() {
        let cache = RetentionCache::new(Counting {
            fail: true,
            ..Counting::default()
        });
        assert!(cache.retention_period("a").await.is_err());
        assert!(cache.retention_period("a").await.is_err());
        assert_eq!(cache.source().calls.load(Ordering::SeqCst), 2);
    }
}
