//! How hard and how fast the hydration engine reads a shard.

use std::time::Duration;

use super::backoff::Backoff;

/// GetRecords returns at most 10,000 records a call (and at most 10 MiB).
pub const GET_RECORDS_MAX_LIMIT: u32 = 10_000;

/// Tuning of one hydration. `Default` is right for Kinesis Data Streams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HydrateOptions {
    /// Upper bound of the `Limit` asked in one GetRecords call; clamped to
    /// 1..=10,000, the range Kinesis accepts.
    pub max_records_per_call: u32,
    /// How many times one call is tried (the first try included) when it
    /// keeps failing with a retryable error *after* the SDK's own retries.
    /// Also bounds how many times in a row an iterator may expire without a
    /// page read in between.
    pub max_attempts: u32,
    /// Delay between those outer attempts (full jitter).
    pub backoff: Backoff,
    /// Shortest time between two GetRecords calls on the shard. Kinesis
    /// allows 5 calls/s per shard, shared with the event source mapping that
    /// reads the same shard: 200 ms keeps hydration within that budget
    /// instead of spinning on empty pages.
    pub min_call_interval: Duration,
    /// Empty pages in a row (each with a next iterator) after which reading
    /// stops: Kinesis may return a few before data, never endlessly for a
    /// range that still exists.
    pub max_empty_pages: u32,
}

impl Default for HydrateOptions {
    fn default() -> Self {
        Self {
            max_records_per_call: GET_RECORDS_MAX_LIMIT,
            max_attempts: 6,
            backoff: Backoff::default(),
            min_call_interval: Duration::from_millis(200),
            max_empty_pages: 50,
        }
    }
}

impl HydrateOptions {
    /// The GetRecords `Limit` for a call that still needs `remaining` records.
    pub(crate) fn limit_for(&self, remaining: u32) -> u32 {
        remaining
            .min(self.max_records_per_call)
            .clamp(1, GET_RECORDS_MAX_LIMIT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GetRecords never gets a limit outside 1..=10,000, whatever was asked.
    #[test]
    fn limits_each_call_to_what_kinesis_accepts() {
        let options = HydrateOptions::default();
        assert_eq!(options.limit_for(3), 3);
        assert_eq!(options.limit_for(25_000), 10_000);
        let wild = HydrateOptions {
            max_records_per_call: 0,
            ..HydrateOptions::default()
        };
        assert_eq!(wild.limit_for(5), 1);
        let large = HydrateOptions {
            max_records_per_call: 50_000,
            ..HydrateOptions::default()
        };
        assert_eq!(large.limit_for(20_000), 10_000);
    }
}
