//! [`HydrateSummary`]: what one invocation wrote to the DLQ, returned as the
//! Lambda response (and so recorded by an OnSuccess destination, or shown by
//! `cargo lambda invoke`). Counts only: never payload bytes.

use serde::{Deserialize, Serialize};
use streamdlq_core::HydrationStatus;

/// One entry per failure record of the event, in event order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HydrateSummary {
    pub failures: Vec<FailureSummary>,
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
}
