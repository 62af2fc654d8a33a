//! `streamdlq export`: chosen failures as files, for a bug report or a
//! notebook, without consuming anything.
//!
//! Layout of `--out DIR`, one directory per failure:
//!
//! ```text
//! DIR/<failure id>/failure.json        the failure as `read-dlq --json` prints it
//! DIR/<failure id>/<sequence number>   each record's exact bytes
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Args;
use serde::Serialize;

use super::filter_args::FilterArgs;
use super::read_dlq::{now_millis, read_dlq};
use crate::aws_error;
use crate::discovery::{DiscoveryArgs, Resources};
use crate::queue::{DlqQueue, FailureEntry, ScanOptions};
use crate::view::{Retention, failure_json, human, style};

/// Write failures to files: one JSON file each, and every record's exact
/// bytes in a file named by its sequence number
///
/// Reads like read-dlq, without consuming: the queue depth is the same
/// after the run. Choose failures with --id, --status, --stream, --shard
/// and --max.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// Directory to write to (created if missing); each failure gets a
    /// directory named by its id
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    #[command(flatten)]
    pub filter: FilterArgs,

    /// Show what would be written, and write nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Print the summary as JSON
    #[arg(long)]
    pub json: bool,

    /// Seconds the messages stay hidden from other readers while this runs
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub visibility_timeout: u64,

    /// Read at most this many messages
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub scan_limit: usize,

    #[command(flatten)]
    pub resources: DiscoveryArgs,
}

/// The summary, as `--json` prints it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ExportSummary {
    dry_run: bool,
    out: PathBuf,
    failures: Vec<Exported>,
    records: usize,
    bytes: usize,
    /// Messages read and released: nothing is consumed.
    messages: usize,
    notes: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Exported {
    id: String,
    status: String,
    records: usize,
    dir: PathBuf,
}

impl ExportArgs {
    pub async fn run(self) -> anyhow::Result<()> {
        if self.out.exists() && !self.out.is_dir() {
            bail!("--out {} is a file: name a directory", self.out.display());
        }
        let resources = Resources::discover(&self.resources).await?;
        aws_error::ensure_reachable(&resources.sqs_config, "SQS")?;
        let queue = DlqQueue::new(resources.sqs_client(), resources.dlq_url()?);
        let options = ScanOptions {
            visibility: Duration::from_secs(self.visibility_timeout),
            max_messages: self.scan_limit,
            ..ScanOptions::default()
        };
        let filter = self.filter.filter();
        let contents = read_dlq(&queue, &filter, &options, self.filter.max).await?;
        let retention = queue.retention().await?.map(|period| Retention {
            period,
            now_millis: now_millis(),
        });
        let chosen = self.filter.choose(&contents.inventory.failures)?;
        let mut summary = ExportSummary {
            dry_run: self.dry_run,
            out: self.out.clone(),
            failures: Vec::new(),
            records: 0,
            bytes: 0,
            messages: contents.messages,
            notes: contents
                .inventory
                .notes
                .iter()
                .map(|note| note.text.clone())
                .collect(),
        };
        for failure in chosen {
            let dir = self.out.join(&failure.hydrated.id);
            if !self.dry_run {
                write_failure(&dir, failure, retention)?;
            }
            summary.records += failure.hydrated.records.len();
            summary.bytes += failure
                .hydrated
                .records
                .iter()
                .map(|record| record.data.len())
                .sum::<usize>();
            summary.failures.push(Exported {
                id: failure.hydrated.id.clone(),
                status: failure.status().to_string(),
                records: failure.hydrated.records.len(),
                dir,
            });
        }
        self.print(&summary)
    }

    fn print(&self, summary: &ExportSummary) -> anyhow::Result<()> {
        if self.json {
            println!("{}", serde_json::to_string(summary)?);
            return Ok(());
        }
        let verb = if self.dry_run {
            "would export"
        } else {
            "exported"
        };
        for failure in &summary.failures {
            anstream::println!(
                "{verb} failure {} ({}, {}) to {}",
                failure
                    .id
                    .get(..crate::view::text::SHORT_ID)
                    .unwrap_or(&failure.id),
                failure.status,
                human::count(failure.records, "record", "records"),
                failure.dir.display()
            );
        }
        for note in &summary.notes {
            anstream::println!(
                "{}",
                style::warning(&format!("note: {note}; not exported, left in the queue"))
            );
        }
        if summary.failures.is_empty() {
            anstream::println!("no failure matches: nothing to export");
        } else {
            anstream::println!(
                "{verb} {} ({}, {}) to {}",
                human::count(summary.failures.len(), "failure", "failures"),
                human::count(summary.records, "record", "records"),
                human::size(summary.bytes),
                summary.out.display()
            );
        }
        anstream::println!(
            "{} read and released, nothing consumed",
            human::count(summary.messages, "message", "messages")
        );
        Ok(())
    }
}

/// Writes one failure's directory: `failure.json` and a file per record.
fn write_failure(
    dir: &Path,
    failure: &FailureEntry,
    retention: Option<Retention>,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let json = failure_json(failure, retention)? + "\n";
    let path = dir.join("failure.json");
    std::fs::write(&path, json).with_context(|| format!("cannot write {}", path.display()))?;
    for record in &failure.hydrated.records {
        let path = dir.join(record.sequence_number.as_str());
        std::fs::write(&path, &record.data)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}
