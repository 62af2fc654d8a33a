//! `streamdlq audit`: checks stream event source mappings for the settings
//! that lose records, and exits non-zero when it finds any at or above
//! `--fail-on`, so that CI can run it.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use aws_config::{BehaviorVersion, Region};
use clap::Args;

use crate::audit::live::LiveSource;
use crate::audit::report::AuditReport;
use crate::audit::template::load_template;
use crate::audit::{Severity, audit};

/// Check Kinesis and DynamoDB Streams event source mappings for settings
/// that lose records
///
/// Reads a SAM or CloudFormation template offline (--template), or the
/// mappings the Lambda API lists (every one in the region, or those of
/// --stack). Finds: no OnFailure destination; an SNS/SQS destination nothing
/// hydrates (it receives metadata only); retries without limit; a hydrate
/// function that may not read the mapping's stream (errors); and, as
/// warnings, record ages that outlive the retention, bisect or partial batch
/// responses off, more than one batch per shard, a retention shorter than a
/// weekend, and tumbling windows with partial batch responses.
///
/// Exit code 0 when clean, 1 with findings at or above --fail-on, 2 on error.
#[derive(Debug, Clone, Args)]
pub struct AuditArgs {
    /// Audit this SAM or CloudFormation template instead of an account
    #[arg(long, value_name = "PATH", conflicts_with = "stack")]
    pub template: Option<PathBuf>,

    /// Audit only this CloudFormation stack's mappings (else every mapping
    /// the Lambda API lists)
    #[arg(long, env = "STREAMDLQ_STACK", value_name = "NAME")]
    pub stack: Option<String>,

    /// Exit with 1 when a finding is at least this severe
    #[arg(long, value_enum, value_name = "SEVERITY", default_value = "error")]
    pub fail_on: Severity,

    /// The report as one JSON object, for machines
    #[arg(long)]
    pub json: bool,

    /// AWS region (else the standard AWS configuration)
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// AWS named profile (else AWS_PROFILE)
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
}

impl AuditArgs {
    /// Runs the audit; the exit code says whether findings reached `--fail-on`.
    pub async fn run(self) -> anyhow::Result<ExitCode> {
        let (source, inventory) = match &self.template {
            Some(path) => (path.display().to_string(), load_template(path)?),
            None => {
                let config = self.sdk_config().await;
                let source = match &self.stack {
                    Some(stack) => format!("stack {stack}"),
                    None => "aws".to_owned(),
                };
                let inventory = LiveSource::new(&config).read(self.stack.as_deref()).await?;
                (source, inventory)
            }
        };
        let findings = audit(&inventory);
        let report = AuditReport::new(&source, &inventory, &findings);
        let mut stdout = std::io::stdout().lock();
        if self.json {
            writeln!(stdout, "{}", serde_json::to_string(&report)?)?;
        } else {
            write!(stdout, "{}", report.text())?;
        }
        let failing = findings
            .iter()
            .any(|finding| finding.severity >= self.fail_on);
        Ok(if failing {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        })
    }

    /// The standard AWS configuration (`AWS_REGION`, `AWS_PROFILE`,
    /// `AWS_ENDPOINT_URL`, …), with `--region` and `--profile` on top.
    async fn sdk_config(&self) -> aws_config::SdkConfig {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(region) = &self.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(profile) = &self.profile {
            loader = loader.profile_name(profile);
        }
        loader.load().await
    }
}
