//! What hydrating one failure record produced: the records found and a
//! status that says how complete they are. Shared by the hydration engine
//! (which produces it) and the DLQ message (which carries it).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::stream::StreamRecord;

/// How far hydration got. Carried in every DLQ message as `hydration.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HydrationStatus {
    /// Every record of the range was read.
    Complete,
    /// Some records were read, not all (range trimmed by retention, deadline
    /// reached, shard ended early): `reason` says which.
    Partial,
    /// The stream could not be read at all; the failure record is kept.
    Unavailable,
    /// The stream is not on the allowlist; nothing was read.
    Rejected,
    /// The message was not an OnFailure record; its raw text is kept.
    Unparseable,
}

impl HydrationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Complete => "complete",
            Self::Partial => "partial",
            Self::Unavailable => "unavailable",
            Self::Rejected => "rejected",
            Self::Unparseable => "unparseable",
        }
    }
}

impl fmt::Display for HydrationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result of hydrating one failure: records in sequence order, Kinesis
/// [`StreamRecord`]s unless said otherwise (DynamoDB Streams failures carry
/// [`DynamoDbRecord`](crate::dynamodb::DynamoDbRecord)s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hydration<T = StreamRecord> {
    pub status: HydrationStatus,
    /// `batchSize` of the failure record (0 when there was none to read).
    pub expected: u32,
    pub records: Vec<T>,
    /// Why the status is not `complete`.
    pub reason: Option<String>,
}

impl Hydration {
    /// A hydration that read nothing, for the given status and reason.
    pub fn without_records(
        status: HydrationStatus,
        expected: u32,
        reason: impl Into<String>,
    ) -> Self {
        Self::empty(status, expected, reason)
    }
}

impl<T> Hydration<T> {
    /// [`Hydration::without_records`] for any record type.
    pub fn empty(status: HydrationStatus, expected: u32, reason: impl Into<String>) -> Self {
        Self {
            status,
            expected,
            records: Vec::new(),
            reason: Some(reason.into()),
        }
    }

    /// How many records were found.
    pub fn found(&self) -> usize {
        self.records.len()
    }
}
