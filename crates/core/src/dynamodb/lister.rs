//! [`ShardLister`] for DynamoDB table streams: `DescribeStream`, every
//! page, so that the local event source mapping finds a table stream's
//! shards the way it finds a Kinesis stream's.
//!
//! AWS contract honoured here:
//! - `DescribeStream` takes the stream ARN and pages by
//!   `ExclusiveStartShardId` / `LastEvaluatedShardId` (at most 100 shards a
//!   page); no `LastEvaluatedShardId` means the last page.
//! - A shard's `ParentShardId` names the shard it split from (DynamoDB
//!   Streams never merges, so there is no adjacent parent); a shard whose
//!   `SequenceNumberRange` has an `EndingSequenceNumber` is closed.
//! - `ResourceNotFoundException` (the stream or its table is gone) maps to
//!   [`ReadError::NotFound`], `LimitExceededException` to
//!   [`ReadError::Throttled`].

use aws_sdk_dynamodbstreams::operation::describe_stream::DescribeStreamError;
use aws_sdk_dynamodbstreams::types::Shard;

use super::reader::DynamoDbShardReader;
use crate::sdk_error::{Kind, read_error};
use crate::sequence::SequenceNumber;
use crate::stream::{ReadError, ShardLister, ShardSummary};

impl ShardLister for DynamoDbShardReader {
    async fn list_shards(&self, stream_arn: &str) -> Result<Vec<ShardSummary>, ReadError> {
        let mut shards = Vec::new();
        let mut start: Option<String> = None;
        loop {
            let output = self
                .client()
                .describe_stream()
                .stream_arn(stream_arn)
                .set_exclusive_start_shard_id(start.take())
                .send()
                .await
                .map_err(|error| read_error(error, describe_stream_error_kind))?;
            let Some(description) = output.stream_description else {
                return Err(ReadError::Other(
                    "DescribeStream answered without a stream description".to_owned(),
                ));
            };
            for shard in description.shards.unwrap_or_default() {
                shards.push(shard_summary(shard)?);
            }
            match description.last_evaluated_shard_id {
                Some(last) if !last.is_empty() => start = Some(last),
                _ => return Ok(shards),
            }
        }
    }
}

fn shard_summary(shard: Shard) -> Result<ShardSummary, ReadError> {
    let shard_id = shard.shard_id.ok_or_else(|| {
        ReadError::Other("DescribeStream listed a shard without an id".to_owned())
    })?;
    let ending_sequence_number = shard
        .sequence_number_range
        .and_then(|range| range.ending_sequence_number)
        .map(|text| {
            SequenceNumber::parse(&text).map_err(|error| {
                ReadError::Other(format!(
                    "shard {shard_id} has an unreadable EndingSequenceNumber: {error}"
                ))
            })
        })
        .transpose()?;
    Ok(ShardSummary {
        shard_id,
        parent_shard_id: shard.parent_shard_id.filter(|parent| !parent.is_empty()),
        adjacent_parent_shard_id: None,
        ending_sequence_number,
    })
}

fn describe_stream_error_kind(error: &DescribeStreamError) -> Option<Kind> {
    use DescribeStreamError as E;
    Some(match error {
        E::ResourceNotFoundException(_) => Kind::NotFound,
        E::InternalServerError(_) => Kind::Transient,
        _ => return None,
    })
}
