//! [`FilterArgs`]: which failures a command works on, the same flags for
//! `read-dlq`, `replay`, `delete`, `move` and `export`.

use anyhow::bail;
use clap::Args;
use streamdlq_core::HydrationStatus;

use crate::queue::filter::MIN_ID_PREFIX;
use crate::queue::{FailureEntry, FailureFilter};

/// The filter flags every DLQ command takes.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Which failures")]
pub struct FilterArgs {
    /// Only failures with these hydration statuses (complete, partial,
    /// unavailable, rejected, unparseable; comma-separated)
    #[arg(long, value_name = "STATUS", value_delimiter = ',', value_parser = parse_status)]
    pub status: Vec<HydrationStatus>,

    /// Only failures of this stream (name or ARN)
    #[arg(long, value_name = "NAME|ARN")]
    pub stream: Option<String>,

    /// Only failures of this shard (e.g. shardId-000000000000)
    #[arg(long, value_name = "SHARD_ID")]
    pub shard: Option<String>,

    /// Only these failures: ids, or their first 8 or more characters as
    /// read-dlq shows them (comma-separated or repeated)
    #[arg(long, value_name = "ID", value_delimiter = ',', value_parser = parse_id)]
    pub id: Vec<String>,

    /// Only failures whose range held more records than their batchSize
    /// (ParallelizationFactor > 1 or event filtering): they carry records
    /// other batches processed, which a replay delivers again
    #[arg(long)]
    pub wider_range: bool,

    /// At most N failures (reading stops once N are whole; replay takes each
    /// shard's earliest first)
    #[arg(long, value_name = "N", value_parser = parse_max)]
    pub max: Option<usize>,
}

impl FilterArgs {
    pub fn filter(&self) -> FailureFilter {
        FailureFilter {
            statuses: self.status.clone(),
            stream: self.stream.clone(),
            shard: self.shard.clone(),
            ids: self.id.clone(),
            wider_range: self.wider_range,
        }
    }

    /// The failures that pass, at most `--max`, after checking that every
    /// `--id` names exactly one failure: a command that deletes or moves
    /// must not act on a typo or on two failures that share a prefix.
    pub fn choose<'a>(
        &self,
        failures: &'a [FailureEntry],
    ) -> anyhow::Result<Vec<&'a FailureEntry>> {
        for wanted in &self.id {
            let matching = failures
                .iter()
                .filter(|failure| failure.hydrated.id.starts_with(wanted.as_str()))
                .count();
            match matching {
                0 => bail!(
                    "no whole failure with id {wanted} in the DLQ: `streamdlq read-dlq` lists them"
                ),
                1 => {}
                n => bail!("id {wanted} is the start of {n} failures' ids: give more of it"),
            }
        }
        let filter = self.filter();
        Ok(failures
            .iter()
            .filter(|failure| filter.matches(failure))
            .take(self.max.unwrap_or(usize::MAX))
            .collect())
    }
}

pub(crate) fn parse_status(text: &str) -> Result<HydrationStatus, String> {
    serde_json::from_value(serde_json::Value::String(text.trim().to_ascii_lowercase())).map_err(
        |_| {
            format!(
                "{text:?} is not a status: complete, partial, unavailable, rejected or unparseable"
            )
        },
    )
}

fn parse_id(text: &str) -> Result<String, String> {
    let id = text.trim().to_ascii_lowercase();
    if id.len() < MIN_ID_PREFIX || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "{text:?} is not a failure id: 64 hex digits, or at least the first {MIN_ID_PREFIX}"
        ));
    }
    Ok(id)
}

fn parse_max(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("0 failures would do nothing: give 1 or more".to_owned()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("{text:?} is not a number of failures")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ids are hex, at least 8 characters; --max 0 is refused.
    #[test]
    fn refuses_short_ids_and_zero_max() {
        assert_eq!(parse_id("3F2A9C1B").as_deref(), Ok("3f2a9c1b"));
        assert!(parse_id("3f2a9c").is_err());
        assert!(parse_id("3f2a9c1z").is_err());
        assert!(parse_max("0").is_err());
        assert_eq!(parse_max("2"), Ok(2));
    }
}
