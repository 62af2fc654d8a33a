//! [`BatchOutcome`]: what processing a batch did, and the answer it
//! becomes: a `KinesisEventResponse`, or [`PoisonAtHead`], the function
//! error that makes the ESM bisect a batch whose first record is poison
//! (see [`BatchOptions`](super::BatchOptions)).
//!
//! AWS contract honoured here (`ReportBatchItemFailures`):
//! - success is an empty `batchItemFailures` list;
//! - each `itemIdentifier` must be the exact `sequenceNumber` of a record of
//!   the batch: an empty, null or unknown identifier fails the whole batch,
//!   and a response with a wrong top-level key counts as success (every record
//!   acknowledged, failures lost). Building the typed response from
//!   [`SequenceNumber`]s read out of the batch rules out all three.

use std::fmt;

use aws_lambda_events::streams::KinesisEventResponse;

use super::context::RecordContext;
use super::event::DataError;

/// The result of [`process_batch`](super::process_batch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Records the handler completed.
    pub processed: usize,
    /// At most one per shard: the first record that failed. The ESM retries
    /// from there, so later records of that shard were not attempted.
    pub failures: Vec<RecordFailure>,
    /// Records in the event.
    pub records: usize,
    /// The first record of a batch of two or more failed as poison and the
    /// options ask to isolate it: [`answer`](Self::answer) fails the
    /// invocation so that the ESM bisects the batch.
    pub poison_at_head: bool,
}

/// The function error for a batch whose first record is poison: failing the
/// invocation makes an ESM with `BisectBatchOnFunctionError` split the batch
/// without using up its retries, until the poison record is alone.
///
/// Its message names the record (shard and sequence number) and the cause,
/// never the payload; its type is [`PoisonAtHead::ERROR_TYPE`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoisonAtHead {
    /// Boxed: the error travels in every `Result` the answer is returned in.
    pub failure: Box<RecordFailure>,
    pub batch_size: usize,
}

impl fmt::Display for PoisonAtHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let record = &self.failure.record;
        write!(
            f,
            "poison record at the head of a batch of {}: shard {}, sequence number {}: {}",
            self.batch_size,
            record.shard_id.as_deref().unwrap_or("unknown"),
            record.sequence_number,
            self.failure.cause
        )
    }
}

impl std::error::Error for PoisonAtHead {}

impl PoisonAtHead {
    /// The stable `errorType` a Lambda function reports this error with.
    pub const ERROR_TYPE: &'static str = "StreamDlq.PoisonRecordAtHead";
}

/// The record a shard stopped at, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordFailure {
    pub record: RecordContext,
    pub cause: FailureCause,
}

/// Why a record failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FailureCause {
    /// The record's bytes could not be recovered from the event; the
    /// handler never saw it.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The handler returned an error (its `Display` text).
    #[error("{message}")]
    Handler { message: String, retryable: bool },
    /// The handler panicked (the panic message, if it was text).
    #[error("handler panicked: {0}")]
    Panic(String),
    /// Not attempted: a handler panicked on another shard of this event and
    /// the invocation stopped there, not trusting the handler's state.
    #[error("not attempted after a handler panic")]
    NotAttempted,
}

/// Poison or transient: what the logs call a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The record fails every time until the code or the data changes.
    Poison,
    /// The record may succeed on a later attempt.
    Transient,
}

impl FailureCause {
    /// Whether a retry of the same record may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Data(_) | Self::Panic(_) => false,
            Self::Handler { retryable, .. } => *retryable,
            Self::NotAttempted => true,
        }
    }

    pub fn kind(&self) -> FailureKind {
        if self.is_retryable() {
            FailureKind::Transient
        } else {
            FailureKind::Poison
        }
    }
}

