//! Hydrated failures as text for people: short lines, the failure's short
//! id (what `--id` takes), colour on a terminal, sizes and times in words.
//! DynamoDB Streams records show their event name, keys, and new and old
//! images as DynamoDB JSON.

use std::fmt::Write as _;
use std::time::Duration;

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

use streamdlq_core::{DynamoDbRecord, SequenceNumber};

use super::human;
use super::payload::Payload;
use super::style;
use crate::queue::FailureEntry;
use crate::queue::filter::MIN_ID_PREFIX;
use crate::stream::StreamId;

/// How much of each payload to show, and what the queue's retention is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextOptions {
    /// Show payloads whole instead of cut at `PAYLOAD_CHARS`.
    pub full: bool,
    /// The queue's retention, to say when SQS drops each failure.
    pub retention: Option<Retention>,
}

/// A queue's retention period, and the time it is measured at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub period: Duration,
    pub now_millis: i64,
}

impl Retention {
    /// Time left before SQS drops a message sent at `sent_millis`.
    pub fn left(&self, sent_millis: i64) -> Duration {
        let ends = sent_millis.saturating_add(self.period.as_millis() as i64);
        Duration::from_millis(ends.saturating_sub(self.now_millis).max(0) as u64)
    }
}

/// Payloads are cut after this many characters unless `full`.
pub const PAYLOAD_CHARS: usize = 160;

/// How many characters of the id the text shows: more than the shortest
/// prefix `--id` takes, so that two failures rarely look alike.
pub const SHORT_ID: usize = MIN_ID_PREFIX + 4;

/// A failure and its records, several lines, ending with a blank line.
pub fn failure_text(failure: &FailureEntry, options: TextOptions) -> String {
    let hydration = &failure.hydrated.hydration;
    let mut out = String::new();
    let id = &failure.hydrated.id;
    let short = id.get(..SHORT_ID).unwrap_or(id);
    let _ = writeln!(
        out,
        "{}  {}, {} of {}",
        style::heading(&format!("failure {short}")),
        style::status(hydration.status),
        hydration.found,
        human::count(hydration.expected as usize, "record", "records"),
    );
    if let (Some(stream), Some(shard)) = (failure.stream_arn(), failure.shard_id()) {
        let _ = writeln!(
            out,
            "  stream    {}  {shard}",
            StreamId::parse(stream).name()
        );
    }
    if let Some(reason) = &hydration.reason {
        let _ = writeln!(out, "  reason    {reason}");
    }
    if let Some(wider) = &hydration.wider_range {
        let _ = writeln!(
            out,
            "  range     {}",
            style::warning(&format!(
                "wider than its batch: {} in the range, batchSize {} \
                 (likely ParallelizationFactor > 1 or event filtering); \
                 records other batches processed are included",
                wider.found, wider.batch_size
            ))
        );
    }
    if let Some(from) = hydration
        .records_from
        .filter(|from| from.as_str() != "stream")
    {
        let _ = writeln!(out, "  records   from {}", from.as_str());
    }
    if let Some(record) = &failure.record {
        let batch = &record.batch;
        let _ = writeln!(out, "  from      {}", batch.start_sequence_number);
        let _ = writeln!(out, "  to        {}", batch.end_sequence_number);
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
            let _ = write!(
                line,
                " after {}",
                human::count(count as usize, "invocation", "invocations")
            );
        }
        if let Some(error) = record
            .response_context
            .as_ref()
            .and_then(|context| context.function_error.as_deref())
        {
            let _ = write!(line, ", function error {error}");
        }
        if let Some(timestamp) = &record.timestamp {
            let _ = write!(line, ", {}", style::dim(&format!("at {timestamp}")));
        }
        let _ = writeln!(out, "{line}");
    }
    if let Some(raw) = &failure.hydrated.raw {
        let _ = writeln!(out, "  raw       {}", Payload::Text(raw).line(cut(options)));
    }
    let mut messages = format!(
        "  messages  {}",
        human::count(failure.messages.len(), "message", "messages")
    );
    if let (Some(retention), Some(sent)) = (options.retention, failure.first_sent_millis()) {
        let left = retention.left(sent);
        let text = format!("SQS retention drops it in {}", human::duration(left));
        let shown = if left < Duration::from_secs(86_400) {
            style::warning(&text)
        } else {
            text
        };
        let _ = write!(messages, ", {shown}");
    }
    let _ = writeln!(out, "{messages}");
    let failed = failure.failed_sequence_number();
    for (n, record) in failure.hydrated.records.iter().enumerate() {
        let arrival = record
            .approximate_arrival_millis
            .and_then(|millis| DateTime::from_millis(millis).fmt(Format::DateTime).ok())
            .unwrap_or_else(|| "-".to_owned());
        let mut line = format!(
            "  [{}] {}  key {:?}  {}  {}",
            n + 1,
            record.sequence_number,
            record.partition_key,
            style::dim(&arrival),
            human::size(record.data.len())
        );
        if failed == Some(&record.sequence_number) {
            let _ = write!(line, "  {}", style::error("<- made the batch fail"));
        }
        let _ = writeln!(out, "{line}");
        let _ = writeln!(
            out,
            "      {}",
            Payload::of(&record.data).line(cut(options))
        );
    }
    for (n, record) in failure.hydrated.dynamodb_records.iter().enumerate() {
        dynamodb_record_text(&mut out, n, record, failed, options);
    }
    out.push('\n');
    out
}

/// A DynamoDB Streams record: event name, keys and images as DynamoDB JSON.
fn dynamodb_record_text(
    out: &mut String,
    n: usize,
    record: &DynamoDbRecord,
    failed: Option<&SequenceNumber>,
    options: TextOptions,
) {
    let change = &record.dynamodb;
    let created = change
        .approximate_creation_date_time
        .and_then(|time| {
            DateTime::from_millis(time.millis())
                .fmt(Format::DateTime)
                .ok()
        })
        .unwrap_or_else(|| "-".to_owned());
    let keys = change
        .keys
        .as_ref()
        .and_then(|keys| serde_json::to_string(keys).ok())
        .unwrap_or_else(|| "-".to_owned());
    let mut line = format!(
        "  [{}] {}  {}  keys {keys}  {}",
        n + 1,
        change.sequence_number,
        record.event_name,
        style::dim(&created),
    );
    if let Some(size) = change.size_bytes {
        let _ = write!(
            line,
            "  {}",
            human::size(usize::try_from(size).unwrap_or(usize::MAX))
        );
    }
    if failed == Some(&change.sequence_number) {
        let _ = write!(line, "  {}", style::error("<- made the batch fail"));
    }
    let _ = writeln!(out, "{line}");
    for (label, image) in [("new", &change.new_image), ("old", &change.old_image)] {
        if let Some(json) = image
            .as_ref()
            .and_then(|image| serde_json::to_string(image).ok())
        {
            let _ = writeln!(
                out,
                "      {label} {}",
                Payload::Json(&json).line(cut(options))
            );
        }
    }
}

fn cut(options: TextOptions) -> Option<usize> {
    (!options.full).then_some(PAYLOAD_CHARS)
}
