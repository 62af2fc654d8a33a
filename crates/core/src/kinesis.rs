//! [`KinesisShardReader`]: the aws-sdk-kinesis adapter of [`ShardReader`].
//!
//! AWS contract honoured here:
//! - Every call names the stream by `StreamARN`, exactly as the failure
//!   record gave it; a stream name parsed out of an ARN could point at a
//!   stream of the same name in another account or region.
//! - The SDK's own retry configuration retries throttling
//!   (`ProvisionedThroughputExceededException`, `LimitExceededException`),
//!   5xx answers and dispatch failures first; the errors it surfaces after
//!   that are mapped to [`ReadError`] so the engine can decide the rest.
//! - `ApproximateArrivalTimestamp` becomes epoch milliseconds and the data
//!   blob is handed over as it came, byte for byte.
//! - ListShards pages with `NextToken` alone: the token already names the
//!   stream, and Kinesis rejects a request that names it twice.
//! - The retention comes from `DescribeStreamSummary` (`RetentionPeriodHours`),
//!   the stream's own word, for [`StreamRetention`].

use std::time::Duration;

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::operation::describe_stream_summary::DescribeStreamSummaryError;
use aws_sdk_kinesis::operation::get_records::GetRecordsError;
use aws_sdk_kinesis::operation::get_shard_iterator::GetShardIteratorError;
use aws_sdk_kinesis::operation::list_shards::ListShardsError;
use aws_sdk_kinesis::primitives::DateTime;
use aws_sdk_kinesis::types::{Record, Shard, ShardIteratorType};

use crate::retention::StreamRetention;
use crate::sdk_error::{Kind, read_error};
use crate::sequence::SequenceNumber;
use crate::stream::{
    IteratorStart, ReadError, RecordPage, ShardLister, ShardReader, ShardSummary, StreamRecord,
};

/// Reads shards of Kinesis data streams through the AWS SDK.
#[derive(Debug, Clone)]
pub struct KinesisShardReader {
    client: Client,
}

impl KinesisShardReader {
    /// Wraps a client built once per process (its retry configuration is the
    /// first line of defence against throttling).
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
}

impl ShardReader for KinesisShardReader {
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
                .starting_sequence_number(seq.as_str()),
            IteratorStart::After(seq) => request
                .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                .starting_sequence_number(seq.as_str()),
            IteratorStart::TrimHorizon => {
                request.shard_iterator_type(ShardIteratorType::TrimHorizon)
            }
            IteratorStart::Latest => request.shard_iterator_type(ShardIteratorType::Latest),
            IteratorStart::AtTimestamp(millis) => request
                .shard_iterator_type(ShardIteratorType::AtTimestamp)
                .timestamp(DateTime::from_millis(*millis)),
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
        stream_arn: &str,
        iterator: &str,
        limit: u32,
    ) -> Result<RecordPage, ReadError> {
        let output = self
            .client
            .get_records()
            .stream_arn(stream_arn)
            .shard_iterator(iterator)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|error| read_error(error, records_error_kind))?;
        let records = output
            .records
            .into_iter()
            .map(stream_record)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RecordPage {
            records,
            next_iterator: output.next_shard_iterator,
            millis_behind_latest: output.millis_behind_latest,
        })
    }
}

impl ShardLister for KinesisShardReader {
    async fn list_shards(&self, stream_arn: &str) -> Result<Vec<ShardSummary>, ReadError> {
        let mut shards = Vec::new();
        let mut next_token: Option<String> = None;
        loop {
            let request = match next_token.take() {
                Some(token) => self.client.list_shards().next_token(token),
                None => self.client.list_shards().stream_arn(stream_arn),
            };
            let output = request
                .send()
                .await
                .map_err(|error| read_error(error, list_shards_error_kind))?;
            for shard in output.shards.unwrap_or_default() {
                shards.push(shard_summary(shard)?);
            }
            match output.next_token {
                Some(token) if !token.is_empty() => next_token = Some(token),
                _ => return Ok(shards),
            }
        }
    }
}

