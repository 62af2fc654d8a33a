//! [`EsmSettings`]: the settings of one stream event source mapping, read
//! once from their source by their AWS names and checked once against the
//! ranges AWS accepts; [`EsmConfig`] adds the local timing knobs.
//!
//! AWS contract honoured here (CreateEventSourceMapping, Kinesis source):
//! - `BatchSize` 1..=10,000 (default 100);
//!   `MaximumBatchingWindowInSeconds` 0..=300 (default 0).
//! - `StartingPosition` is required: `TRIM_HORIZON`, `LATEST`, or
//!   `AT_TIMESTAMP` with `StartingPositionTimestamp` (epoch seconds).
//! - `MaximumRetryAttempts` -1 (infinite, the default) or 0..=10,000;
//!   `MaximumRecordAgeInSeconds` -1 (infinite, the default) or 60..=604,800.
//! - `BisectBatchOnFunctionError` true or false (default false).
//! - `FunctionResponseTypes` may only hold `ReportBatchItemFailures`.
//! - `ParallelizationFactor` is 1..=10 on AWS; the emulator runs one batch per
//!   shard at a time and so accepts only 1, saying so rather than ignoring it.
//!
//! A DynamoDB Streams mapping takes the same properties with the same
//! ranges (its `StartingPosition` has no `AT_TIMESTAMP`), so it can be read
//! by this module too. Adding a setting means one [`Limit`] (or reader
//! line), one field and its accessor here; every source gets it.
//!
//! The sources are anything that implements [`MappingProperties`]: the
//! template's event properties (parameters resolved) and JSON in the Lambda
//! API's spelling, which is also how tests write settings.

use std::time::Duration;

use streamdlq_core::{ArnError, Backoff};

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

impl StartingPosition {
    /// The AWS spelling, e.g. `TRIM_HORIZON`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TrimHorizon => "TRIM_HORIZON",
            Self::Latest => "LATEST",
            Self::AtTimestamp(_) => "AT_TIMESTAMP",
        }
    }
}

/// One property's value, as a source holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum PropertyValue {
    /// A string, number or boolean, as text (`"100"`, `"true"`).
    Scalar(String),
    /// A list of strings (`FunctionResponseTypes`).
    List(Vec<String>),
    /// Anything else, described for the error message (`!GetAtt A.B`).
    Unreadable(String),
}

/// A mapping's properties by their AWS names (`BatchSize`, …).
pub trait MappingProperties {
    /// The value of property `name`, `None` when it is not set.
    fn property(&self, name: &str) -> Option<PropertyValue>;
}

/// A JSON object in the Lambda API's spelling:
/// `{"BatchSize": 10, "StartingPosition": "LATEST"}`.
impl MappingProperties for serde_json::Value {
    fn property(&self, name: &str) -> Option<PropertyValue> {
        use serde_json::Value;
        Some(match self.get(name)? {
            Value::Null => return None,
            Value::String(text) => PropertyValue::Scalar(text.clone()),
            Value::Number(number) => PropertyValue::Scalar(number.to_string()),
            Value::Bool(flag) => PropertyValue::Scalar(flag.to_string()),
            Value::Array(items) => items
                .iter()
                .map(|item| item.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .map_or_else(
                    || PropertyValue::Unreadable(items_text(items)),
                    PropertyValue::List,
                ),
            other => PropertyValue::Unreadable(other.to_string()),
        })
    }
}

fn items_text(items: &[serde_json::Value]) -> String {
    serde_json::Value::Array(items.to_vec()).to_string()
}

/// Why a setting was refused: the setting, the value and what AWS allows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EsmSettingsError {
    #[error("{setting} must be {allowed}, not {value}")]
    Invalid {
        setting: &'static str,
        /// The value as given (text in quotes).
        value: String,
        allowed: &'static str,
    },
    #[error("{setting} is required for a stream event source mapping ({allowed})")]
    Missing {
        setting: &'static str,
        allowed: &'static str,
    },
    #[error(
        "ParallelizationFactor {0} is valid on AWS but not supported locally: use 1 (one batch in flight per shard)"
    )]
    UnsupportedParallelization(u32),
}

/// An integer setting: its name, AWS's default and inclusive range, and
/// whether `-1` stands for "no limit".
#[derive(Debug, Clone, Copy)]
struct Limit {
    setting: &'static str,
    default: i64,
    low: i64,
    high: i64,
    unlimited: bool,
    allowed: &'static str,
}

