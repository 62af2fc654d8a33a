//! [`DynamoDbShardReader`]: the aws-sdk-dynamodbstreams adapter of
//! [`ShardReader`].
//!
//! AWS contract honoured here:
//! - GetShardIterator names the stream by its ARN and the shard by its id,
//!   as the failure record gives them (`AT_SEQUENCE_NUMBER`,
//!   `AFTER_SEQUENCE_NUMBER`, `TRIM_HORIZON`, `LATEST`; DynamoDB Streams
//!   has no `AT_TIMESTAMP`).
//! - GetRecords takes the iterator alone and returns at most 1,000 records
//!   or 1 MB; iterators live 15 minutes; pages carry no
//!   `MillisBehindLatest`. No `NextShardIterator` means the shard is closed
//!   and read to its end.
//! - Errors the SDK surfaces after its own retries map to [`ReadError`]:
//!   `TrimmedDataAccessException` to [`ReadError::Trimmed`],
//!   `ExpiredIteratorException` to [`ReadError::IteratorExpired`],
//!   `LimitExceededException` to [`ReadError::Throttled`],
//!   `ResourceNotFoundException` to [`ReadError::NotFound`],
//!   `InternalServerError` to [`ReadError::Transient`].

use aws_sdk_dynamodbstreams::Client;
use aws_sdk_dynamodbstreams::operation::get_records::GetRecordsError;
use aws_sdk_dynamodbstreams::operation::get_shard_iterator::GetShardIteratorError;
use aws_sdk_dynamodbstreams::types::ShardIteratorType;

use super::convert::dynamodb_record;
use super::record::DynamoDbRecord;
use crate::sdk_error::{Kind, read_error};
use crate::stream::{IteratorStart, ReadError, RecordPage, ShardReader};

/// Reads shards of DynamoDB table streams through the AWS SDK.
#[derive(Debug, Clone)]
pub struct DynamoDbShardReader {
    client: Client,
}

impl DynamoDbShardReader {
    /// Wraps a client built once per process.
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
}

impl ShardReader<DynamoDbRecord> for DynamoDbShardReader {
    async fn shard_iterator(
        &self,
        stream_arn: &str,
        shard_id: &str,
        start: &IteratorStart,
    ) -> Result<String, ReadError> {
        let request = self
            .client
            .get_shard_iterator()
            .stream_arn(stream_arn)
            .shard_id(shard_id);
        let request = match start {
            IteratorStart::At(seq) => request
                .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
                .sequence_number(seq.as_str()),
            IteratorStart::After(seq) => request
                .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                .sequence_number(seq.as_str()),
            IteratorStart::TrimHorizon => {
                request.shard_iterator_type(ShardIteratorType::TrimHorizon)
            }
            IteratorStart::Latest => request.shard_iterator_type(ShardIteratorType::Latest),
            IteratorStart::AtTimestamp(_) => {
                return Err(ReadError::Other(
                    "DynamoDB Streams has no AT_TIMESTAMP shard iterator".to_owned(),
                ));
            }
        };
        let output = request
            .send()
            .await
            .map_err(|error| read_error(error, shard_iterator_error_kind))?;
        output.shard_iterator.ok_or_else(|| {
            ReadError::Other("GetShardIterator answered without a shard iterator".to_owned())
        })
    }

    async fn records(
        &self,
        _stream_arn: &str,
        iterator: &str,
        limit: u32,
    ) -> Result<RecordPage<DynamoDbRecord>, ReadError> {
        let output = self
            .client
            .get_records()
            .shard_iterator(iterator)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|error| read_error(error, records_error_kind))?;
        let records = output
            .records
            .unwrap_or_default()
            .into_iter()
            .map(dynamodb_record)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RecordPage {
            records,
            next_iterator: output.next_shard_iterator,
            millis_behind_latest: None,
        })
    }
}

fn records_error_kind(error: &GetRecordsError) -> Option<Kind> {
    use GetRecordsError as E;
    Some(match error {
        E::LimitExceededException(_) => Kind::Throttled,
        E::ExpiredIteratorException(_) => Kind::Expired,
        E::TrimmedDataAccessException(_) => Kind::Trimmed,
        E::ResourceNotFoundException(_) => Kind::NotFound,
        E::InternalServerError(_) => Kind::Transient,
        _ => return None,
    })
}

fn shard_iterator_error_kind(error: &GetShardIteratorError) -> Option<Kind> {
    use GetShardIteratorError as E;
    Some(match error {
        E::TrimmedDataAccessException(_) => Kind::Trimmed,
        E::ResourceNotFoundException(_) => Kind::NotFound,
        E::InternalServerError(_) => Kind::Transient,
        _ => return None,
    })
}

#[cfg(test)]
mod tests;
