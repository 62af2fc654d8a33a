//! The hydrate function's settings, read once from the environment at start.

use std::time::Duration;

use streamdlq_core::dlq::SQS_MESSAGE_LIMIT;

use crate::allowlist::StreamAllowlist;

/// The smallest `MESSAGE_LIMIT_BYTES` accepted: room for the failure record,
/// the hydration summary and a useful slice of records in every part.
pub const MIN_MESSAGE_LIMIT: usize = 16 * 1024;

/// The default `DLQ_WRITE_RESERVE_MS`.
pub const DEFAULT_DLQ_WRITE_RESERVE: Duration = Duration::from_secs(10);

/// Everything the handler needs to know about its deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HydrateConfig {
    /// `DLQ_URL`: the queue that receives hydrated failures.
    pub dlq_url: String,
    /// `ALLOWED_STREAM_ARNS`: streams hydration may read.
    pub allowlist: StreamAllowlist,
    /// `MESSAGE_LIMIT_BYTES`: largest DLQ message (default and maximum 1 MiB).
    pub message_limit: usize,
    /// `DLQ_WRITE_RESERVE_MS`: time kept back from the Lambda deadline for
    /// writing the DLQ, so a slow read never costs the failure record.
    pub dlq_write_reserve: Duration,
}

/// A setting that is missing or malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HydrateConfigError {
    #[error("{0} is required")]
    Missing(&'static str),
    #[error("{name} must be {expected}, got {value:?}")]
    Invalid {
        name: &'static str,
        expected: &'static str,
        value: String,
    },
}

impl HydrateConfig {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Self, HydrateConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup`, so tests need not touch the
    /// process environment.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, HydrateConfigError> {
        let dlq_url = lookup("DLQ_URL")
            .filter(|url| !url.trim().is_empty())
            .ok_or(HydrateConfigError::Missing("DLQ_URL"))?;
        let allowlist =
            StreamAllowlist::parse(&lookup(StreamAllowlist::VARIABLE).unwrap_or_default());
        let message_limit = match lookup("MESSAGE_LIMIT_BYTES") {
            None => SQS_MESSAGE_LIMIT,
            Some(text) => text
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|limit| (MIN_MESSAGE_LIMIT..=SQS_MESSAGE_LIMIT).contains(limit))
                .ok_or(HydrateConfigError::Invalid {
                    name: "MESSAGE_LIMIT_BYTES",
                    expected: "a byte count from 16384 to 1048576",
                    value: text,
                })?,
        };
        let dlq_write_reserve = match lookup("DLQ_WRITE_RESERVE_MS") {
            None => DEFAULT_DLQ_WRITE_RESERVE,
            Some(text) => text
                .trim()
                .parse::<u64>()
                .map(Duration::from_millis)
                .map_err(|_| HydrateConfigError::Invalid {
                    name: "DLQ_WRITE_RESERVE_MS",
                    expected: "a whole number of milliseconds",
                    value: text,
                })?,
        };
        Ok(Self {
            dlq_url,
            allowlist,
            message_limit,
            dlq_write_reserve,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<HydrateConfig, HydrateConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        HydrateConfig::from_lookup(|name| vars.get(name).cloned())
    }

    /// Only DLQ_URL is required; the rest has safe defaults.
    #[test]
    fn defaults_to_the_sqs_limit_and_an_empty_allowlist() {
        let config = config(&[("DLQ_URL", "http://127.0.0.1:1/q")]).expect("valid");
        assert_eq!(config.message_limit, SQS_MESSAGE_LIMIT);
        assert!(config.allowlist.is_empty());
        assert_eq!(config.dlq_write_reserve, Duration::from_secs(10));
    }

    /// Without a DLQ there is nowhere to keep failures: refuse to start.
    #[test]
    fn requires_a_dlq_url() {
        assert_eq!(config(&[]), Err(HydrateConfigError::Missing("DLQ_URL")));
        assert_eq!(
            config(&[("DLQ_URL", " ")]),
            Err(HydrateConfigError::Missing("DLQ_URL"))
        );
    }

    /// A limit above what SQS accepts would make every large send fail.
    #[test]
    fn rejects_message_limits_sqs_would_refuse() {
        for bad in ["2000000", "100", "lots"] {
            let result = config(&[("DLQ_URL", "u"), ("MESSAGE_LIMIT_BYTES", bad)]);
            assert!(
                matches!(
                    result,
                    Err(HydrateConfigError::Invalid {
                        name: "MESSAGE_LIMIT_BYTES",
                        ..
                    })
                ),
                "{bad}"
            );
        }
        let small = config(&[("DLQ_URL", "u"), ("MESSAGE_LIMIT_BYTES", "65536")]).expect("valid");
        assert_eq!(small.message_limit, 65536);
    }
}
