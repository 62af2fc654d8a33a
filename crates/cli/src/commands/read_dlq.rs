//! `streamdlq read-dlq`: the hydrated failures in the DLQ, for people or
//! scripts, without consuming anything.

use std::io::Write as _;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;

use super::filter_args::FilterArgs;
use crate::aws_error;
use crate::discovery::{DiscoveryArgs, Resources};
use crate::queue::{DlqInventory, DlqQueue, FailureFilter, ScanOptions, WholeCount, scan};
use crate::view::{Retention, TextOptions, failure_json, failure_text, human, style};

/// Show the hydrated failures in the DLQ without consuming them
///
/// Reads every message, hidden from other readers for --visibility-timeout
/// seconds, then makes them all visible again: the queue depth is the same
/// after the run. Parts and fragments are joined; payloads are shown as
/// JSON or text when they are that (as sent), base64 otherwise. The record
/// that made the batch fail is marked where the failure record tells it, and
/// each failure says when SQS retention drops it.
#[derive(Debug, Clone, Args)]
pub struct ReadDlqArgs {
    #[command(flatten)]
    pub filter: FilterArgs,

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

impl ReadDlqArgs {
    pub async fn run(self) -> anyhow::Result<()> {
        let resources = Resources::discover(&self.resources).await?;
        aws_error::ensure_reachable(&resources.sqs_config, "SQS")?;
        let queue = DlqQueue::new(resources.sqs_client(), resources.dlq_url()?);
        let filter = self.filter.filter();
        let output = read_dlq(&queue, &filter, &self.scan_options(), self.filter.max).await?;
        let retention = queue.retention().await?.map(|period| Retention {
            period,
            now_millis: now_millis(),
        });
        self.print(&output, &filter, retention)
    }

    fn scan_options(&self) -> ScanOptions {
        ScanOptions {
            visibility: Duration::from_secs(self.visibility_timeout),
            max_messages: self.scan_limit,
            ..ScanOptions::default()
        }
    }

    fn print(
        &self,
        output: &DlqContents,
        filter: &FailureFilter,
        retention: Option<Retention>,
    ) -> anyhow::Result<()> {
        let shown: Vec<_> = output
            .inventory
            .failures
            .iter()
            .filter(|failure| filter.matches(failure))
            .take(self.filter.max.unwrap_or(usize::MAX))
            .collect();
        let mut stdout = anstream::stdout().lock();
        for failure in &shown {
            if self.json {
                writeln!(stdout, "{}", failure_json(failure, retention)?)?;
            } else {
                let options = TextOptions {
                    full: self.full,
                    retention,
                };
                write!(stdout, "{}", failure_text(failure, options))?;
            }
        }
        for note in &output.inventory.notes {
            let line = format!("note: {}; left in the queue", note.text);
            if self.json {
                anstream::eprintln!("{}", style::warning(&line));
            } else {
                writeln!(stdout, "{}", style::warning(&line))?;
            }
        }
        if !self.json {
            let total = output.inventory.failures.len();
            let mut line = format!("{} shown", human::count(shown.len(), "failure", "failures"));
            if total > shown.len() {
                line.push_str(&format!(" of {total} read"));
            }
            if output.stopped_early {
                line.push_str("; more messages may be in the queue (--max, --scan-limit)");
            }
            line.push_str(&format!(
                "; {} read and released, nothing consumed",
                human::count(output.messages, "message", "messages")
            ));
            writeln!(stdout, "{line}")?;
        }
        Ok(())
    }
}

/// Milliseconds since the epoch, now.
pub(crate) fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64)
}

/// What `read-dlq` read.
#[derive(Debug)]
pub struct DlqContents {
    pub inventory: DlqInventory,
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
        inventory: DlqInventory::build(&scanned.messages),
        messages: scanned.messages.len(),
        stopped_early: scanned.stopped_early,
    })
}