const BATCH_SIZE: Limit = Limit {
    setting: "BatchSize",
    default: 100,
    low: 1,
    high: 10_000,
    unlimited: false,
    allowed: "between 1 and 10000",
};
const BATCHING_WINDOW: Limit = Limit {
    setting: "MaximumBatchingWindowInSeconds",
    default: 0,
    low: 0,
    high: 300,
    unlimited: false,
    allowed: "between 0 and 300",
};
const RETRY_ATTEMPTS: Limit = Limit {
    setting: "MaximumRetryAttempts",
    default: -1,
    low: 0,
    high: 10_000,
    unlimited: true,
    allowed: "-1 (infinite) or between 0 and 10000",
};
const RECORD_AGE: Limit = Limit {
    setting: "MaximumRecordAgeInSeconds",
    default: -1,
    low: 60,
    high: 604_800,
    unlimited: true,
    allowed: "-1 (infinite) or between 60 and 604800",
};
const PARALLELIZATION: Limit = Limit {
    setting: "ParallelizationFactor",
    default: 1,
    low: 1,
    high: 10,
    unlimited: false,
    allowed: "between 1 and 10",
};
const STARTING_POSITION: &str = "StartingPosition";
const STARTING_POSITIONS: &str = "TRIM_HORIZON, LATEST or AT_TIMESTAMP";
const STARTING_POSITION_TIMESTAMP: &str = "StartingPositionTimestamp";
const BISECT: &str = "BisectBatchOnFunctionError";
const RESPONSE_TYPES: &str = "FunctionResponseTypes";
const REPORT_BATCH_ITEM_FAILURES: &str = "ReportBatchItemFailures";

/// The checked settings of a stream event source mapping.
///
/// The only way to get one is [`EsmSettings::read`], so every value in it
/// is within AWS's ranges; nothing downstream checks again.
#[derive(Debug, Clone, PartialEq)]
pub struct EsmSettings {
    batch_size: u32,
    maximum_batching_window: Duration,
    starting_position: StartingPosition,
    maximum_retry_attempts: Option<u32>,
    maximum_record_age: Option<Duration>,
    bisect_batch_on_function_error: bool,
    report_batch_item_failures: bool,
    parallelization_factor: u32,
}

impl EsmSettings {
    /// Reads every setting from `properties`, fills in AWS's defaults, and
    /// refuses what AWS refuses, naming the setting, the value and the
    /// allowed range.
    pub fn read(properties: &impl MappingProperties) -> Result<Self, EsmSettingsError> {
        let read = Reader(properties);
        let parallelization_factor = read.bounded(PARALLELIZATION)?;
        if parallelization_factor != 1 {
            return Err(EsmSettingsError::UnsupportedParallelization(
                parallelization_factor,
            ));
        }
        Ok(Self {
            batch_size: read.bounded(BATCH_SIZE)?,
            maximum_batching_window: seconds(read.bounded(BATCHING_WINDOW)?),
            starting_position: read.starting_position()?,
            maximum_retry_attempts: read.integer(RETRY_ATTEMPTS)?,
            maximum_record_age: read.integer(RECORD_AGE)?.map(seconds),
            bisect_batch_on_function_error: read.flag(BISECT)?,
            report_batch_item_failures: read.response_types()?,
            parallelization_factor,
        })
    }

    /// Most records per invocation.
    pub fn batch_size(&self) -> u32 {
        self.batch_size
    }

    /// How long to gather records before invoking with a batch that is not
    /// full; zero invokes as soon as records are read.
    pub fn maximum_batching_window(&self) -> Duration {
        self.maximum_batching_window
    }

    pub fn starting_position(&self) -> StartingPosition {
        self.starting_position
    }

    /// Retries after the first invocation; `None` retries until the records
    /// expire (`-1`).
    pub fn maximum_retry_attempts(&self) -> Option<u32> {
        self.maximum_retry_attempts
    }

    /// Records older than this go to OnFailure unprocessed; `None` never
    /// (`-1`).
    pub fn maximum_record_age(&self) -> Option<Duration> {
        self.maximum_record_age
    }

    pub fn bisect_batch_on_function_error(&self) -> bool {
        self.bisect_batch_on_function_error
    }

    /// `FunctionResponseTypes: [ReportBatchItemFailures]`.
    pub fn report_batch_item_failures(&self) -> bool {
        self.report_batch_item_failures
    }

    /// Batches in flight per shard: always 1 here.
    pub fn parallelization_factor(&self) -> u32 {
        self.parallelization_factor
    }
}

