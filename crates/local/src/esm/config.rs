//! [`EsmConfig`]: the settings of one Kinesis event source mapping, checked
//! against the ranges AWS accepts, plus the local timing knobs.
//!
//! AWS contract honoured here (CreateEventSourceMapping, Kinesis source):
//! - `BatchSize` 1..=10,000 (default 100);
//!   `MaximumBatchingWindowInSeconds` 0..=300 (default 0).
//! - `StartingPosition` is required: `TRIM_HORIZON`, `LATEST`, or
//!   `AT_TIMESTAMP` with `StartingPositionTimestamp`.
//! - `MaximumRetryAttempts` -1 (infinite, the default) or 0..=10,000;
//!   `MaximumRecordAgeInSeconds` -1 (infinite, the default) or 60..=604,800.
//! - `FunctionResponseTypes` may only hold `ReportBatchItemFailures`.
//! - `ParallelizationFactor` is 1..=10 on AWS; the emulator runs one batch per
//!   shard at a time and so accepts only 1, saying so rather than ignoring it.

use std::time::Duration;

use streamdlq_core::Backoff;

/// Where a shard is first read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartingPosition {
    /// The oldest record still in the shard.
    TrimHorizon,
    /// Only records put after the mapping started.
    Latest,
    /// Records that arrived at or after this time (epoch milliseconds).
    AtTimestamp(i64),
}

/// The mapping's settings as a template or the Lambda API spells them:
/// plain values, unchecked. `None` means "not set": the AWS default applies.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EsmSettings {
    pub batch_size: Option<i64>,
    pub maximum_batching_window_in_seconds: Option<i64>,
    /// `TRIM_HORIZON`, `LATEST` or `AT_TIMESTAMP`.
    pub starting_position: Option<String>,
    /// Epoch seconds, for `AT_TIMESTAMP`.
    pub starting_position_timestamp: Option<f64>,
    pub maximum_retry_attempts: Option<i64>,
    pub maximum_record_age_in_seconds: Option<i64>,
    pub bisect_batch_on_function_error: Option<bool>,
    /// `FunctionResponseTypes`, e.g. `["ReportBatchItemFailures"]`.
    pub function_response_types: Vec<String>,
    pub parallelization_factor: Option<i64>,
}

/// A checked event source mapping configuration.
///
/// Build it with [`EsmConfig::new`]; [`crate::esm::Esm::new`] checks it again,
/// so a configuration edited field by field cannot slip past the ranges.
#[derive(Debug, Clone, PartialEq)]
pub struct EsmConfig {
    /// Most records per invocation.
    pub batch_size: u32,
    /// How long to gather records before invoking with a batch that is not
    /// full; zero invokes as soon as records are read.
    pub maximum_batching_window: Duration,
    pub starting_position: StartingPosition,
    /// Retries after the first invocation; `None` retries until the records
    /// expire (`-1`).
    pub maximum_retry_attempts: Option<u32>,
    /// Records older than this go to OnFailure unprocessed; `None` never
    /// (`-1`).
    pub maximum_record_age: Option<Duration>,
    pub bisect_batch_on_function_error: bool,
    /// `FunctionResponseTypes: [ReportBatchItemFailures]`.
    pub report_batch_item_failures: bool,
    /// Batches in flight per shard: always 1 here.
    pub parallelization_factor: u32,
    /// Delay before retrying a failed batch: exponential from `base` to
    /// `cap`, growing with consecutive failures (AWS waits longer; locally
    /// fast by default).
    pub retry_backoff: Backoff,
    /// Wait between GetRecords calls that found nothing new. Kinesis allows
    /// five calls per second per shard, shared with every other reader.
    pub poll_interval: Duration,
    /// How often ListShards looks for shards created by resharding.
    pub shard_discovery_interval: Duration,
}

/// Why a configuration was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EsmConfigError {
    #[error("{setting} must be {allowed}, not {value}")]
    OutOfRange {
        setting: &'static str,
        value: i64,
        allowed: &'static str,
    },
    #[error("StartingPosition is required for a Kinesis event source mapping")]
    MissingStartingPosition,
    #[error("StartingPosition must be TRIM_HORIZON, LATEST or AT_TIMESTAMP, not {0:?}")]
    UnknownStartingPosition(String),
    #[error("StartingPosition AT_TIMESTAMP needs StartingPositionTimestamp (epoch seconds)")]
    MissingStartingPositionTimestamp,
    #[error("StartingPositionTimestamp must be a finite, non-negative epoch time, not {0}")]
    InvalidStartingPositionTimestamp(f64),
    #[error("FunctionResponseTypes may only hold ReportBatchItemFailures, not {0:?}")]
    UnknownResponseType(String),
    #[error(
        "ParallelizationFactor {0} is valid on AWS but not supported locally: use 1 (one batch in flight per shard)"
    )]
    UnsupportedParallelization(u32),
    #[error("{0} must be longer than zero")]
    ZeroInterval(&'static str),
    #[error("{0:?} is not the ARN of a Kinesis stream or a Lambda function")]
    InvalidArn(String),
}

