//! What `delete` and `move` share: the DLQ hidden while the command works,
//! the failures chosen by the filter flags, and the report of what was done
//! to each.

use std::time::Duration;

use serde::Serialize;

use super::filter_args::FilterArgs;
use crate::aws_error;
use crate::discovery::{DiscoveryArgs, Resources};
use crate::queue::{DlqQueue, FailureEntry, ScanOptions};
use crate::replay::ReplaySession;
use crate::view::{human, style};

/// How long the scanned messages stay hidden: long enough for a person to
/// answer the question before anything is deleted.
pub const ACTION_VISIBILITY: Duration = Duration::from_secs(600);

/// The DLQ, scanned and hidden, and the resources it came from.
pub async fn open(
    resources: &DiscoveryArgs,
    scan_limit: usize,
) -> anyhow::Result<(Resources, ReplaySession)> {
    let resources = Resources::discover(resources).await?;
    aws_error::ensure_reachable(&resources.sqs_config, "SQS")?;
    let queue = DlqQueue::new(resources.sqs_client(), resources.dlq_url()?);
    queue.depth().await?;
    let options = ScanOptions {
        visibility: ACTION_VISIBILITY,
        max_messages: scan_limit,
        ..ScanOptions::default()
    };
    let session = ReplaySession::open(queue, &options).await?;
    Ok((resources, session))
}

/// Refuses a command that would act on every failure without `--all`: a
/// filter flag or `--all` must say which failures.
pub fn require_choice(filter: &FilterArgs, all: bool, verb: Verb) -> anyhow::Result<()> {
    if filter.filter() == Default::default() && filter.max.is_none() && !all {
        anyhow::bail!(
            "which failures? pass --id, --status, --stream, --shard or --max, or --all to \
             {} every failure in the DLQ",
            verb.base
        );
    }
    Ok(())
}

/// The chosen failures of a session; an id that names no failure or more
/// than one stops the command before anything changes.
pub fn choose<'a>(
    session: &'a ReplaySession,
    filter: &FilterArgs,
) -> anyhow::Result<Vec<&'a FailureEntry>> {
    filter.choose(&session.inventory().failures)
}

/// One failure a command acted on (or would, in a dry run).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Acted {
    pub id: String,
    pub status: String,
    pub records: usize,
    pub messages: usize,
}

impl Acted {
    pub fn of(failure: &FailureEntry) -> Self {
        Self {
            id: failure.hydrated.id.clone(),
            status: failure.status().to_string(),
            records: failure.hydrated.records.len(),
            messages: failure.messages.len(),
        }
    }

    /// `failure 3f2a9c1b7d0e (rejected, 0 records, 1 message)`.
    pub fn describe(&self) -> String {
        let short = self
            .id
            .get(..crate::view::text::SHORT_ID)
            .unwrap_or(&self.id);
        format!(
            "failure {short} ({}, {}, {})",
            self.status,
            human::count(self.records, "record", "records"),
            human::count(self.messages, "message", "messages")
        )
    }
}

/// What `delete` or `move` did, as `--json` prints it.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionSummary {
    pub dry_run: bool,
    pub queue: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_queue: Option<String>,
    /// Failures done (or planned, in a dry run).
    pub failures: Vec<Acted>,
    /// Messages deleted from the DLQ.
    pub deleted_messages: usize,
    /// Messages copied to the other queue (`move`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent_messages: Option<usize>,
    /// Failures left in the DLQ because a step failed, and why.
    pub left: Vec<Left>,
    /// Messages of the queue that are not whole failures, untouched.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Left {
    pub id: String,
    pub reason: String,
}

impl ActionSummary {
    /// The plan for `chosen`: every chosen failure, nothing done yet, and
    /// the session's notes on messages that are not whole failures.
    pub fn planned(session: &ReplaySession, chosen: &[&FailureEntry], dry_run: bool) -> Self {
        Self {
            dry_run,
            queue: session.queue().url().to_owned(),
            failures: chosen.iter().map(|failure| Acted::of(failure)).collect(),
            notes: session
                .inventory()
                .notes
                .iter()
                .map(|note| note.text.clone())
                .collect(),
            ..Self::default()
        }
    }

    /// Prints the summary: one JSON object with `json`, else lines for
    /// people, `verb` (`delete`, `move`) in its forms.
    pub fn print(&self, json: bool, verb: Verb) -> anyhow::Result<()> {
        if json {
            println!("{}", serde_json::to_string(self)?);
            return Ok(());
        }
        let done = if self.dry_run {
            format!("would {}", verb.base)
        } else {
            verb.past.to_owned()
        };
        for failure in &self.failures {
            anstream::println!("{done} {}", failure.describe());
        }
        for left in &self.left {
            anstream::println!(
                "{}",
                style::warning(&format!(
                    "left failure {} in the DLQ: {}",
                    left.id, left.reason
                ))
            );
        }
        for note in &self.notes {
            anstream::println!(
                "{}",
                style::warning(&format!("note: {note}; left in the queue"))
            );
        }
        let messages: usize = self.failures.iter().map(|f| f.messages).sum();
        if self.failures.is_empty() {
            anstream::println!("no failure matches: nothing to {}", verb.base);
            return Ok(());
        }
        let mut line = format!(
            "{done} {} ({})",
            human::count(self.failures.len(), "failure", "failures"),
            human::count(messages, "message", "messages")
        );
        if let Some(to) = &self.to_queue {
            line.push_str(&format!(" to {to}"));
            if !self.dry_run {
                line.push_str(&format!(
                    "; {} deleted from the DLQ",
                    human::count(self.deleted_messages, "message", "messages")
                ));
            }
        }
        anstream::println!("{line}");
        Ok(())
    }
}

/// A verb's forms, for the summary.
#[derive(Debug, Clone, Copy)]
pub struct Verb {
    pub base: &'static str,
    pub past: &'static str,
}

/// Receipt handles of the chosen failures, all parts.
pub fn handles_of<'a>(failures: &[&'a FailureEntry]) -> Vec<&'a str> {
    failures
        .iter()
        .flat_map(|failure| failure.receipt_handles())
        .collect()
}