fn seconds(value: u32) -> Duration {
    Duration::from_secs(value.into())
}

/// Reads typed values out of a [`MappingProperties`].
struct Reader<'a, P>(&'a P);

impl<P: MappingProperties> Reader<'_, P> {
    /// The value as text, or an error naming what it is instead.
    fn scalar(
        &self,
        setting: &'static str,
        allowed: &'static str,
    ) -> Result<Option<String>, EsmSettingsError> {
        match self.0.property(setting) {
            None => Ok(None),
            Some(PropertyValue::Scalar(text)) => Ok(Some(text)),
            Some(PropertyValue::List(items)) => {
                Err(invalid(setting, format!("{items:?}"), allowed))
            }
            Some(PropertyValue::Unreadable(what)) => Err(invalid(setting, what, allowed)),
        }
    }

    /// An integer within `limit` (the default when unset); `None` for -1
    /// where that means no limit.
    fn integer(&self, limit: Limit) -> Result<Option<u32>, EsmSettingsError> {
        let value = match self.scalar(limit.setting, limit.allowed)? {
            None => limit.default,
            Some(text) => text
                .trim()
                .parse::<i64>()
                .map_err(|_| invalid(limit.setting, format!("{text:?}"), limit.allowed))?,
        };
        if value == -1 && limit.unlimited {
            return Ok(None);
        }
        if (limit.low..=limit.high).contains(&value)
            && let Ok(value) = u32::try_from(value)
        {
            Ok(Some(value))
        } else {
            Err(invalid(limit.setting, value.to_string(), limit.allowed))
        }
    }

    /// An integer within `limit`, which has no "no limit" value.
    fn bounded(&self, limit: Limit) -> Result<u32, EsmSettingsError> {
        debug_assert!(!limit.unlimited);
        Ok(self.integer(limit)?.unwrap_or_default())
    }

    fn flag(&self, setting: &'static str) -> Result<bool, EsmSettingsError> {
        const ALLOWED: &str = "true or false";
        match self.scalar(setting, ALLOWED)?.as_deref() {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(other) => Err(invalid(setting, format!("{other:?}"), ALLOWED)),
        }
    }

    fn starting_position(&self) -> Result<StartingPosition, EsmSettingsError> {
        let position = self.scalar(STARTING_POSITION, STARTING_POSITIONS)?.ok_or(
            EsmSettingsError::Missing {
                setting: STARTING_POSITION,
                allowed: STARTING_POSITIONS,
            },
        )?;
        match position.as_str() {
            "TRIM_HORIZON" => Ok(StartingPosition::TrimHorizon),
            "LATEST" => Ok(StartingPosition::Latest),
            "AT_TIMESTAMP" => self.starting_timestamp().map(StartingPosition::AtTimestamp),
            other => Err(invalid(
                STARTING_POSITION,
                format!("{other:?}"),
                STARTING_POSITIONS,
            )),
        }
    }

    /// `StartingPositionTimestamp` in epoch seconds, as epoch milliseconds.
    fn starting_timestamp(&self) -> Result<i64, EsmSettingsError> {
        const ALLOWED: &str = "epoch seconds (needed for AT_TIMESTAMP)";
        let text = self.scalar(STARTING_POSITION_TIMESTAMP, ALLOWED)?.ok_or(
            EsmSettingsError::Missing {
                setting: STARTING_POSITION_TIMESTAMP,
                allowed: ALLOWED,
            },
        )?;
        match text.trim().parse::<f64>() {
            // Epoch seconds to milliseconds: well inside f64's exact range.
            Ok(seconds) if seconds.is_finite() && seconds >= 0.0 => {
                Ok((seconds * 1000.0).round() as i64)
            }
            _ => Err(invalid(
                STARTING_POSITION_TIMESTAMP,
                format!("{text:?}"),
                ALLOWED,
            )),
        }
    }

    /// Whether `FunctionResponseTypes` asks for partial batch responses.
    fn response_types(&self) -> Result<bool, EsmSettingsError> {
        const ALLOWED: &str = "a list holding only ReportBatchItemFailures";
        let types = match self.0.property(RESPONSE_TYPES) {
            None => return Ok(false),
            Some(PropertyValue::List(types)) => types,
            Some(PropertyValue::Scalar(text)) => {
                return Err(invalid(RESPONSE_TYPES, format!("{text:?}"), ALLOWED));
            }
            Some(PropertyValue::Unreadable(what)) => {
                return Err(invalid(RESPONSE_TYPES, what, ALLOWED));
            }
        };
        for kind in &types {
            if kind != REPORT_BATCH_ITEM_FAILURES {
                return Err(invalid(RESPONSE_TYPES, format!("{kind:?}"), ALLOWED));
            }
        }
        Ok(!types.is_empty())
    }
}

