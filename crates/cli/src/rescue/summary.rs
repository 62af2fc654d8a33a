//! [`RescueSummary`]: what a rescue did (or, with `--dry-run`, would do),
//! as lines for people or one JSON object. Counts, ids, streams and
//! reasons only: never a payload byte.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::view::{human, style};

/// The summary, as `--json` prints it.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RescueSummary {
    pub dry_run: bool,
    pub source_queue: String,
    pub dlq: String,
    /// Source messages handled (each counted once, however often received).
    pub messages: usize,
    /// Failures written to the DLQ, by hydration status; with `--dry-run`,
    /// the failures that would be written: `hydrate` (the status depends on
    /// what the stream still holds) and `unparseable`.
    pub failures: BTreeMap<String, usize>,
    /// Records carried to the DLQ.
    pub records: usize,
    /// DLQ messages written (parts included).
    pub dlq_messages: usize,
    /// Source messages deleted, each only after all of its DLQ messages
    /// were written.
    pub deleted: usize,
    /// Source messages left in the queue: refused, not written, or not
    /// deleted (all of them with `--dry-run`).
    pub left: usize,
    /// Messages of streams not on the allowlist: nothing read, left in the
    /// source queue.
    pub refused: Vec<Refused>,
    /// Messages whose failure did not reach the DLQ: left in the source
    /// queue, for the next run.
    pub not_written: Vec<NotWritten>,
    /// Messages written to the DLQ that SQS did not delete: the next run
    /// writes them again, with the same ids.
    pub undeleted: usize,
    /// Ctrl-C stopped the run after the message in hand.
    pub interrupted: bool,
    /// `--dry-run`: what each message would become.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub planned: Vec<Planned>,
    pub calls: ApiCalls,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Refused {
    pub message_id: String,
    pub stream_arn: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NotWritten {
    pub message_id: String,
    /// The DLQ id the failure would have had.
    pub id: String,
    pub error: String,
}

/// What `--dry-run` found for one message.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Planned {
    pub message_id: String,
    /// `hydrate`, `unparseable` or `refused`.
    pub action: &'static str,
    /// Whether the record came in an SNS notification envelope.
    pub sns_wrapped: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_sequence_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_sequence_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<u32>,
    /// The stream's retention period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_seconds: Option<u64>,
    /// How long the range's first record has before the stream trims it;
    /// negative once it is past the retention (it may be gone already).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_left_seconds: Option<i64>,
    /// Why the message is not hydrated, or why the retention is unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// AWS calls the run made, by API (the SDK's own retries inside a call
/// not included).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiCalls {
    pub receive_message: usize,
    pub delete_message_batch: usize,
    pub change_message_visibility_batch: usize,
    pub get_shard_iterator: usize,
    pub get_records: usize,
    pub send_message_batch: usize,
    pub describe_stream_summary: usize,
}

impl ApiCalls {
    pub fn total(&self) -> usize {
        self.receive_message
            + self.delete_message_batch
            + self.change_message_visibility_batch
            + self.get_shard_iterator
            + self.get_records
            + self.send_message_batch
            + self.describe_stream_summary
    }
}

impl RescueSummary {
    /// Adds a dry run's plan for one message.
    pub fn plan(&mut self, planned: Planned) {
        *self.failures.entry(planned.action.to_owned()).or_default() += 1;
        self.planned.push(planned);
    }

    /// Failures written (or that would be written) to the DLQ.
    pub fn written(&self) -> usize {
        self.failures.values().sum()
    }

    /// Prints the summary: one JSON object with `json`, else lines.
    pub fn print(&self, json: bool) -> anyhow::Result<()> {
        if json {
            println!("{}", serde_json::to_string(self)?);
            return Ok(());
        }
        for planned in &self.planned {
            anstream::println!("{}", planned_line(planned));
        }
        if self.messages == 0 {
            println!("nothing to rescue: no message in {}", self.source_queue);
            return Ok(());
        }
        let statuses = self
            .failures
            .iter()
            .map(|(status, count)| format!("{count} {status}"))
            .collect::<Vec<_>>()
            .join(", ");
        let failures = human::count(self.written(), "failure", "failures");
        if self.dry_run {
            println!(
                "would write {failures} ({statuses}) from {} to the DLQ {} and delete {}; \
                 nothing was read from a stream, written or deleted",
                self.source_queue,
                self.dlq,
                human::count(self.written(), "source message", "source messages"),
            );
        } else {
            println!(
                "rescued {failures} from {} into the DLQ {}: {statuses} ({} in {}); deleted {}",
                self.source_queue,
                self.dlq,
                human::count(self.records, "record", "records"),
                human::count(self.dlq_messages, "DLQ message", "DLQ messages"),
                human::count(self.deleted, "source message", "source messages"),
            );
        }
        if !self.dry_run && self.left > 0 {
            println!(
                "left in the source queue: {}",
                human::count(self.left, "message", "messages")
            );
        }
        for refused in &self.refused {
            anstream::println!(
                "{}",
                style::warning(&format!(
                    "refused message {}: {}; left in the source queue",
                    refused.message_id, refused.reason
                ))
            );
        }
        for failed in &self.not_written {
            anstream::println!(
                "{}",
                style::warning(&format!(
                    "not written: message {} (failure {}): {}; left in the source queue",
                    failed.message_id, failed.id, failed.error
                ))
            );
        }
        if self.undeleted > 0 {
            anstream::println!(
                "{}",
                style::warning(&format!(
                    "{} written to the DLQ but not deleted: the next run writes them again, \
                     with the same ids",
                    human::count(self.undeleted, "source message was", "source messages were"),
                ))
            );
        }
        if self.interrupted {
            println!("interrupted: the rest of the queue was not read; run again to go on");
        }
        Ok(())
    }
}

