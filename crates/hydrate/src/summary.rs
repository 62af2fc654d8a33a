//! [`HydrateSummary`]: what one invocation wrote to the DLQ, returned as the
//! Lambda response (and so recorded by an OnSuccess destination, or shown by
//! `cargo lambda invoke`). Counts only: never payload bytes.
//!
//! For an SQS event the same response is also the SQS partial batch
//! response: `batchItemFailures` lists the `messageId` of every message
//! whose failure did not reach the DLQ (empty when all did), and the
//! queue's event source mapping deletes every other message. It needs
//! `FunctionResponseTypes: [ReportBatchItemFailures]` on that mapping;
//! without it Lambda ignores the list and deletes the whole batch. The
//! mapping ignores `failures`, as it ignores any other member. SNS and S3
//! events never carry `batchItemFailures`.

use aws_lambda_events::sqs::BatchItemFailure;
use serde::{Deserialize, Serialize};
use streamdlq_core::HydrationStatus;

/// One entry per failure record of the event, in event order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HydrateSummary {
    pub failures: Vec<FailureSummary>,
    /// SQS events only: the messages the queue must keep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_item_failures: Option<Vec<BatchItemFailure>>,
}

/// What became of one failure record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailureSummary {
    /// The DLQ message id shared by all its parts.
    pub id: String,
    pub status: HydrationStatus,
    /// `batchSize` of the failure record (0 when unparseable).
    pub expected: u32,
    /// Records carried to the DLQ.
    pub found: usize,
    /// DLQ messages written (0 when writing failed).
    pub parts: usize,
    /// Why the status is not `complete`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl HydrateSummary {
    /// How many failures have `status`.
    pub fn count(&self, status: HydrationStatus) -> usize {
        self.failures.iter().filter(|f| f.status == status).count()
    }

    /// Makes the response an SQS partial batch response naming these
    /// `messageId`s (none: every message may be deleted).
    pub fn set_batch_item_failures(&mut self, message_ids: Vec<String>) {
        let failures = message_ids
            .into_iter()
            .map(|id| {
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = id;
                failure
            })
            .collect();
        self.batch_item_failures = Some(failures);
    }

    /// The `messageId`s of an SQS partial batch response; empty for other
    /// events.
    pub fn failed_message_ids(&self) -> Vec<&str> {
        self.batch_item_failures
            .iter()
            .flatten()
            .map(|failure| failure.item_identifier.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The response is camelCase JSON with lowercase statuses.
    #[test]
    fn serialises_as_camel_case_json() {
        let summary = HydrateSummary {
            failures: vec![
                FailureSummary {
                    id: "ab12".into(),
                    status: HydrationStatus::Complete,
                    expected: 3,
                    found: 3,
                    parts: 1,
                    reason: None,
                },
                FailureSummary {
                    id: "cd34".into(),
                    status: HydrationStatus::Rejected,
                    expected: 2,
                    found: 0,
                    parts: 1,
                    reason: Some("not allowed".into()),
                },
            ],
            batch_item_failures: None,
        };
        let json = serde_json::to_value(&summary).expect("json");
        assert_eq!(
            json,
            serde_json::json!({"failures": [
                {"id": "ab12", "status": "complete", "expected": 3, "found": 3, "parts": 1},
                {"id": "cd34", "status": "rejected", "expected": 2, "found": 0, "parts": 1,
                 "reason": "not allowed"}
            ]})
        );
        assert_eq!(summary.count(HydrationStatus::Rejected), 1);
    }

    /// For an SQS event the response is also a partial batch response:
    /// `batchItemFailures` of `itemIdentifier`s, an empty list when every
    /// message may be deleted.
    #[test]
    fn an_sqs_answer_names_messages_as_item_identifiers() {
        let mut summary = HydrateSummary::default();
        summary.set_batch_item_failures(vec!["m-2".into()]);
        let json = serde_json::to_value(&summary).expect("json");
        assert_eq!(
            json,
            serde_json::json!({"failures": [], "batchItemFailures": [{"itemIdentifier": "m-2"}]})
        );
        assert_eq!(summary.failed_message_ids(), ["m-2"]);
        summary.set_batch_item_failures(Vec::new());
        let json = serde_json::to_value(&summary).expect("json");
        assert_eq!(
            json,
            serde_json::json!({"failures": [], "batchItemFailures": []})
        );
    }
}