const BATCH_SIZE: (i64, i64) = (1, 10_000);
const BATCHING_WINDOW_SECONDS: (i64, i64) = (0, 300);
const RETRY_ATTEMPTS: (i64, i64) = (0, 10_000);
const RECORD_AGE_SECONDS: (i64, i64) = (60, 604_800);
const PARALLELIZATION: (i64, i64) = (1, 10);

impl EsmConfig {
    /// Checks plain settings and fills in the AWS defaults and the local
    /// timing defaults ([`Self::LOCAL_RETRY_BACKOFF`] and friends).
    pub fn new(settings: &EsmSettings) -> Result<Self, EsmConfigError> {
        let batch_size = in_range(
            "BatchSize",
            settings.batch_size.unwrap_or(100),
            BATCH_SIZE,
            "between 1 and 10000",
        )?;
        let window = in_range(
            "MaximumBatchingWindowInSeconds",
            settings.maximum_batching_window_in_seconds.unwrap_or(0),
            BATCHING_WINDOW_SECONDS,
            "between 0 and 300",
        )?;
        let retries = match settings.maximum_retry_attempts.unwrap_or(-1) {
            -1 => None,
            value => Some(in_range(
                "MaximumRetryAttempts",
                value,
                RETRY_ATTEMPTS,
                "-1 (infinite) or between 0 and 10000",
            )?),
        };
        let record_age = match settings.maximum_record_age_in_seconds.unwrap_or(-1) {
            -1 => None,
            value => Some(Duration::from_secs(u64::from(in_range(
                "MaximumRecordAgeInSeconds",
                value,
                RECORD_AGE_SECONDS,
                "-1 (infinite) or between 60 and 604800",
            )?))),
        };
        let parallelization = in_range(
            "ParallelizationFactor",
            settings.parallelization_factor.unwrap_or(1),
            PARALLELIZATION,
            "between 1 and 10",
        )?;
        let mut report_batch_item_failures = false;
        for response_type in &settings.function_response_types {
            if response_type != "ReportBatchItemFailures" {
                return Err(EsmConfigError::UnknownResponseType(response_type.clone()));
            }
            report_batch_item_failures = true;
        }
        let config = Self {
            batch_size,
            maximum_batching_window: Duration::from_secs(u64::from(window)),
            starting_position: starting_position(settings)?,
            maximum_retry_attempts: retries,
            maximum_record_age: record_age,
            bisect_batch_on_function_error: settings
                .bisect_batch_on_function_error
                .unwrap_or(false),
            report_batch_item_failures,
            parallelization_factor: parallelization,
            retry_backoff: Self::LOCAL_RETRY_BACKOFF,
            poll_interval: Self::LOCAL_POLL_INTERVAL,
            shard_discovery_interval: Self::LOCAL_SHARD_DISCOVERY_INTERVAL,
        };
        config.validate()?;
        Ok(config)
    }

    /// Retries come quickly locally: 20 ms doubling up to 1 s.
    pub const LOCAL_RETRY_BACKOFF: Backoff = Backoff {
        base: Duration::from_millis(20),
        cap: Duration::from_secs(1),
    };
    /// Five GetRecords calls per second at most, the per-shard limit.
    pub const LOCAL_POLL_INTERVAL: Duration = Duration::from_millis(200);
    /// Resharding shows up within two seconds.
    pub const LOCAL_SHARD_DISCOVERY_INTERVAL: Duration = Duration::from_secs(2);

