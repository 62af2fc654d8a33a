//! Wall-clock time for the parts of the ESM that depend on it: record age
//! and OnFailure timestamps. A [`Clock`] is injected so that tests can make
//! records old without waiting a minute.
//!
//! Delays (backoff, polling, batching window) use tokio time instead, which
//! tests pause and advance on their own.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, SecondsFormat, Utc};
use uuid::Uuid;

/// The current time in milliseconds since the Unix epoch.
pub trait Clock: Send + Sync + fmt::Debug {
    fn now_millis(&self) -> i64;
}

/// The system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_millis(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

/// A clock that shows what it is told. Clones share the time.
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn at(millis: i64) -> Self {
        Self(Arc::new(AtomicI64::new(millis)))
    }

    pub fn set(&self, millis: i64) {
        self.0.store(millis, Ordering::SeqCst);
    }

    pub fn advance(&self, millis: i64) {
        self.0.fetch_add(millis, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_millis(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// ISO-8601 UTC with milliseconds and `Z`, as OnFailure records write
/// times: `2026-11-23T10:15:42.318Z`. Times beyond chrono's range (about
/// 262,000 years either way) are clamped to it.
pub fn iso8601_millis(millis: i64) -> String {
    let millis = millis.clamp(
        DateTime::<Utc>::MIN_UTC.timestamp_millis(),
        DateTime::<Utc>::MAX_UTC.timestamp_millis(),
    );
    DateTime::<Utc>::from_timestamp_millis(millis)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// ISO-8601 UTC to the second with `Z`, as DynamoDB Streams OnFailure
/// records write arrival times: `2026-11-23T10:14:01Z` (truncated, never
/// rounded up past the record's own time).
pub fn iso8601_seconds(millis: i64) -> String {
    let millis = millis.clamp(
        DateTime::<Utc>::MIN_UTC.timestamp_millis(),
        DateTime::<Utc>::MAX_UTC.timestamp_millis(),
    );
    DateTime::<Utc>::from_timestamp(millis.div_euclid(1000), 0)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A random request id in the UUID v4 text form Lambda uses, e.g.
/// `2b4d1c9e-8f7a-4c53-9a1e-6d0f3b2a7c55`.
pub fn request_id() -> String {
    Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Times print as AWS prints them, milliseconds always present.
    #[test]
    fn formats_times_like_onfailure_records() {
        assert_eq!(
            iso8601_millis(1_795_428_942_318),
            "2026-11-23T10:15:42.318Z"
        );
        assert_eq!(
            iso8601_millis(1_795_428_897_000),
            "2026-11-23T10:14:57.000Z"
        );
        assert_eq!(iso8601_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601_millis(951_782_400_001), "2000-02-29T00:00:00.001Z");
        assert_eq!(iso8601_millis(-1), "1969-12-31T23:59:59.999Z");
        assert!(iso8601_millis(i64::MAX).ends_with(".999Z"));
    }

    /// DynamoDB Streams arrival times print to the second, truncated.
    #[test]
    fn formats_dynamodb_arrival_times_without_milliseconds() {
        assert_eq!(iso8601_seconds(1_795_428_841_999), "2026-11-23T10:14:01Z");
        assert_eq!(iso8601_seconds(-1), "1969-12-31T23:59:59Z");
    }

    /// Request ids are lowercase UUID v4 text, different each time.
    #[test]
    fn makes_uuid_v4_request_ids() {
        let id = request_id();
        let groups: Vec<usize> = id.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
        assert!(
            id.chars()
                .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c))
        );
        assert_eq!(id.as_bytes()[14], b'4');
        assert!(matches!(id.as_bytes()[19], b'8' | b'9' | b'a' | b'b'));
        assert_ne!(id, request_id());
    }

    /// A manual clock shows what it is told, shared by its clones.
    #[test]
    fn manual_clock_is_shared_by_clones() {
        let clock = ManualClock::at(1_000);
        let view = clock.clone();
        clock.advance(500);
        assert_eq!(view.now_millis(), 1_500);
        clock.set(42);
        assert_eq!(view.now_millis(), 42);
    }
}
