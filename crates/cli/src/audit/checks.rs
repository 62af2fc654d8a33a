//! The checks: pure functions from one mapping (and the hydrate functions
//! beside it) to findings. Both sources feed them the same model, so a
//! template and a live account are judged by exactly the same rules.

use std::time::Duration;

use serde::Serialize;

use super::model::{DestinationKind, Location, ResourceInventory, StreamMapping, short_name};

/// How bad a finding is. Ordered: `Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Costs data or order in some failures; worth fixing.
    Warning,
    /// Loses data on the first failure, or blocks the shard until it does.
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

/// What a finding is about; the stable id in `--json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    NoOnFailureDestination,
    UnhydratedDestination,
    UnlimitedRetries,
    AllowlistLacksStream,
    UnboundedRecordAge,
    RecordAgeBeyondRetention,
    BisectOff,
    NoPartialBatchResponse,
    ParallelBatchesPerShard,
    ShortRetention,
    TumblingWindowWithPartialBatch,
}

impl Check {
    pub fn severity(self) -> Severity {
        match self {
            Self::NoOnFailureDestination
            | Self::UnhydratedDestination
            | Self::UnlimitedRetries
            | Self::AllowlistLacksStream => Severity::Error,
            _ => Severity::Warning,
        }
    }

    /// The id, as `--json` writes it.
    pub fn id(self) -> &'static str {
        match self {
            Self::NoOnFailureDestination => "no-on-failure-destination",
            Self::UnhydratedDestination => "unhydrated-destination",
            Self::UnlimitedRetries => "unlimited-retries",
            Self::AllowlistLacksStream => "allowlist-lacks-stream",
            Self::UnboundedRecordAge => "unbounded-record-age",
            Self::RecordAgeBeyondRetention => "record-age-beyond-retention",
            Self::BisectOff => "bisect-off",
            Self::NoPartialBatchResponse => "no-partial-batch-response",
            Self::ParallelBatchesPerShard => "parallel-batches-per-shard",
            Self::ShortRetention => "short-retention",
            Self::TumblingWindowWithPartialBatch => "tumbling-window-with-partial-batch",
        }
    }
}

/// One problem with one mapping: what, why it matters, and the fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub check: Check,
    /// The mapping, as the report names it.
    pub mapping: String,
    /// Why it matters, in one sentence.
    pub why: String,
    /// The template property to set, or the AWS CLI command to run.
    pub fix: String,
}

/// A retention that does not outlast a weekend: a failure on Friday night
/// is trimmed before anyone looks on Monday morning.
pub const WEEKEND: Duration = Duration::from_secs(72 * 3600);

/// Every finding of every mapping in `inventory`, errors first.
pub fn audit(inventory: &ResourceInventory) -> Vec<Finding> {
    let mut findings: Vec<Finding> = inventory
        .mappings
        .iter()
        .flat_map(|mapping| check_mapping(mapping, inventory))
        .collect();
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.mapping.cmp(&b.mapping))
            .then_with(|| a.check.cmp(&b.check))
    });
    findings
}

