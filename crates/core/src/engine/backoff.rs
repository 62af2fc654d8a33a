//! Exponential backoff with full jitter: the workspace's one backoff, for
//! the errors the SDK surfaced after its own retries (throughput exceeded
//! on a busy shard, entries SQS failed on its side, PutRecords entries
//! Kinesis failed) and for the local ESM's retries.
//!
//! Full jitter (a uniform delay between zero and the exponential ceiling)
//! spreads concurrent hydrations of the same shard apart instead of letting
//! them retry in lockstep against the shared 5 calls/s budget.
//!
//! Why not `backon`: its jitter adds a random amount of up to one delay on
//! top of the exponential step instead of drawing below it (full jitter),
//! and its backoffs are stateful iterators driving the retry loop. Callers
//! here need the delay of retry number `n` with an injected random source
//! (seeded in tests, and the ESM keeps its own retry count across batches),
//! which is the four lines of [`Backoff::delay`].

use std::time::Duration;

/// Ceiling `base * 2^retry`, capped at `cap`; the delay is uniform below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_millis(250),
            cap: Duration::from_secs(5),
        }
    }
}

impl Backoff {
    /// The longest delay before retry number `retry` (0 for the first retry).
    pub fn ceiling(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// A delay drawn uniformly from `0..=ceiling(retry)`.
    pub fn delay(&self, retry: u32, rng: &mut fastrand::Rng) -> Duration {
        let ceiling = u64::try_from(self.ceiling(retry).as_micros()).unwrap_or(u64::MAX);
        Duration::from_micros(rng.u64(0..=ceiling))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ceiling doubles per retry and stops at the cap, without overflow.
    #[test]
    fn doubles_the_ceiling_up_to_the_cap() {
        let backoff = Backoff {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(1),
        };
        assert_eq!(backoff.ceiling(0), Duration::from_millis(100));
        assert_eq!(backoff.ceiling(1), Duration::from_millis(200));
        assert_eq!(backoff.ceiling(3), Duration::from_millis(800));
        assert_eq!(backoff.ceiling(4), Duration::from_secs(1));
        assert_eq!(backoff.ceiling(200), Duration::from_secs(1));
    }

    /// Delays stay within the ceiling and are spread out, not constant.
    #[test]
    fn draws_delays_with_full_jitter_below_the_ceiling() {
        let backoff = Backoff::default();
        let mut rng = fastrand::Rng::with_seed(7);
        let delays: Vec<Duration> = (0..200).map(|_| backoff.delay(2, &mut rng)).collect();
        assert!(delays.iter().all(|d| *d <= backoff.ceiling(2)));
        let shortest = delays.iter().min().copied().unwrap_or_default();
        let longest = delays.iter().max().copied().unwrap_or_default();
        assert!(shortest < backoff.ceiling(2) / 4, "shortest {shortest:?}");
        assert!(longest > backoff.ceiling(2) * 3 / 4, "longest {longest:?}");
    }
}
