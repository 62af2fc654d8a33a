//! What `replay` reports: the summary (text or JSON), and the plan a dry
//! run shows.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::put::{CallLimits, count_calls};
use crate::queue::FailureEntry;
use crate::replay::function::failure_events;
use crate::replay::stream::{Target, entries_of, plan};
use crate::replay::{FunctionReplayOptions, Selection};
use crate::view::text::SHORT_ID;
use crate::view::{human, style};

/// The summary, as `--json` prints it.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplaySummary {
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
    /// A function dry run: the messages deleted if the function processes
    /// every failure. Only its answers decide, so nothing is promised.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletable_messages: Option<usize>,
    pub kept: Vec<Kept>,
    pub skipped: BTreeMap<String, usize>,
    pub notes: Vec<String>,
    /// What a replay delivers beyond the failed records: failures whose
    /// range was wider than its batch carry records other batches
    /// processed, delivered again.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub redelivered: Vec<String>,
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

impl ReplaySummary {
    /// Prints the summary: one JSON object with `json`, else lines for people.
    pub fn print(&self, json: bool) -> anyhow::Result<()> {
        let summary = self;
        if json {
            println!("{}", serde_json::to_string(&summary.json()?)?);
            return Ok(());
        }
        for planned in &summary.planned {
            println!(
                "would replay failure {} ({}, {} of {}) to {}",
                planned.id.get(..SHORT_ID).unwrap_or(&planned.id),
                planned.status,
                human::count(planned.records, "record", "records"),
                planned.shard_id.as_deref().unwrap_or("?"),
                planned.destination
            );
        }
        if summary.failures == 0 && summary.kept.is_empty() && summary.invocations == 0 {
            let what = if summary.dry_run {
                "nothing would be replayed"
            } else {
                "nothing replayed"
            };
            println!("{what}: no failure in the DLQ can be replayed with these flags");
            summary.print_left();
            return Ok(());
        }
        let verb = if summary.dry_run {
            "would replay"
        } else {
            "replayed"
        };
        let to = summary.destinations.join(", ");
        let mut line = format!(
            "{verb} {} ({}) to {} {to}",
            human::count(summary.failures, "failure", "failures"),
            human::count(summary.records, "record", "records"),
            summary.target,
        );
        if summary.target == "stream" {
            line.push_str(&format!(
                ": {}, {}, {}",
                human::size(summary.bytes),
                human::count(summary.calls, "PutRecords call", "PutRecords calls"),
                human::count(summary.retries, "retry", "retries"),
            ));
        } else {
            line.push_str(&format!(
                ": {}",
                human::count(summary.invocations, "invocation", "invocations")
            ));
        }
        match summary.deletable_messages {
            Some(at_most) => line.push_str(&format!(
                "; the function's answers decide which DLQ messages are deleted (at most {})",
                at_most
            )),
            None => line.push_str(&format!(
                "; {} {}",
                if summary.dry_run {
                    "would delete"
                } else {
                    "deleted"
                },
                human::count(summary.deleted_messages, "DLQ message", "DLQ messages")
            )),
        }
        anstream::println!("{line}");
        if summary.out_of_order > 0 {
            println!(
                "  {} accepted ahead of an earlier record of their partition key \
                 that Kinesis failed in the same call (use --strict-order to rule this out)",
                human::count(summary.out_of_order, "record was", "records were"),
            );
        }
        for kept in &summary.kept {
            anstream::println!(
                "{}",
                style::warning(&format!("kept failure {}: {}", kept.id, kept.reason))
            );
        }
        for note in &summary.redelivered {
            anstream::println!("{}", style::warning(&format!("note: {note}")));
        }
        summary.print_left();
        Ok(())
    }

    /// The summary as `--json` prints it: only the counts that mean
    /// something for the target (no `bytes` or `calls` for a function, no
    /// `invocations` for a stream).
    pub fn json(&self) -> serde_json::Result<serde_json::Value> {
        let mut value = serde_json::to_value(self)?;
        if let Some(object) = value.as_object_mut() {
            let other = if self.target == "function" {
                &["bytes", "calls", "retries", "outOfOrder"][..]
            } else {
                &["invocations", "kept"][..]
            };
            for key in other {
                object.remove(*key);
            }
        }
        Ok(value)
    }

    /// What stays in the queue, and why.
    fn print_left(&self) {
        let summary = self;
        if !summary.skipped.is_empty() {
            let parts: Vec<String> = summary
                .skipped
                .iter()
                .map(|(reason, count)| format!("{count} {reason}"))
                .collect();
            println!("left in the queue: {}", parts.join(", "));
        }
        for note in &summary.notes {
            anstream::println!(
                "{}",
                style::warning(&format!("note: {note}; left in the queue"))
            );
        }
    }
}

pub fn dry_run_streams(
    selection: &Selection<'_>,
    target: &Target,
    strict: bool,
    summary: &mut ReplaySummary,
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
    summary: &mut ReplaySummary,
) {
    for failure in &selection.chosen {
        let (Some(stream_arn), Some(shard_id)) = (failure.stream_arn(), failure.shard_id()) else {
            continue;
        };
        let (events, _) = failure_events(failure, stream_arn, shard_id, options);
        summary.invocations += events.len();
        summary.failures += 1;
        summary.records += failure.hydrated.record_count();
        *summary.deletable_messages.get_or_insert(0) += failure.messages.len();
        let destination = summary.destinations.join(", ");
        plan_failure(failure, &destination, summary);
    }
}

/// Notes a failure a dry run would replay.
fn plan_failure(failure: &FailureEntry, destination: &str, summary: &mut ReplaySummary) {
    summary.planned.push(Planned {
        id: failure.hydrated.id.clone(),
        status: failure.status().to_string(),
        records: failure.hydrated.record_count(),
        shard_id: failure.shard_id().map(str::to_owned),
        destination: destination.to_owned(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A function replay's JSON has no stream counts (`bytes`, `calls`),
    /// a stream replay's none of a function's (`invocations`).
    #[test]
    fn json_has_only_the_counts_of_its_target() {
        let function = ReplaySummary {
            target: "function",
            invocations: 2,
            ..ReplaySummary::default()
        };
        let value = function.json().expect("JSON");
        assert_eq!(value["invocations"], 2);
        for key in ["bytes", "calls", "retries", "outOfOrder"] {
            assert!(value.get(key).is_none(), "{key} in {value}");
        }
        let stream = ReplaySummary {
            target: "stream",
            bytes: 10,
            ..ReplaySummary::default()
        };
        let value = stream.json().expect("JSON");
        assert_eq!(value["bytes"], 10);
        assert!(value.get("invocations").is_none());
    }
}