/// The findings of one mapping; `inventory` supplies the hydrate functions.
pub fn check_mapping(mapping: &StreamMapping, inventory: &ResourceInventory) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut found = |check: Check, why: String, fix: String| {
        findings.push(Finding {
            severity: check.severity(),
            check,
            mapping: mapping.label(),
            why,
            fix,
        });
    };

    match &mapping.on_failure {
        None => found(
            Check::NoOnFailureDestination,
            "a batch the mapping gives up on is skipped without a trace, and its records are lost"
                .to_owned(),
            setting(
                mapping,
                "DestinationConfig.OnFailure.Destination",
                "an SNS topic a hydrate function consumes (or an S3 bucket)",
                "--destination-config '{\"OnFailure\":{\"Destination\":\"TOPIC_ARN\"}}'",
            ),
        ),
        Some(destination) if destination.kind.is_metadata_only() => {
            let hydrators: Vec<_> = inventory.hydrators_of(&destination.target).collect();
            if hydrators.is_empty() {
                found(
                    Check::UnhydratedDestination,
                    format!(
                        "{} {} receives metadata only (shard and sequence range), so the \
                         failed records are lost once the stream trims them",
                        kind_name(destination.kind),
                        short_name(&destination.target),
                    ),
                    format!(
                        "have streamdlq's hydrate function consume {} (SNS subscription or SQS \
                         event source) with {} in its ALLOWED_STREAM_ARNS",
                        short_name(&destination.target),
                        short_name(&mapping.stream),
                    ),
                );
            }
            for hydrator in hydrators {
                let Some(allowed) = &hydrator.allowed_streams else {
                    continue;
                };
                if !allowed.iter().any(|stream| stream == &mapping.stream) {
                    found(
                        Check::AllowlistLacksStream,
                        format!(
                            "hydrate function {} rejects {} unread, so its failures reach the \
                             DLQ without their records",
                            short_name(&hydrator.function),
                            short_name(&mapping.stream),
                        ),
                        format!(
                            "add the ARN of {} to ALLOWED_STREAM_ARNS of {}",
                            short_name(&mapping.stream),
                            short_name(&hydrator.function),
                        ),
                    );
                }
            }
        }
        Some(_) => {}
    }

    if mapping.maximum_retry_attempts < 0 {
        found(
            Check::UnlimitedRetries,
            "a poison record is retried until it expires, blocking its shard for up to the \
             maximum record age"
                .to_owned(),
            setting(
                mapping,
                "MaximumRetryAttempts",
                "3",
                "--maximum-retry-attempts 3",
            ),
        );
    }

    let age = mapping.maximum_record_age_seconds;
    if age < 0 {
        found(
            Check::UnboundedRecordAge,
            "records are retried as long as the stream keeps them, so a stuck range can reach \
             OnFailure only when it is already being trimmed"
                .to_owned(),
            setting(
                mapping,
                "MaximumRecordAgeInSeconds",
                "3600",
                "--maximum-record-age-in-seconds 3600",
            ),
        );
    } else if let Some(retention) = mapping.retention
        && u64::try_from(age).unwrap_or(0) >= retention.as_secs()
    {
        found(
            Check::RecordAgeBeyondRetention,
            format!(
                "a maximum record age of {age} s does not end before the stream's {} h \
                 retention, so the range is trimmed before it reaches OnFailure",
                retention.as_secs() / 3600
            ),
            setting(
                mapping,
                "MaximumRecordAgeInSeconds",
                "3600",
                "--maximum-record-age-in-seconds 3600",
            ),
        );
    }

    if !mapping.bisect_batch_on_function_error {
        found(
            Check::BisectOff,
            "a function error fails the whole batch, so one poison record sends every record \
             of its batch to OnFailure"
                .to_owned(),
            setting(
                mapping,
                "BisectBatchOnFunctionError",
                "true",
                "--bisect-batch-on-function-error",
            ),
        );
    }

    if !mapping.report_batch_item_failures {
        found(
            Check::NoPartialBatchResponse,
            "the function cannot report which record failed, so records that succeeded are \
             retried and sent to OnFailure with the one that did not"
                .to_owned(),
            setting(
                mapping,
                "FunctionResponseTypes",
                "[ReportBatchItemFailures]",
                "--function-response-types ReportBatchItemFailures",
            ),
        );
    }

    if mapping.parallelization_factor > 1 {
        found(
            Check::ParallelBatchesPerShard,
            format!(
                "{} batches of one shard run at once: order holds per partition key only, and \
                 a failed range interleaves records of other keys",
                mapping.parallelization_factor
            ),
            setting(
                mapping,
                "ParallelizationFactor",
                "1",
                "--parallelization-factor 1",
            ),
        );
    }

    if let Some(retention) = mapping.retention
        && retention < WEEKEND
    {
        found(
            Check::ShortRetention,
            format!(
                "the stream keeps records {} h: a failure on a Friday night is trimmed before \
                 Monday, so hydration must run unattended",
                retention.as_secs() / 3600
            ),
            retention_fix(mapping),
        );
    }

    if mapping.tumbling_window_seconds.is_some() && mapping.report_batch_item_failures {
        found(
            Check::TumblingWindowWithPartialBatch,
            "with a tumbling window the function's state spans batches, and a partial batch \
             response retries records whose effect is already in that state"
                .to_owned(),
            setting(
                mapping,
                "TumblingWindowInSeconds",
                "0 (or drop ReportBatchItemFailures)",
                "--tumbling-window-in-seconds 0",
            ),
        );
    }

    findings
}

/// The fix for one mapping setting: the template property, or the CLI call.
fn setting(mapping: &StreamMapping, property: &str, value: &str, cli_arguments: &str) -> String {
    match &mapping.location {
        Location::Template { path } => format!("set {property}: {value} on {path}"),
        Location::Live { uuid } => {
            format!("aws lambda update-event-source-mapping --uuid {uuid} {cli_arguments}")
        }
    }
}

fn retention_fix(mapping: &StreamMapping) -> String {
    let hours = WEEKEND.as_secs() / 3600;
    match (&mapping.location, mapping.kind) {
        (_, super::model::StreamKind::DynamoDb) => {
            "DynamoDB Streams keep 24 h, fixed: alarm on the hydrate failure queue and the \
             retention margin so a failure is handled the same day"
                .to_owned()
        }
        (Location::Template { .. }, _) => format!(
            "set RetentionPeriodHours: {hours} (or more) on {}",
            mapping.stream
        ),
        (Location::Live { .. }, _) => format!(
            "aws kinesis increase-stream-retention-period --stream-arn {} --retention-period-hours {hours}",
            mapping.stream
        ),
    }
}

fn kind_name(kind: DestinationKind) -> &'static str {
    match kind {
        DestinationKind::Sns => "SNS topic",
        DestinationKind::Sqs => "SQS queue",
        DestinationKind::S3 => "S3 bucket",
        DestinationKind::Other => "destination",
    }
}

#[cfg(test)]
mod tests;
