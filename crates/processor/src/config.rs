//! [`ProcessorConfig`]: the processor's settings, read once from the environment at
//! cold start.

use std::fmt;
use std::str::FromStr;

/// Environment variable that selects the [`SchemaMode`].
pub const SCHEMA_MODE_ENV: &str = "PROCESSOR_SCHEMA_MODE";

/// How strictly records are held to the element schema.
///
/// `strict` (the default) treats a record that breaks the schema as poison:
/// it is reported, the shard stops there, and after the retries the event
/// source mapping hands it to the OnFailure destination and so to the DLQ.
///
/// `lenient` is the fix for the producer bug behind the demo's poison pill
/// (numbers sent as JSON strings, `"AtomicMass": "10.811"`): it reads such
/// numbers, so replaying the DLQ through a processor switched to `lenient`
/// processes those records. It skips nothing: records that are not UTF-8 or
/// not JSON, or that miss fields, are still poison and still end up in the
/// DLQ rather than being dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SchemaMode {
    #[default]
    Strict,
    Lenient,
}

/// The processor's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProcessorConfig {
    pub schema_mode: SchemaMode,
}

/// A setting with a value the processor does not understand. Failing the
/// cold start is deliberate: a typo must not silently fall back to a mode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{SCHEMA_MODE_ENV} must be `strict` or `lenient`, not {0:?}")]
pub struct ProcessorConfigError(String);

impl ProcessorConfig {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ProcessorConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (a variable name to its
    /// value), so that it can be tested without touching the environment.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ProcessorConfigError> {
        let schema_mode = match lookup(SCHEMA_MODE_ENV) {
            Some(value) if !value.trim().is_empty() => value.parse()?,
            _ => SchemaMode::default(),
        };
        Ok(Self { schema_mode })
    }
}

impl SchemaMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Strict => "strict",
            Self::Lenient => "lenient",
        }
    }
}

impl FromStr for SchemaMode {
    type Err = ProcessorConfigError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "strict" => Ok(Self::Strict),
            "lenient" => Ok(Self::Lenient),
            _ => Err(ProcessorConfigError(text.to_owned())),
        }
    }
}

impl fmt::Display for SchemaMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(value: Option<&str>) -> Result<ProcessorConfig, ProcessorConfigError> {
        ProcessorConfig::from_lookup(|name| {
            assert_eq!(name, SCHEMA_MODE_ENV);
            value.map(str::to_owned)
        })
    }

    /// Without the variable (or with it empty) records are held strictly.
    #[test]
    fn defaults_to_strict() {
        assert_eq!(config(None).map(|c| c.schema_mode), Ok(SchemaMode::Strict));
        assert_eq!(
            config(Some("")).map(|c| c.schema_mode),
            Ok(SchemaMode::Strict)
        );
    }

    /// Both modes are read, whatever their case.
    #[test]
    fn reads_both_modes() {
        assert_eq!(
            config(Some("lenient")).map(|c| c.schema_mode),
            Ok(SchemaMode::Lenient)
        );
        assert_eq!(
            config(Some(" Strict ")).map(|c| c.schema_mode),
            Ok(SchemaMode::Strict)
        );
    }

    /// A typo fails loudly instead of picking a mode.
    #[test]
    fn rejects_unknown_modes() {
        let error = config(Some("accept")).expect_err("unknown mode");
        assert_eq!(
            error.to_string(),
            "PROCESSOR_SCHEMA_MODE must be `strict` or `lenient`, not \"accept\""
        );
    }
}
