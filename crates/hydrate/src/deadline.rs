//! When hydration must stop reading: the invocation's deadline less the time
//! kept back for writing the DLQ.
//!
//! The Lambda runtime API gives the deadline as wall-clock epoch
//! milliseconds (`Lambda-Runtime-Deadline-Ms`, [`Context::deadline`]); the
//! hydration engine works on the monotonic [`Instant`]. The conversion reads
//! both clocks once, so later wall-clock adjustments cannot move it.
//!
//! [`Context::deadline`]: lambda_runtime::Context::deadline

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

/// The longest a Lambda invocation may run, used when a context carries no
/// deadline (`Context::default()` has 0, e.g. in a local invocation).
pub const LAMBDA_MAX_DURATION: Duration = Duration::from_secs(15 * 60);

/// The instant by which reading must end: `deadline_ms` (epoch milliseconds,
/// 0 for none) minus `reserve`, never before now.
pub fn invocation_deadline(deadline_ms: u64, reserve: Duration) -> Instant {
    deadline_from(deadline_ms, reserve, SystemTime::now(), Instant::now())
}

/// [`invocation_deadline`] with both clocks given.
fn deadline_from(
    deadline_ms: u64,
    reserve: Duration,
    wall_now: SystemTime,
    now: Instant,
) -> Instant {
    let remaining = if deadline_ms == 0 {
        LAMBDA_MAX_DURATION
    } else {
        (UNIX_EPOCH + Duration::from_millis(deadline_ms))
            .duration_since(wall_now)
            .unwrap_or(Duration::ZERO)
    };
    now + remaining.saturating_sub(reserve)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESERVE: Duration = Duration::from_secs(10);

    fn wall(epoch_ms: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(epoch_ms)
    }

    /// A minute left in the invocation leaves 50 s of reading.
    #[test]
    fn keeps_the_reserve_back_from_the_remaining_time() {
        let now = Instant::now();
        let deadline = deadline_from(1_795_428_960_000, RESERVE, wall(1_795_428_900_000), now);
        assert_eq!(deadline - now, Duration::from_secs(50));
    }

    /// Less time left than the reserve (or a deadline already past) means
    /// reading stops at once, so the failure record still reaches the DLQ.
    #[test]
    fn stops_at_once_when_the_reserve_is_all_that_is_left() {
        let now = Instant::now();
        for remaining_ms in [5_000, 0] {
            let deadline_ms = 1_795_428_900_000 + remaining_ms;
            assert_eq!(
                deadline_from(deadline_ms, RESERVE, wall(1_795_428_900_000), now),
                now
            );
        }
        assert_eq!(
            deadline_from(1_795_428_800_000, RESERVE, wall(1_795_428_900_000), now),
            now
        );
    }

    /// A context without a deadline gets the longest Lambda invocation.
    #[test]
    fn treats_a_missing_deadline_as_the_lambda_maximum() {
        let now = Instant::now();
        let deadline = deadline_from(0, RESERVE, SystemTime::now(), now);
        assert_eq!(deadline - now, LAMBDA_MAX_DURATION - RESERVE);
    }
}