impl FailureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Poison => "poison",
            Self::Transient => "transient",
        }
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl BatchOutcome {
    /// Whether every record was processed.
    pub fn is_success(&self) -> bool {
        self.failures.is_empty()
    }

    /// What the function answers the event source mapping: the partial
    /// batch response, or [`PoisonAtHead`] when the batch must fail as a
    /// whole so that the ESM bisects it.
    pub fn answer(&self) -> Result<KinesisEventResponse, PoisonAtHead> {
        match self.failures.first() {
            Some(failure) if self.poison_at_head => Err(PoisonAtHead {
                failure: Box::new(failure.clone()),
                batch_size: self.records,
            }),
            _ => Ok(self.response()),
        }
    }

    /// Same as [`answer`](Self::answer).
    pub fn into_answer(self) -> Result<KinesisEventResponse, PoisonAtHead> {
        self.answer()
    }

    /// The partial batch response: one `itemIdentifier` per failed shard,
    /// each the failed record's sequence number verbatim. It ignores
    /// [`poison_at_head`](Self::poison_at_head); a function answers with
    /// [`answer`](Self::answer).
    pub fn response(&self) -> KinesisEventResponse {
        let mut response = KinesisEventResponse::default();
        for failure in &self.failures {
            response.add_failure(failure.record.sequence_number.as_str());
        }
        response
    }

    /// Same as [`response`](Self::response).
    pub fn into_response(self) -> KinesisEventResponse {
        self.response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sequence::SequenceNumber;

    fn failure(sequence_number: &str, cause: FailureCause) -> RecordFailure {
        RecordFailure {
            record: RecordContext {
                shard_id: Some("shardId-000000000000".into()),
                stream_arn: None,
                sequence_number: SequenceNumber::parse(sequence_number).expect("digits"),
                partition_key: "periodic-table".into(),
                approximate_arrival_millis: None,
                position: 0,
            },
            cause,
        }
    }

    /// No failures serialise as an empty list under the AWS key, not as an
    /// empty object or a missing key.
    #[test]
    fn serialises_success_as_empty_batch_item_failures() {
        let outcome = BatchOutcome {
            processed: 3,
            failures: Vec::new(),
            records: 3,
            poison_at_head: false,
        };
        assert_eq!(
            serde_json::to_string(&outcome.response()).expect("json"),
            r#"{"batchItemFailures":[]}"#
        );
    }

    /// The identifier is the sequence number exactly as received, leading
    /// zeros included, because the ESM looks it up in the batch.
    #[test]
    fn reports_the_sequence_number_verbatim() {
        let outcome = BatchOutcome {
            processed: 0,
            failures: vec![failure("0042", FailureCause::Panic("boom".to_owned()))],
            records: 1,
            poison_at_head: false,
        };
        assert_eq!(
            serde_json::to_string(&outcome.into_response()).expect("json"),
            r#"{"batchItemFailures":[{"itemIdentifier":"0042"}]}"#
        );
    }

    /// A poison pill at the head becomes a function error whose message
    /// names the record and the cause, and whose type is stable.
    #[test]
    fn answers_poison_at_head_with_a_function_error_naming_the_record() {
        let outcome = BatchOutcome {
            processed: 0,
            failures: vec![failure("0042", FailureCause::Data(DataError::Missing))],
            records: 3,
            poison_at_head: true,
        };
        let error = outcome.answer().expect_err("function error");
        assert_eq!(
            error.to_string(),
            "poison record at the head of a batch of 3: shard shardId-000000000000, \
             sequence number 0042: the record has no kinesis.data"
        );
        assert_eq!(PoisonAtHead::ERROR_TYPE, "StreamDlq.PoisonRecordAtHead");
    }

    /// Data errors and panics are poison; handler errors say for themselves.
    #[test]
    fn classifies_poison_and_transient_causes() {
        assert_eq!(
            FailureCause::Data(DataError::Missing).kind(),
            FailureKind::Poison
        );
        assert_eq!(
            FailureCause::Panic("boom".to_owned()).kind(),
            FailureKind::Poison
        );
        let handler = |retryable| FailureCause::Handler {
            message: "sink down".to_owned(),
            retryable,
        };
        assert_eq!(handler(true).kind(), FailureKind::Transient);
        assert_eq!(handler(false).kind(), FailureKind::Poison);
        assert_eq!(FailureCause::NotAttempted.kind(), FailureKind::Transient);
    }
}