/// One dry-run line: what the message would become and how close its range
/// is to the stream's retention.
fn planned_line(planned: &Planned) -> String {
    let id = &planned.message_id;
    let wrapped = if planned.sns_wrapped {
        " (SNS-wrapped)"
    } else {
        ""
    };
    match planned.action {
        "hydrate" => {
            let stream = planned.stream_arn.as_deref().unwrap_or("?");
            let mut line = format!(
                "would hydrate message {id}{wrapped}: {stream} {} {}..{} ({})",
                planned.shard_id.as_deref().unwrap_or("?"),
                planned.start_sequence_number.as_deref().unwrap_or("?"),
                planned.end_sequence_number.as_deref().unwrap_or("?"),
                human::count(
                    planned.batch_size.unwrap_or(0) as usize,
                    "record",
                    "records"
                ),
            );
            line.push_str(&retention_words(planned));
            line
        }
        "unparseable" => format!(
            "would keep message {id} as unparseable: {}",
            planned.reason.as_deref().unwrap_or("")
        ),
        _ => style::warning(&format!(
            "would refuse message {id}: {}",
            planned.reason.as_deref().unwrap_or("")
        )),
    }
}

fn retention_words(planned: &Planned) -> String {
    use std::time::Duration;
    let retention = planned
        .retention_seconds
        .map(|seconds| {
            format!(
                "; retention {}",
                human::duration(Duration::from_secs(seconds))
            )
        })
        .unwrap_or_default();
    match planned.retention_left_seconds {
        Some(left) if left >= 0 => format!(
            "{retention}, first record trimmed in {}",
            human::duration(Duration::from_secs(left.unsigned_abs()))
        ),
        Some(past) => style::warning(&format!(
            "{retention}, first record past it by {}: it may be trimmed already",
            human::duration(Duration::from_secs(past.unsigned_abs()))
        )),
        None => format!(
            "{retention}; retention left unknown{}",
            planned
                .reason
                .as_deref()
                .map(|reason| format!(" ({reason})"))
                .unwrap_or_default()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(left: Option<i64>) -> Planned {
        Planned {
            message_id: "m-1".into(),
            action: "hydrate",
            sns_wrapped: true,
            stream_arn: Some("arn:aws:kinesis:us-east-1:123456789012:stream/orders".into()),
            shard_id: Some("shardId-000000000000".into()),
            start_sequence_number: Some("4965".into()),
            end_sequence_number: Some("4970".into()),
            batch_size: Some(10),
            retention_seconds: Some(24 * 3600),
            retention_left_seconds: left,
            reason: None,
        }
    }

    /// A dry-run line names the range and says how long until its first
    /// record is trimmed, in words.
    #[test]
    fn a_planned_range_says_when_it_is_trimmed() {
        let line = planned_line(&range(Some(23 * 3600 + 5 * 60)));
        assert_eq!(
            line,
            "would hydrate message m-1 (SNS-wrapped): \
             arn:aws:kinesis:us-east-1:123456789012:stream/orders shardId-000000000000 \
             4965..4970 (10 records); retention 1d, first record trimmed in 23h 5m"
        );
    }

    /// A range past the retention is flagged: it may be gone already.
    #[test]
    fn a_planned_range_past_the_retention_is_flagged() {
        let line = planned_line(&range(Some(-7200)));
        assert!(
            line.contains("first record past it by 2h: it may be trimmed already"),
            "{line}"
        );
    }

    /// The JSON summary is camelCase, with counts by status.
    #[test]
    fn the_json_summary_is_camel_case() {
        let mut summary = RescueSummary::default();
        summary.failures.insert("complete".into(), 2);
        summary.not_written.push(NotWritten {
            message_id: "m".into(),
            id: "i".into(),
            error: "e".into(),
        });
        let json = serde_json::to_value(&summary).expect("JSON");
        assert_eq!(json["failures"]["complete"], 2);
        assert_eq!(json["notWritten"][0]["messageId"], "m");
        assert_eq!(json["calls"]["receiveMessage"], 0);
        assert!(json.get("planned").is_none(), "no plan outside a dry run");
        assert_eq!(summary.written(), 2);
    }
}