    /// Checks every field against the ranges AWS accepts.
    pub fn validate(&self) -> Result<(), EsmConfigError> {
        in_range(
            "BatchSize",
            i64::from(self.batch_size),
            BATCH_SIZE,
            "between 1 and 10000",
        )?;
        in_range(
            "MaximumBatchingWindowInSeconds",
            seconds_ceiling(self.maximum_batching_window),
            BATCHING_WINDOW_SECONDS,
            "between 0 and 300",
        )?;
        if let Some(retries) = self.maximum_retry_attempts {
            in_range(
                "MaximumRetryAttempts",
                i64::from(retries),
                RETRY_ATTEMPTS,
                "-1 (infinite) or between 0 and 10000",
            )?;
        }
        if let Some(age) = self.maximum_record_age {
            in_range(
                "MaximumRecordAgeInSeconds",
                seconds_ceiling(age),
                RECORD_AGE_SECONDS,
                "-1 (infinite) or between 60 and 604800",
            )?;
        }
        in_range(
            "ParallelizationFactor",
            i64::from(self.parallelization_factor),
            PARALLELIZATION,
            "between 1 and 10",
        )?;
        if self.parallelization_factor != 1 {
            return Err(EsmConfigError::UnsupportedParallelization(
                self.parallelization_factor,
            ));
        }
        for (name, interval) in [
            ("the poll interval", self.poll_interval),
            (
                "the shard discovery interval",
                self.shard_discovery_interval,
            ),
        ] {
            if interval.is_zero() {
                return Err(EsmConfigError::ZeroInterval(name));
            }
        }
        Ok(())
    }
}

fn starting_position(settings: &EsmSettings) -> Result<StartingPosition, EsmConfigError> {
    let Some(position) = settings.starting_position.as_deref() else {
        return Err(EsmConfigError::MissingStartingPosition);
    };
    match position {
        "TRIM_HORIZON" => Ok(StartingPosition::TrimHorizon),
        "LATEST" => Ok(StartingPosition::Latest),
        "AT_TIMESTAMP" => {
            let seconds = settings
                .starting_position_timestamp
                .ok_or(EsmConfigError::MissingStartingPositionTimestamp)?;
            if !seconds.is_finite() || seconds < 0.0 {
                return Err(EsmConfigError::InvalidStartingPositionTimestamp(seconds));
            }
            // Epoch seconds to milliseconds: well inside f64's exact range.
            Ok(StartingPosition::AtTimestamp(
                (seconds * 1000.0).round() as i64
            ))
        }
        other => Err(EsmConfigError::UnknownStartingPosition(other.to_owned())),
    }
}

/// A duration as whole seconds, rounded up so that 300.5 s is out of range.
fn seconds_ceiling(duration: Duration) -> i64 {
    let seconds = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
    i64::try_from(seconds).unwrap_or(i64::MAX)
}

