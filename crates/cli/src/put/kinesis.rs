//! [`KinesisStreamWriter`]: the aws-sdk-kinesis adapter of [`StreamWriter`].
//!
//! AWS contract honoured here:
//! - PutRecords answers `Records` in request order, one per record, each
//!   either accepted (`ShardId`, `SequenceNumber`) or failed (`ErrorCode`,
//!   `ErrorMessage`); `FailedRecordCount` only counts the failed ones.
//! - The stream is named by `StreamARN` when the caller has an ARN and by
//!   `StreamName` otherwise, never by a name parsed out of an ARN.
//! - The SDK's retry configuration retries whole-call throttling, 5xx
//!   answers and dispatch failures first. A call that timed out after it was
//!   sent may have been written: retrying it duplicates records, never loses
//!   them, which is the at-least-once promise of every writer here.

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::error::SdkError;
use aws_sdk_kinesis::operation::put_records::PutRecordsError;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{PutRecordsRequestEntry, PutRecordsResultEntry};

use super::entry::PutEntry;
use super::port::{EntryResult, PutError, StreamWriter};
use crate::aws_error::describe;
use crate::stream::StreamId;

/// Puts records into Kinesis data streams through the AWS SDK.
#[derive(Debug, Clone)]
pub struct KinesisStreamWriter {
    client: Client,
}

