//! The processor's Kinesis event source mapping, as the template configures
//! it: the settings the local ESM runs with.
//!
//! Defaults and ranges are AWS's for Kinesis mappings, so a value that AWS
//! would reject fails here too instead of silently behaving differently.

use std::time::Duration;

use super::value::Reference;

/// Where a mapping or an async invocation sends what it gave up on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// `SNS`, `SQS` or `S3`, as written in the template.
    pub kind: String,
    /// The destination resource.
    pub target: Reference,
}

/// `StartingPosition` of a Kinesis mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartingPosition {
    /// The oldest record the stream retains.
    TrimHorizon,
    /// Only records put after the mapping started.
    Latest,
    /// Records from `StartingPositionTimestamp` on.
    AtTimestamp,
}

impl StartingPosition {
    /// The template spelling, e.g. `TRIM_HORIZON`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TrimHorizon => "TRIM_HORIZON",
            Self::Latest => "LATEST",
            Self::AtTimestamp => "AT_TIMESTAMP",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text {
            "TRIM_HORIZON" => Some(Self::TrimHorizon),
            "LATEST" => Some(Self::Latest),
            "AT_TIMESTAMP" => Some(Self::AtTimestamp),
            _ => None,
        }
    }
}

/// The settings of the processor's Kinesis event (`Events.<name>.Properties`).
#[derive(Debug, Clone, PartialEq)]
pub struct KinesisEventSpec {
    /// The event's name under `Events` (its mapping is `<Function><Name>`).
    pub event_name: String,
    /// `Stream`: the stream the mapping reads.
    pub stream: Reference,
    /// `StartingPosition` (required).
    pub starting_position: StartingPosition,
    /// `StartingPositionTimestamp` in epoch seconds, for `AT_TIMESTAMP`.
    pub starting_position_timestamp: Option<f64>,
    /// `BatchSize`: 1..=10,000, default 100.
    pub batch_size: u32,
    /// `MaximumBatchingWindowInSeconds`: 0..=300, default 0.
    pub maximum_batching_window: Duration,
    /// `ParallelizationFactor`: 1..=10, default 1.
    pub parallelization_factor: u32,
    /// `MaximumRetryAttempts`: 0..=10,000; `None` is AWS's -1 (the default),
    /// retry until the record expires.
    pub maximum_retry_attempts: Option<u32>,
    /// `MaximumRecordAgeInSeconds`: 60..=604,800; `None` is AWS's -1 (the
    /// default), no age limit.
    pub maximum_record_age: Option<Duration>,
    /// `BisectBatchOnFunctionError`, default false.
    pub bisect_batch_on_function_error: bool,
    /// `FunctionResponseTypes` contains `ReportBatchItemFailures`.
    pub report_batch_item_failures: bool,
    /// `DestinationConfig.OnFailure`, if any.
    pub on_failure: Option<Destination>,
}

impl KinesisEventSpec {
    /// The settings as the ESM emulator takes them (AWS's spelling, -1 for
    /// "no limit"), which it checks again against the AWS ranges.
    pub fn esm_settings(&self) -> crate::esm::EsmSettings {
        let seconds = |duration: Duration| i64::try_from(duration.as_secs()).unwrap_or(i64::MAX);
        crate::esm::EsmSettings {
            batch_size: Some(self.batch_size.into()),
            maximum_batching_window_in_seconds: Some(seconds(self.maximum_batching_window)),
            starting_position: Some(self.starting_position.as_str().to_owned()),
            starting_position_timestamp: self.starting_position_timestamp,
            maximum_retry_attempts: Some(self.maximum_retry_attempts.map_or(-1, i64::from)),
            maximum_record_age_in_seconds: Some(self.maximum_record_age.map_or(-1, seconds)),
            bisect_batch_on_function_error: Some(self.bisect_batch_on_function_error),
            function_response_types: if self.report_batch_item_failures {
                vec!["ReportBatchItemFailures".to_owned()]
            } else {
                Vec::new()
            },
            parallelization_factor: Some(self.parallelization_factor.into()),
        }
    }
}

/// AWS's inclusive ranges, so that the local stack refuses what AWS refuses.
pub(crate) mod limits {
    use std::ops::RangeInclusive;

    pub const BATCH_SIZE: RangeInclusive<i64> = 1..=10_000;
    pub const BATCHING_WINDOW: RangeInclusive<i64> = 0..=300;
    pub const PARALLELIZATION: RangeInclusive<i64> = 1..=10;
    pub const RETRY_ATTEMPTS: RangeInclusive<i64> = -1..=10_000;
    pub const RECORD_AGE: RangeInclusive<i64> = 60..=604_800;
    pub const ASYNC_RETRY_ATTEMPTS: RangeInclusive<i64> = 0..=2;
    pub const ASYNC_EVENT_AGE: RangeInclusive<i64> = 60..=21_600;
    pub const FUNCTION_TIMEOUT: RangeInclusive<i64> = 1..=900;
    pub const SHARD_COUNT: RangeInclusive<i64> = 1..=10_000;
    pub const RETENTION_HOURS: RangeInclusive<i64> = 24..=8_760;
    pub const MESSAGE_SIZE: RangeInclusive<i64> = 1_024..=1_048_576;
    pub const MESSAGE_RETENTION: RangeInclusive<i64> = 60..=1_209_600;
}
