//! [`FakeRecord`]: what a [`FakeStream`](super::FakeStream) needs to know
//! about the records it holds, so one fake serves Kinesis and DynamoDB
//! Streams the way each service behaves.

use crate::dynamodb::{AttributeValue, DynamoDbRecord, EVENT_SOURCE, EpochTime, StreamChange};
use crate::sequence::SequenceNumber;
use crate::stream::{ShardRecord, StreamRecord};

use super::sequence;

/// A record kind a fake stream can hold.
pub trait FakeRecord: ShardRecord {
    /// Whether pages say `MillisBehindLatest` (Kinesis) or not (DynamoDB
    /// Streams).
    const REPORTS_LAG: bool;
    /// Whether a position retention trimmed is refused with
    /// `TrimmedDataAccessException` (DynamoDB Streams) rather than read
    /// from the oldest record left (Kinesis).
    const REFUSES_TRIMMED: bool;

    /// The sequence number of record `index` (0-based) of shard number
    /// `shard`, in the service's shape.
    fn nth_sequence_number(shard: usize, index: usize) -> SequenceNumber;

    /// The `n`th generated record of a shard (`put_many`).
    fn generated(sequence_number: SequenceNumber, arrival_millis: i64, n: usize) -> Self;
}

impl FakeRecord for StreamRecord {
    const REPORTS_LAG: bool = true;
    const REFUSES_TRIMMED: bool = false;

    fn nth_sequence_number(shard: usize, index: usize) -> SequenceNumber {
        sequence::nth(shard, index)
    }

    fn generated(sequence_number: SequenceNumber, arrival_millis: i64, n: usize) -> Self {
        StreamRecord {
            sequence_number,
            partition_key: format!("pk-{n}"),
            approximate_arrival_millis: Some(arrival_millis),
            data: format!("record-{n}").into_bytes(),
        }
    }
}

impl FakeRecord for DynamoDbRecord {
    const REPORTS_LAG: bool = false;
    const REFUSES_TRIMMED: bool = true;

    fn nth_sequence_number(shard: usize, index: usize) -> SequenceNumber {
        sequence::nth_dynamodb(shard, index)
    }

    fn generated(sequence_number: SequenceNumber, arrival_millis: i64, n: usize) -> Self {
        let key = [("pk".to_owned(), AttributeValue::S(format!("pk-{n}")))];
        let mut image = key.clone().into_iter().collect::<crate::dynamodb::Item>();
        image.insert("n".to_owned(), AttributeValue::N(n.to_string()));
        DynamoDbRecord {
            event_id: format!("{n:032x}"),
            event_name: "INSERT".to_owned(),
            event_version: "1.1".to_owned(),
            event_source: EVENT_SOURCE.to_owned(),
            aws_region: "eu-west-1".to_owned(),
            dynamodb: StreamChange {
                // DynamoDB Streams rounds creation times to the second.
                approximate_creation_date_time: Some(EpochTime(arrival_millis / 1000 * 1000)),
                keys: Some(key.into_iter().collect()),
                new_image: Some(image),
                old_image: None,
                sequence_number,
                size_bytes: Some(20 + n.to_string().len() as u64 * 2),
                stream_view_type: Some("NEW_AND_OLD_IMAGES".to_owned()),
            },
            user_identity: None,
        }
    }
}
