//! AWS's inclusive ranges for the template properties the local stack reads
//! outside the event source mapping (whose ranges are
//! [`crate::esm::config`]'s), so that the local stack refuses what AWS
//! refuses.

use std::ops::RangeInclusive;

pub const ASYNC_RETRY_ATTEMPTS: RangeInclusive<i64> = 0..=2;
pub const ASYNC_EVENT_AGE: RangeInclusive<i64> = 60..=21_600;
pub const FUNCTION_TIMEOUT: RangeInclusive<i64> = 1..=900;
pub const SHARD_COUNT: RangeInclusive<i64> = 1..=10_000;
pub const RETENTION_HOURS: RangeInclusive<i64> = 24..=8_760;
pub const MESSAGE_SIZE: RangeInclusive<i64> = 1_024..=1_048_576;
pub const MESSAGE_RETENTION: RangeInclusive<i64> = 60..=1_209_600;