fn in_range(
    setting: &'static str,
    value: i64,
    (low, high): (i64, i64),
    allowed: &'static str,
) -> Result<u32, EsmConfigError> {
    if (low..=high).contains(&value) {
        // Every range above fits in u32.
        u32::try_from(value).map_err(|_| EsmConfigError::OutOfRange {
            setting,
            value,
            allowed,
        })
    } else {
        Err(EsmConfigError::OutOfRange {
            setting,
            value,
            allowed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> EsmSettings {
        EsmSettings {
            starting_position: Some("TRIM_HORIZON".to_owned()),
            ..EsmSettings::default()
        }
    }

    fn refused(settings: &EsmSettings) -> String {
        EsmConfig::new(settings)
            .expect_err("settings out of range")
            .to_string()
    }

    /// Unset values take the AWS defaults: 100 records, no window, infinite
    /// retries and age, no bisect, no partial responses, one batch per shard.
    #[test]
    fn fills_in_the_aws_defaults() {
        let config = EsmConfig::new(&settings()).expect("valid");
        assert_eq!(config.batch_size, 100);
        assert_eq!(config.maximum_batching_window, Duration::ZERO);
        assert_eq!(config.starting_position, StartingPosition::TrimHorizon);
        assert_eq!(config.maximum_retry_attempts, None);
        assert_eq!(config.maximum_record_age, None);
        assert!(!config.bisect_batch_on_function_error);
        assert!(!config.report_batch_item_failures);
        assert_eq!(config.parallelization_factor, 1);
    }

    /// Every setting a template can give is carried over.
    #[test]
    fn reads_every_setting() {
        let config = EsmConfig::new(&EsmSettings {
            batch_size: Some(10_000),
            maximum_batching_window_in_seconds: Some(300),
            starting_position: Some("AT_TIMESTAMP".to_owned()),
            starting_position_timestamp: Some(1_795_428_841.123),
            maximum_retry_attempts: Some(0),
            maximum_record_age_in_seconds: Some(60),
            bisect_batch_on_function_error: Some(true),
            function_response_types: vec!["ReportBatchItemFailures".to_owned()],
            parallelization_factor: Some(1),
        })
        .expect("valid");
        assert_eq!(config.batch_size, 10_000);
        assert_eq!(config.maximum_batching_window, Duration::from_secs(300));
        assert_eq!(
            config.starting_position,
            StartingPosition::AtTimestamp(1_795_428_841_123)
        );
        assert_eq!(config.maximum_retry_attempts, Some(0));
        assert_eq!(config.maximum_record_age, Some(Duration::from_secs(60)));
        assert!(config.bisect_batch_on_function_error);
        assert!(config.report_batch_item_failures);
    }

    /// Values just outside the AWS ranges are refused with the range.
    #[test]
    fn refuses_values_outside_the_aws_ranges() {
        let cases: [(EsmSettings, &str); 7] = [
            (
                EsmSettings {
                    batch_size: Some(0),
                    ..settings()
                },
                "BatchSize must be between 1 and 10000, not 0",
            ),
            (
                EsmSettings {
                    batch_size: Some(10_001),
                    ..settings()
                },
                "BatchSize must be between 1 and 10000, not 10001",
            ),
            (
                EsmSettings {
                    maximum_batching_window_in_seconds: Some(301),
                    ..settings()
                },
                "MaximumBatchingWindowInSeconds must be between 0 and 300, not 301",
            ),
            (
                EsmSettings {
                    maximum_retry_attempts: Some(-2),
                    ..settings()
                },
                "MaximumRetryAttempts must be -1 (infinite) or between 0 and 10000, not -2",
            ),
            (
                EsmSettings {
                    maximum_retry_attempts: Some(10_001),
                    ..settings()
                },
                "MaximumRetryAttempts must be -1 (infinite) or between 0 and 10000, not 10001",
            ),
            (
                EsmSettings {
                    maximum_record_age_in_seconds: Some(59),
                    ..settings()
                },
                "MaximumRecordAgeInSeconds must be -1 (infinite) or between 60 and 604800, not 59",
            ),
            (
                EsmSettings {
                    maximum_record_age_in_seconds: Some(604_801),
                    ..settings()
                },
                "MaximumRecordAgeInSeconds must be -1 (infinite) or between 60 and 604800, not 604801",
            ),
        ];
        for (settings, message) in cases {
            assert_eq!(refused(&settings), message);
        }
    }

    /// The starting position is required and must be one AWS knows.
    #[test]
    fn requires_a_known_starting_position() {
        let missing = EsmSettings::default();
        assert_eq!(
            refused(&missing),
            "StartingPosition is required for a Kinesis event source mapping"
        );
        let unknown = EsmSettings {
            starting_position: Some("EARLIEST".to_owned()),
            ..settings()
        };
        assert!(refused(&unknown).contains("not \"EARLIEST\""));
        let no_time = EsmSettings {
            starting_position: Some("AT_TIMESTAMP".to_owned()),
            ..settings()
        };
        assert!(refused(&no_time).contains("needs StartingPositionTimestamp"));
    }

    /// Only ReportBatchItemFailures is a response type.
    #[test]
    fn refuses_unknown_response_types() {
        let settings = EsmSettings {
            function_response_types: vec!["ReportBatchItemFailure".to_owned()],
            ..settings()
        };
        assert!(refused(&settings).contains("not \"ReportBatchItemFailure\""));
    }

    /// A parallelization factor AWS accepts but the emulator cannot honour
    /// is refused with that reason; one outside 1..=10 with the range.
    #[test]
    fn supports_only_one_batch_per_shard() {
        let two = EsmSettings {
            parallelization_factor: Some(2),
            ..settings()
        };
        assert!(refused(&two).contains("not supported locally"));
        let eleven = EsmSettings {
            parallelization_factor: Some(11),
            ..settings()
        };
        assert_eq!(
            refused(&eleven),
            "ParallelizationFactor must be between 1 and 10, not 11"
        );
    }

    /// Editing a checked configuration does not get past validation.
    #[test]
    fn validates_edited_configurations() {
        let mut config = EsmConfig::new(&settings()).expect("valid");
        config.maximum_record_age = Some(Duration::from_secs(30));
        assert!(config.validate().is_err());
        config.maximum_record_age = None;
        config.poll_interval = Duration::ZERO;
        assert_eq!(
            config.validate(),
            Err(EsmConfigError::ZeroInterval("the poll interval"))
        );
    }
}
