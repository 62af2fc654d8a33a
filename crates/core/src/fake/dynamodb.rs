//! [`FakeDynamoDbStream`]: the fake stream holding DynamoDB Streams records.

use super::FakeStream;
use crate::dynamodb::DynamoDbRecord;

/// An in-memory DynamoDB table stream: 24-digit sequence numbers, pages of
/// at most 1,000 records without `MillisBehindLatest`, and
/// `TrimmedDataAccessException` for positions retention removed.
///
/// ```
/// # use streamdlq_core::fake::FakeDynamoDbStream;
/// let stream = FakeDynamoDbStream::dynamodb(FakeDynamoDbStream::TABLE_STREAM_ARN);
/// stream.put_many("shardId-00000001795428000000-a1b2c3d4", 3);
/// let batch = stream.batch("shardId-00000001795428000000-a1b2c3d4", 0..=2);
/// assert_eq!(batch.start_sequence_number.as_str().len(), 24);
/// ```
pub type FakeDynamoDbStream = FakeStream<DynamoDbRecord>;

impl FakeStream<DynamoDbRecord> {
    /// A table stream ARN in the shape AWS uses.
    pub const TABLE_STREAM_ARN: &str =
        "arn:aws:dynamodb:eu-west-1:123456789012:table/elements/stream/2026-11-23T10:00:00.000";

    /// An empty table stream; shards appear on first use.
    pub fn dynamodb(stream_arn: impl Into<String>) -> Self {
        Self::empty(stream_arn)
    }
}