impl KinesisStreamWriter {
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

impl StreamWriter for KinesisStreamWriter {
    async fn put_records(
        &self,
        stream: &StreamId,
        entries: &[&PutEntry],
    ) -> Result<Vec<EntryResult>, PutError> {
        let records = entries
            .iter()
            .map(|entry| {
                PutRecordsRequestEntry::builder()
                    .partition_key(&entry.partition_key)
                    .data(Blob::new(entry.data.clone()))
                    .build()
                    .map_err(|error| PutError::Other(error.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let request = self.client.put_records().set_records(Some(records));
        let request = match stream {
            StreamId::Name(name) => request.stream_name(name),
            StreamId::Arn(arn) => request.stream_arn(arn),
        };
        let output = request
            .send()
            .await
            .map_err(|error| put_error(stream, error))?;
        if output.records.len() != entries.len() {
            return Err(PutError::ResultCount {
                records: entries.len(),
                results: output.records.len(),
            });
        }
        Ok(output.records.into_iter().map(entry_result).collect())
    }
}

fn entry_result(entry: PutRecordsResultEntry) -> EntryResult {
    match (entry.shard_id, entry.sequence_number, entry.error_code) {
        (Some(shard_id), Some(sequence_number), None) => EntryResult::Accepted {
            shard_id,
            sequence_number,
        },
        (_, _, code) => EntryResult::Failed {
            // An entry with neither a sequence number nor an error code was
            // not confirmed as written: treat it as failed and put it again.
            code: code.unwrap_or_else(|| "MissingSequenceNumber".to_owned()),
            message: entry.error_message.unwrap_or_default(),
        },
    }
}

fn put_error(stream: &StreamId, error: SdkError<PutRecordsError>) -> PutError {
    use PutRecordsError as E;
    match &error {
        SdkError::ServiceError(context) => {
            let service_error = context.err();
            let text = describe(&error);
            match service_error {
                E::ResourceNotFoundException(_) => PutError::StreamNotFound {
                    stream: stream.to_string(),
                },
                E::AccessDeniedException(_) | E::KmsAccessDeniedException(_) => {
                    PutError::AccessDenied(text)
                }
                E::ProvisionedThroughputExceededException(_) | E::KmsThrottlingException(_) => {
                    PutError::Throttled(text)
                }
                E::InternalFailureException(_) => PutError::Transient(text),
                _ if context.raw().status().as_u16() >= 500 => PutError::Transient(text),
                _ => PutError::Other(text),
            }
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            PutError::Transient(describe(&error))
        }
        _ => PutError::Other(describe(&error)),
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_kinesis::config::retry::RetryConfig;
    use aws_sdk_kinesis::operation::put_records::PutRecordsOutput;
    use aws_sdk_kinesis::types::error::ResourceNotFoundException;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    use super::*;

    const ARN: &str = "arn:aws:kinesis:us-east-1:000000000000:stream/orders";

    fn accepted(shard: &str, sequence: &str) -> PutRecordsResultEntry {
        PutRecordsResultEntry::builder()
            .shard_id(shard)
            .sequence_number(sequence)
            .build()
    }

    /// A partial failure comes back entry by entry, in request order, with
    /// the stream named by ARN and each record's key and bytes as given.
    #[tokio::test]
    async fn maps_a_partial_failure_entry_by_entry() {
        let rule = mock!(Client::put_records)
            .match_requests(|request| {
                let records = request.records();
                request.stream_arn() == Some(ARN)
                    && request.stream_name().is_none()
                    && records.len() == 3
                    && records[1].partition_key() == Some("b")
                    && records[1].data().as_ref() == [0, 255]
            })
            .then_output(|| {
                PutRecordsOutput::builder()
                    .failed_record_count(1)
                    .records(accepted("shardId-000000000000", "1"))
                    .records(
                        PutRecordsResultEntry::builder()
                            .error_code("ProvisionedThroughputExceededException")
                            .error_message("Rate exceeded for shard")
                            .build(),
                    )
                    .records(accepted("shardId-000000000001", "2"))
                    .build()
                    .expect("output")
            });
        let client = mock_client!(aws_sdk_kinesis, RuleMode::MatchAny, &[&rule]);
        let entries = [
            PutEntry::new("a", b"x".to_vec()),
            PutEntry::new("b", vec![0, 255]),
            PutEntry::new("c", b"z".to_vec()),
        ];
        let refs: Vec<&PutEntry> = entries.iter().collect();
        let results = KinesisStreamWriter::new(client)
            .put_records(&StreamId::parse(ARN), &refs)
            .await
            .expect("answered");
        assert_eq!(results.len(), 3);
        assert!(
            matches!(&results[0], EntryResult::Accepted { sequence_number, .. } if sequence_number == "1")
        );
        assert!(results[1].is_retryable());
        assert!(
            matches!(&results[2], EntryResult::Accepted { shard_id, .. } if shard_id == "shardId-000000000001")
        );
    }

    /// A request that timed out is retried, and said in one line, without
    /// the SDK's `Debug` dump of the error.
    #[test]
    fn reports_a_timeout_as_transient_in_one_line() {
        let error = SdkError::<PutRecordsError>::timeout_error("no answer within 3 s");
        let PutError::Transient(text) = put_error(&StreamId::parse("orders"), error) else {
            panic!("a timeout is transient");
        };
        assert_eq!(text, "request has timed out: no answer within 3 s");
    }

    /// A stream that does not exist is a clear, non-retryable error naming it.
    #[tokio::test]
    async fn reports_a_missing_stream_by_name() {
        let rule = mock!(Client::put_records)
            .match_requests(|request| request.stream_name() == Some("nope"))
            .then_error(|| {
                PutRecordsError::ResourceNotFoundException(
                    ResourceNotFoundException::builder()
                        .message("Stream nope under account 000000000000 not found.")
                        .build(),
                )
            });
        let client = mock_client!(aws_sdk_kinesis, RuleMode::MatchAny, &[&rule], |config| {
            config.retry_config(RetryConfig::disabled())
        });
        let entry = PutEntry::new("a", b"x".to_vec());
        let error = KinesisStreamWriter::new(client)
            .put_records(&StreamId::parse("nope"), &[&entry])
            .await
            .expect_err("missing stream");
        assert_eq!(
            error,
            PutError::StreamNotFound {
                stream: "nope".into()
            }
        );
        assert!(!error.is_retryable());
        assert_eq!(error.to_string(), "stream nope does not exist");
    }
}