impl StreamRetention for KinesisShardReader {
    async fn retention_period(&self, stream_arn: &str) -> Result<Duration, ReadError> {
        let output = self
            .client
            .describe_stream_summary()
            .stream_arn(stream_arn)
            .send()
            .await
            .map_err(|error| read_error(error, describe_stream_summary_error_kind))?;
        let hours = output
            .stream_description_summary
            .map(|summary| summary.retention_period_hours)
            .ok_or_else(|| {
                ReadError::Other("DescribeStreamSummary answered without a summary".to_owned())
            })?;
        let hours = u64::try_from(hours).map_err(|_| {
            ReadError::Other(format!(
                "DescribeStreamSummary answered a retention of {hours} hours"
            ))
        })?;
        Ok(Duration::from_secs(hours * 3600))
    }
}

/// Converts an SDK shard description.
fn shard_summary(shard: Shard) -> Result<ShardSummary, ReadError> {
    let ending_sequence_number = shard
        .sequence_number_range
        .and_then(|range| range.ending_sequence_number)
        .map(|text| SequenceNumber::parse(&text))
        .transpose()
        .map_err(|error| {
            ReadError::Other(format!(
                "ListShards returned a bad sequence number: {error}"
            ))
        })?;
    Ok(ShardSummary {
        shard_id: shard.shard_id,
        parent_shard_id: shard.parent_shard_id,
        adjacent_parent_shard_id: shard.adjacent_parent_shard_id,
        ending_sequence_number,
    })
}

/// Converts an SDK record, keeping the data blob's bytes as they are.
fn stream_record(record: Record) -> Result<StreamRecord, ReadError> {
    let sequence_number = SequenceNumber::parse(&record.sequence_number).map_err(|error| {
        ReadError::Other(format!(
            "GetRecords returned a bad sequence number: {error}"
        ))
    })?;
    Ok(StreamRecord {
        sequence_number,
        // Every Kinesis record has a partition key; the SDK models it as
        // optional only because the wire format does not require it.
        partition_key: record.partition_key.unwrap_or_default(),
        approximate_arrival_millis: record
            .approximate_arrival_timestamp
            .and_then(|time| time.to_millis().ok()),
        data: record.data.into_inner(),
    })
}

fn records_error_kind(error: &GetRecordsError) -> Option<Kind> {
    use GetRecordsError as E;
    Some(match error {
        E::ProvisionedThroughputExceededException(_) => Kind::Throttled,
        E::ExpiredIteratorException(_) => Kind::Expired,
        E::ResourceNotFoundException(_) => Kind::NotFound,
        // Without kms:Decrypt on the stream's key the records cannot be read.
        E::AccessDeniedException(_) | E::KmsAccessDeniedException(_) => Kind::AccessDenied,
        E::KmsThrottlingException(_) | E::InternalFailureException(_) => Kind::Transient,
        E::InvalidArgumentException(_)
        | E::KmsDisabledException(_)
        | E::KmsInvalidStateException(_)
        | E::KmsNotFoundException(_)
        | E::KmsOptInRequired(_) => Kind::Other,
        _ => return None,
    })
}

fn shard_iterator_error_kind(error: &GetShardIteratorError) -> Option<Kind> {
    use GetShardIteratorError as E;
    Some(match error {
        E::ProvisionedThroughputExceededException(_) => Kind::Throttled,
        E::ResourceNotFoundException(_) => Kind::NotFound,
        E::AccessDeniedException(_) => Kind::AccessDenied,
        E::InternalFailureException(_) => Kind::Transient,
        E::InvalidArgumentException(_) => Kind::Other,
        _ => return None,
    })
}

fn list_shards_error_kind(error: &ListShardsError) -> Option<Kind> {
    use ListShardsError as E;
    Some(match error {
        E::LimitExceededException(_) => Kind::Throttled,
        E::ResourceNotFoundException(_) => Kind::NotFound,
        E::AccessDeniedException(_) => Kind::AccessDenied,
        E::ResourceInUseException(_) => Kind::Transient,
        E::ExpiredNextTokenException(_) | E::InvalidArgumentException(_) => Kind::Other,
        _ => return None,
    })
}

fn describe_stream_summary_error_kind(error: &DescribeStreamSummaryError) -> Option<Kind> {
    use DescribeStreamSummaryError as E;
    Some(match error {
        E::LimitExceededException(_) => Kind::Throttled,
        E::ResourceNotFoundException(_) => Kind::NotFound,
        E::AccessDeniedException(_) => Kind::AccessDenied,
        E::InvalidArgumentException(_) => Kind::Other,
        _ => return None,
    })
}

#[cfg(test)]
mod tests;