fn invalid(setting: &'static str, value: String, allowed: &'static str) -> EsmSettingsError {
    EsmSettingsError::Invalid {
        setting,
        value,
        allowed,
    }
}

/// The mapping's settings and the local timing knobs the ESM runs with.
#[derive(Debug, Clone, PartialEq)]
pub struct EsmConfig {
    /// What AWS would run with: checked when read.
    pub settings: EsmSettings,
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

/// Why the ESM refused to start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EsmConfigError {
    #[error("{0} must be longer than zero")]
    ZeroInterval(&'static str),
    #[error(transparent)]
    Arn(#[from] ArnError),
}

impl EsmConfig {
    /// `settings` with the local timing defaults ([`Self::LOCAL_RETRY_BACKOFF`]
    /// and friends).
    pub fn new(settings: EsmSettings) -> Self {
        Self {
            settings,
            retry_backoff: Self::LOCAL_RETRY_BACKOFF,
            poll_interval: Self::LOCAL_POLL_INTERVAL,
            shard_discovery_interval: Self::LOCAL_SHARD_DISCOVERY_INTERVAL,
        }
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

    /// The local knobs are free to set; a zero interval would spin on
    /// Kinesis, so it is refused. The AWS settings were checked when read.
    pub fn check_timing(&self) -> Result<(), EsmConfigError> {
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

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn read(properties: Value) -> Result<EsmSettings, EsmSettingsError> {
        EsmSettings::read(&properties)
    }

    fn refused(properties: Value) -> String {
        read(properties)
            .expect_err("settings out of range")
            .to_string()
    }

    /// Unset values take the AWS defaults: 100 records, no window, infinite
    /// retries and age, no bisect, no partial responses, one batch per shard.
    #[test]
    fn fills_in_the_aws_defaults() {
        let settings = read(json!({"StartingPosition": "TRIM_HORIZON"})).expect("valid");
        assert_eq!(settings.batch_size(), 100);
        assert_eq!(settings.maximum_batching_window(), Duration::ZERO);
        assert_eq!(settings.starting_position(), StartingPosition::TrimHorizon);
        assert_eq!(settings.maximum_retry_attempts(), None);
        assert_eq!(settings.maximum_record_age(), None);
        assert!(!settings.bisect_batch_on_function_error());
        assert!(!settings.report_batch_item_failures());
        assert_eq!(settings.parallelization_factor(), 1);
    }

    /// Every setting is carried over, numbers written as numbers or as text
    /// (template parameters are text).
    #[test]
    fn reads_every_setting() {
        let settings = read(json!({
            "BatchSize": 10_000,
            "MaximumBatchingWindowInSeconds": "300",
            "StartingPosition": "AT_TIMESTAMP",
            "StartingPositionTimestamp": 1_795_428_841.123,
            "MaximumRetryAttempts": 0,
            "MaximumRecordAgeInSeconds": 60,
            "BisectBatchOnFunctionError": true,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "ParallelizationFactor": 1,
        }))
        .expect("valid");
        assert_eq!(settings.batch_size(), 10_000);
        assert_eq!(settings.maximum_batching_window(), Duration::from_secs(300));
        assert_eq!(
            settings.starting_position(),
            StartingPosition::AtTimestamp(1_795_428_841_123)
        );
        assert_eq!(settings.maximum_retry_attempts(), Some(0));
        assert_eq!(settings.maximum_record_age(), Some(Duration::from_secs(60)));
        assert!(settings.bisect_batch_on_function_error());
        assert!(settings.report_batch_item_failures());
    }

    /// -1 means "no limit" for retries and record age, as on AWS.
    #[test]
    fn minus_one_means_unlimited() {
        let settings = read(json!({
            "StartingPosition": "LATEST",
            "MaximumRetryAttempts": -1,
            "MaximumRecordAgeInSeconds": "-1",
        }))
        .expect("valid");
        assert_eq!(settings.maximum_retry_attempts(), None);
        assert_eq!(settings.maximum_record_age(), None);
    }

    /// Values just outside the AWS ranges are refused, naming the setting,
    /// the value and the range.
    #[test]
    fn refuses_values_outside_the_aws_ranges() {
        let cases = [
            (
                json!({"BatchSize": 0}),
                "BatchSize must be between 1 and 10000, not 0",
            ),
            (
                json!({"BatchSize": 10_001}),
                "BatchSize must be between 1 and 10000, not 10001",
            ),
            (
                json!({"MaximumBatchingWindowInSeconds": 301}),
                "MaximumBatchingWindowInSeconds must be between 0 and 300, not 301",
            ),
            (
                json!({"MaximumRetryAttempts": -2}),
                "MaximumRetryAttempts must be -1 (infinite) or between 0 and 10000, not -2",
            ),
            (
                json!({"MaximumRetryAttempts": 10_001}),
                "MaximumRetryAttempts must be -1 (infinite) or between 0 and 10000, not 10001",
            ),
            (
                json!({"MaximumRecordAgeInSeconds": 59}),
                "MaximumRecordAgeInSeconds must be -1 (infinite) or between 60 and 604800, not 59",
            ),
            (
                json!({"MaximumRecordAgeInSeconds": 604_801}),
                "MaximumRecordAgeInSeconds must be -1 (infinite) or between 60 and 604800, not 604801",
            ),
            (
                json!({"ParallelizationFactor": 11}),
                "ParallelizationFactor must be between 1 and 10, not 11",
            ),
        ];
        for (mut properties, message) in cases {
            properties["StartingPosition"] = json!("TRIM_HORIZON");
            assert_eq!(refused(properties), message);
        }
    }

    /// Values of the wrong kind are refused with what was given.
    #[test]
    fn refuses_values_of_the_wrong_kind() {
        let cases = [
            (
                json!({"BatchSize": "ten"}),
                "BatchSize must be between 1 and 10000, not \"ten\"",
            ),
            (
                json!({"BatchSize": 2.5}),
                "BatchSize must be between 1 and 10000, not \"2.5\"",
            ),
            (
                json!({"BisectBatchOnFunctionError": "maybe"}),
                "BisectBatchOnFunctionError must be true or false, not \"maybe\"",
            ),
            (
                json!({"FunctionResponseTypes": "ReportBatchItemFailures"}),
                "FunctionResponseTypes must be a list holding only ReportBatchItemFailures, not \"ReportBatchItemFailures\"",
            ),
        ];
        for (mut properties, message) in cases {
            properties["StartingPosition"] = json!("TRIM_HORIZON");
            assert_eq!(refused(properties), message);
        }
    }

    /// The starting position is required and must be one AWS knows;
    /// AT_TIMESTAMP needs its timestamp.
    #[test]
    fn requires_a_known_starting_position() {
        assert_eq!(
            refused(json!({})),
            "StartingPosition is required for a stream event source mapping \
             (TRIM_HORIZON, LATEST or AT_TIMESTAMP)"
        );
        assert_eq!(
            refused(json!({"StartingPosition": "EARLIEST"})),
            "StartingPosition must be TRIM_HORIZON, LATEST or AT_TIMESTAMP, not \"EARLIEST\""
        );
        assert!(
            refused(json!({"StartingPosition": "AT_TIMESTAMP"}))
                .starts_with("StartingPositionTimestamp is required")
        );
        assert!(
            refused(json!({
                "StartingPosition": "AT_TIMESTAMP",
                "StartingPositionTimestamp": -5,
            }))
            .starts_with("StartingPositionTimestamp must be epoch seconds")
        );
    }

    /// Only ReportBatchItemFailures is a response type.
    #[test]
    fn refuses_unknown_response_types() {
        let message = refused(json!({
            "StartingPosition": "LATEST",
            "FunctionResponseTypes": ["ReportBatchItemFailure"],
        }));
        assert!(
            message.contains("not \"ReportBatchItemFailure\""),
            "{message}"
        );
    }

    /// A parallelization factor AWS accepts but the emulator cannot honour
    /// is refused with that reason.
    #[test]
    fn supports_only_one_batch_per_shard() {
        let message = refused(json!({
            "StartingPosition": "LATEST",
            "ParallelizationFactor": 2,
        }));
        assert!(message.contains("not supported locally"), "{message}");
    }

    /// Zero intervals among the local knobs are refused.
    #[test]
    fn refuses_zero_local_intervals() {
        let settings = read(json!({"StartingPosition": "LATEST"})).expect("valid");
        let mut config = EsmConfig::new(settings);
        assert_eq!(config.check_timing(), Ok(()));
        config.poll_interval = Duration::ZERO;
        assert_eq!(
            config.check_timing(),
            Err(EsmConfigError::ZeroInterval("the poll interval"))
        );
    }
}
