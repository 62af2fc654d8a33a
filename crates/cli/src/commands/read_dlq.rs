//! `streamdlq read-dlq`: the hydrated failures in the DLQ, for people or
//! scripts, without consuming anything.

use std::io::Write as _;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use streamdlq_core::HydrationStatus;

use super::put_records::plural;
use crate::discovery::{DiscoveryArgs, Resources};
use crate::queue::{DlqQueue, FailureFilter, Inventory, ScanOptions, WholeCount, scan};
use crate::view::{TextOptions, failure_json, failure_text};

/// Show the hydrated failures in the DLQ without consuming them
///
/// Reads every message, hidden from other readers for --visibility-timeout
/// seconds, then makes them all visible again: the queue depth is the same
/// after the run. Parts and fragments are joined; payloads are shown as
/// JSON or text when they are that, base64 otherwise.
#[derive(Debug, Clone, Args)]
pub struct ReadDlqArgs {
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

    /// Show at most N failures (reading stops once N are whole)
    #[arg(long, value_name = "N")]
    pub max: Option<usize>,

    /// One hydrated failure per line as JSON, for scripts (notes go to stderr)
    #[arg(long)]
    pub json: bool,

    /// Show payloads whole instead of cut
    #[arg(long)]
    pub full: bool,

    /// Seconds the messages stay hidden from other readers while this runs
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub visibility_timeout: u64,

    /// Read at most this many messages
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub scan_limit: usize,

    #[command(flatten)]
    pub resources: DiscoveryArgs,
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

impl ReadDlqArgs {
    pub async fn run(self) -> anyhow::Result<()> {
        let resources = Resources::discover(&self.resources).await?;
        let queue = DlqQueue::new(resources.sqs_client(), resources.dlq_url()?);
        let filter = FailureFilter {
            statuses: self.status.clone(),
            stream: self.stream.clone(),
            shard: self.shard.clone(),
        };
        let output = read_dlq(&queue, &filter, &self.scan_options(), self.max).await?;
        self.print(&output, &filter)
    }

    fn scan_options(&self) -> ScanOptions {
        ScanOptions {
            visibility: Duration::from_secs(self.visibility_timeout),
            max_messages: self.scan_limit,
            ..ScanOptions::default()
        }
    }

    fn print(&self, output: &DlqContents, filter: &FailureFilter) -> anyhow::Result<()> {
        let shown: Vec<_> = output
            .inventory
            .failures
            .iter()
            .filter(|failure| filter.matches(failure))
            .take(self.max.unwrap_or(usize::MAX))
            .collect();
        let mut stdout = std::io::stdout().lock();
        for failure in &shown {
            if self.json {
                writeln!(stdout, "{}", failure_json(failure)?)?;
            } else {
                write!(
                    stdout,
                    "{}",
                    failure_text(failure, TextOptions { full: self.full })
                )?;
            }
        }
        for note in &output.inventory.notes {
            if self.json {
                eprintln!("note: {}; left in the queue", note.text);
            } else {
                writeln!(stdout, "note: {}; left in the queue", note.text)?;
            }
        }
        if !self.json {
            let total = output.inventory.failures.len();
            let mut line = format!(
                "{} {} shown",
                shown.len(),
                plural(shown.len(), "failure", "failures")
            );
            if total > shown.len() {
                line.push_str(&format!(" of {total} read"));
            }
            if output.stopped_early {
                line.push_str("; more messages may be in the queue (--max, --scan-limit)");
            }
            line.push_str(&format!(
                "; {} {} read and released, nothing consumed",
                output.messages,
                plural(output.messages, "message", "messages")
            ));
            writeln!(stdout, "{line}")?;
        }
        Ok(())
    }
}

/// What `read-dlq` read.
#[derive(Debug)]
pub struct DlqContents {
    pub inventory: Inventory,
    /// Messages received (and released).
    pub messages: usize,
    pub stopped_early: bool,
}

/// Reads the DLQ without consuming it: scans, releases every message, and
/// reads the failures back. With `max`, reading stops once `max` failures
/// that pass `filter` are whole.
pub async fn read_dlq(
    queue: &DlqQueue,
    filter: &FailureFilter,
    options: &ScanOptions,
    max: Option<usize>,
) -> anyhow::Result<DlqContents> {
    queue.depth().await?;
    let mut whole = WholeCount::default();
    let scanned = scan(queue, options, |message| {
        filter.matches_attributes(message) && max.is_some_and(|max| whole.add(&message.body) >= max)
    })
    .await?;
    let failed = queue
        .release(&scanned.receipt_handles())
        .await
        .context("cannot make the read messages visible again; they reappear when their visibility timeout ends")?;
    for entry in failed {
        tracing::warn!(reason = %entry.reason, "a message could not be released; it reappears when its visibility timeout ends");
    }
    Ok(DlqContents {
        inventory: Inventory::build(&scanned.messages),
        messages: scanned.messages.len(),
        stopped_early: scanned.stopped_early,
    })
}
