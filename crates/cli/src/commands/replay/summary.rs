//! What `replay` reports: the summary (text or JSON), and the plan a dry
//! run shows.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::commands::put_records::plural;
use crate::put::{CallLimits, count_calls};
use crate::queue::FailureEntry;
use crate::replay::function::event_source;
use crate::replay::stream::{Target, entries_of, plan};
use crate::replay::{FunctionReplayOptions, Selection};

/// The summary, as `--json` prints it.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub dry_run: bool,
    /// `stream` or `function`.
    pub target: &'static str,
    /// The stream(s) or function written to.
    pub destinations: Vec<String>,
    pub failures: usize,
    pub records: usize,
    pub bytes: usize,
    pub calls: usize,
    pub retries: usize,
    pub out_of_order: usize,
    pub invocations: usize,
    pub deleted_messages: usize,
    pub kept: Vec<Kept>,
    pub skipped: BTreeMap<String, usize>,
    pub notes: Vec<String>,
    /// `--dry-run`: the failures that would be replayed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub planned: Vec<Planned>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Planned {
    pub id: String,
    pub status: String,
    pub records: usize,
    pub shard_id: Option<String>,
    pub destination: String,
}

#[derive(Debug, Serialize)]
pub struct Kept {
    pub id: String,
    pub reason: String,
}

impl Summary {
    /// Prints the summary: one JSON object with `json`, else lines for people.
    pub fn print(&self, json: bool) -> anyhow::Result<()> {
        let summary = self;
        if json {
            println!("{}", serde_json::to_string(summary)?);
            return Ok(());
        }
        for planned in &summary.planned {
            println!(
                "would replay failure {} ({}, {} records of {}) to {}",
                planned.id,
                planned.status,
                planned.records,
                planned.shard_id.as_deref().unwrap_or("?"),
                planned.destination
            );
        }
        let verb = if summary.dry_run {
            "would replay"
        } else {
            "replayed"
        };
        let to = summary.destinations.join(", ");
        let mut line = format!(
            "{verb} {} {} ({} {}) to {} {}",
            summary.failures,
            plural(summary.failures, "failure", "failures"),
            summary.records,
            plural(summary.records, "record", "records"),
            summary.target,
            if to.is_empty() { "-" } else { &to },
        );
        if summary.target == "stream" {
            line.push_str(&format!(
                ": {} PutRecords {}, {} {}",
                summary.calls,
                plural(summary.calls, "call", "calls"),
                summary.retries,
                plural(summary.retries, "retry", "retries"),
            ));
        } else {
            line.push_str(&format!(
                ": {} {}",
                summary.invocations,
                plural(summary.invocations, "invocation", "invocations")
            ));
        }
        let verb = if summary.dry_run {
            "would delete"
        } else {
            "deleted"
        };
        line.push_str(&format!(
            "; {verb} {} DLQ {}",
            summary.deleted_messages,
            plural(summary.deleted_messages, "message", "messages")
        ));
        println!("{line}");
        if summary.out_of_order > 0 {
            println!(
                "  {} records were accepted ahead of an earlier record of their partition key \
                 that Kinesis failed in the same call (use --strict-order to rule this out)",
                summary.out_of_order
            );
        }
        for kept in &summary.kept {
            println!("kept failure {}: {}", kept.id, kept.reason);
        }
        if !summary.skipped.is_empty() {
            let parts: Vec<String> = summary
                .skipped
                .iter()
                .map(|(reason, count)| format!("{count} {reason}"))
                .collect();
            println!("left in the queue: {}", parts.join(", "));
        }
        for note in &summary.notes {
            println!("note: {note}; left in the queue");
        }
        Ok(())
    }
}

pub fn dry_run_streams(
    selection: &Selection<'_>,
    target: &Target,
    strict: bool,
    summary: &mut Summary,
) {
    let limits = CallLimits::default();
    for (stream, members) in plan(&selection.chosen, target) {
        let (entries, _) = entries_of(&selection.chosen, &members);
        summary.destinations.push(stream.name().to_owned());
        summary.records += entries.len();
        summary.bytes += entries.iter().map(|entry| entry.data.len()).sum::<usize>();
        summary.calls += count_calls(&entries, limits, strict);
        summary.failures += members.len();
        summary.deleted_messages += members
            .iter()
            .map(|&m| selection.chosen[m].messages.len())
            .sum::<usize>();
        for &member in &members {
            plan_failure(selection.chosen[member], stream.name(), summary);
        }
    }
}

pub fn dry_run_function(
    selection: &Selection<'_>,
    options: &FunctionReplayOptions,
    summary: &mut Summary,
) {
    for failure in &selection.chosen {
        let (Some(stream_arn), Some(shard_id)) = (failure.stream_arn(), failure.shard_id()) else {
            continue;
        };
        let events = event_source(stream_arn, options)
            .events(
                shard_id,
                &failure.hydrated.records,
                options.max_records,
                options.max_bytes,
            )
            .len();
        summary.invocations += events;
        summary.failures += 1;
        summary.records += failure.hydrated.records.len();
        summary.deleted_messages += failure.messages.len();
        let destination = summary.destinations.join(", ");
        plan_failure(failure, &destination, summary);
    }
}

/// Notes a failure a dry run would replay.
fn plan_failure(failure: &FailureEntry, destination: &str, summary: &mut Summary) {
    summary.planned.push(Planned {
        id: failure.hydrated.id.clone(),
        status: failure.status().to_string(),
        records: failure.hydrated.records.len(),
        shard_id: failure.shard_id().map(str::to_owned),
        destination: destination.to_owned(),
    });
}
