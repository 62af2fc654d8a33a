//! Hydrated failures as text for people.

use std::fmt::Write as _;

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

use super::payload::Payload;
use crate::queue::FailureEntry;
use crate::stream::StreamId;

/// How much of each payload to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextOptions {
    /// Show payloads whole instead of cut at `PAYLOAD_CHARS`.
    pub full: bool,
}

/// Payloads are cut after this many characters unless `full`.
pub const PAYLOAD_CHARS: usize = 160;

/// A failure and its records, several lines, ending with a blank line.
pub fn failure_text(failure: &FailureEntry, options: TextOptions) -> String {
    let hydration = &failure.hydrated.hydration;
    let mut out = String::new();
    let _ = write!(
        out,
        "failure {}  {}  {} of {} records",
        failure.hydrated.id, hydration.status, hydration.found, hydration.expected
    );
    if let (Some(stream), Some(shard)) = (failure.stream_arn(), failure.shard_id()) {
        let _ = write!(out, "  stream {}  {shard}", StreamId::parse(stream).name());
    }
    out.push('\n');
    if let Some(reason) = &hydration.reason {
        let _ = writeln!(out, "  reason    {reason}");
    }
    if let Some(record) = &failure.record {
        let batch = &record.batch;
        let _ = writeln!(
            out,
            "  range     {} .. {}",
            batch.start_sequence_number, batch.end_sequence_number
        );
        let condition = record
            .request_context
            .as_ref()
            .and_then(|context| context.condition.as_ref())
            .map_or_else(|| "unknown condition".to_owned(), ToString::to_string);
        let mut line = format!("  failed    {condition}");
        if let Some(count) = record
            .request_context
            .as_ref()
            .and_then(|context| context.approximate_invoke_count)
        {
            let _ = write!(line, " after {count} invocations");
        }
        if let Some(error) = record
            .response_context
            .as_ref()
            .and_then(|context| context.function_error.as_deref())
        {
            let _ = write!(line, ", function error {error}");
        }
        if let Some(timestamp) = &record.timestamp {
            let _ = write!(line, ", at {timestamp}");
        }
        let _ = writeln!(out, "{line}");
    }
    if let Some(raw) = &failure.hydrated.raw {
        let _ = writeln!(out, "  raw       {}", Payload::Text(raw).line(cut(options)));
    }
    let _ = writeln!(out, "  messages  {}", failure.messages.len());
    for (n, record) in failure.hydrated.records.iter().enumerate() {
        let arrival = record
            .approximate_arrival_millis
            .and_then(|millis| DateTime::from_millis(millis).fmt(Format::DateTime).ok())
            .unwrap_or_else(|| "-".to_owned());
        let _ = writeln!(
            out,
            "  [{}] {}  key {:?}  {arrival}  {} bytes",
            n + 1,
            record.sequence_number,
            record.partition_key,
            record.data.len()
        );
        let _ = writeln!(
            out,
            "      {}",
            Payload::of(&record.data).line(cut(options))
        );
    }
    out.push('\n');
    out
}

fn cut(options: TextOptions) -> Option<usize> {
    (!options.full).then_some(PAYLOAD_CHARS)
}
