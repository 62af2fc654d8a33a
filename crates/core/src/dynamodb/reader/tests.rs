//! The adapter against mocked DynamoDB Streams answers: what it sends, and
//! how each service error reaches the engine.

use aws_sdk_dynamodbstreams::Client;
use aws_sdk_dynamodbstreams::config::retry::RetryConfig;
use aws_sdk_dynamodbstreams::operation::get_records::{GetRecordsError, GetRecordsOutput};
use aws_sdk_dynamodbstreams::operation::get_shard_iterator::{
    GetShardIteratorError, GetShardIteratorOutput,
};
use aws_sdk_dynamodbstreams::types::error::{
    ExpiredIteratorException, InternalServerError, LimitExceededException,
    ResourceNotFoundException, TrimmedDataAccessException,
};
use aws_sdk_dynamodbstreams::types::{
    AttributeValue as SdkValue, OperationType, Record, ShardIteratorType, StreamRecord,
};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};

use super::*;
use crate::sequence::SequenceNumber;

const ARN: &str =
    "arn:aws:dynamodb:eu-west-1:123456789012:table/elements/stream/2026-11-23T10:00:00.000";
const SHARD: &str = "shardId-00000001795428000000-a1b2c3d4";
const SEQ: &str = "111100000000019440561534";

/// A client over `rules` with the SDK's own retries off, so that each error
/// reaches the adapter as the engine would see it once those ran out.
fn client(rules: &[&Rule]) -> Client {
    mock_client!(
        aws_sdk_dynamodbstreams,
        RuleMode::MatchAny,
        rules,
        |config| config.retry_config(RetryConfig::disabled())
    )
}

fn sequence(text: &str) -> SequenceNumber {
    SequenceNumber::parse(text).expect("sequence number")
}

/// GetShardIterator names the stream by ARN and the shard by id, and starts
/// exactly at the range's first sequence number.
#[tokio::test]
async fn asks_for_an_iterator_at_the_sequence_number_by_stream_arn() {
    let at = mock!(Client::get_shard_iterator)
        .match_requests(|request| {
            request.stream_arn() == Some(ARN)
                && request.shard_id() == Some(SHARD)
                && request.shard_iterator_type() == Some(&ShardIteratorType::AtSequenceNumber)
                && request.sequence_number() == Some(SEQ)
        })
        .then_output(|| {
            GetShardIteratorOutput::builder()
                .shard_iterator("it-at")
                .build()
        });
    let reader = DynamoDbShardReader::new(client(&[&at]));
    let iterator = reader
        .shard_iterator(ARN, SHARD, &IteratorStart::At(sequence(SEQ)))
        .await
        .expect("iterator");
    assert_eq!(iterator, "it-at");
}

/// A page converts its records and says there is no lag figure; no next
/// iterator means the shard is closed and read to its end.
#[tokio::test]
async fn reads_a_page_without_millis_behind_latest() {
    let page = mock!(Client::get_records)
        .match_requests(|request| {
            request.shard_iterator() == Some("it-at") && request.limit() == Some(1_000)
        })
        .then_output(|| {
            let change = StreamRecord::builder()
                .keys("Symbol", SdkValue::S("B".into()))
                .sequence_number(SEQ)
                .size_bytes(40)
                .build();
            let record = Record::builder()
                .event_id("e1")
                .event_name(OperationType::Insert)
                .dynamodb(change)
                .build();
            GetRecordsOutput::builder().records(record).build()
        });
    let reader = DynamoDbShardReader::new(client(&[&page]));
    let page = reader.records(ARN, "it-at", 1_000).await.expect("page");
    assert_eq!(page.records.len(), 1);
    assert_eq!(page.records[0].event_name, "INSERT");
    assert_eq!(page.next_iterator, None);
    assert_eq!(page.millis_behind_latest, None);
}

/// Builds one modeled GetRecords error.
type ErrorFactory = fn() -> GetRecordsError;
/// Whether the adapter's error is the one expected.
type Expectation = fn(&ReadError) -> bool;

/// Each GetRecords error the service models reaches the engine as the
/// outcome it needs: trimmed, expired, throttled, not found, transient.
#[tokio::test]
async fn maps_get_records_errors_to_read_errors() {
    let cases: Vec<(ErrorFactory, Expectation)> = vec![
        (
            || {
                GetRecordsError::TrimmedDataAccessException(
                    TrimmedDataAccessException::builder()
                        .message("trimmed")
                        .build(),
                )
            },
            |e| matches!(e, ReadError::Trimmed(m) if m.contains("trimmed")),
        ),
        (
            || {
                GetRecordsError::ExpiredIteratorException(
                    ExpiredIteratorException::builder()
                        .message("expired")
                        .build(),
                )
            },
            |e| matches!(e, ReadError::IteratorExpired),
        ),
        (
            || {
                GetRecordsError::LimitExceededException(
                    LimitExceededException::builder()
                        .message("slow down")
                        .build(),
                )
            },
            |e| matches!(e, ReadError::Throttled(_)),
        ),
        (
            || {
                GetRecordsError::ResourceNotFoundException(
                    ResourceNotFoundException::builder().message("gone").build(),
                )
            },
            |e| matches!(e, ReadError::NotFound(_)),
        ),
        (
            || {
                GetRecordsError::InternalServerError(
                    InternalServerError::builder().message("oops").build(),
                )
            },
            |e| matches!(e, ReadError::Transient(_)),
        ),
    ];
    for (error, expected) in cases {
        let shown = format!("{:?}", error());
        let rule = mock!(Client::get_records).then_error(error);
        let reader = DynamoDbShardReader::new(client(&[&rule]));
        let read = reader.records(ARN, "it", 10).await.expect_err("an error");
        assert!(expected(&read), "{shown} became {read:?}");
    }
}

/// A start position older than the retention is `Trimmed`, which the
/// engine answers by reading from the trim horizon.
#[tokio::test]
async fn maps_a_trimmed_start_to_trimmed() {
    let rule = mock!(Client::get_shard_iterator).then_error(|| {
        GetShardIteratorError::TrimmedDataAccessException(
            TrimmedDataAccessException::builder()
                .message("beyond retention")
                .build(),
        )
    });
    let reader = DynamoDbShardReader::new(client(&[&rule]));
    let error = reader
        .shard_iterator(ARN, SHARD, &IteratorStart::At(sequence(SEQ)))
        .await
        .expect_err("trimmed");
    assert!(matches!(error, ReadError::Trimmed(_)), "{error:?}");
}
