//! The adapter against mocked Kinesis answers: what it sends, how it pages,
//! and how each SDK error reaches the engine.

use std::time::Duration;

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::config::retry::RetryConfig;
use aws_sdk_kinesis::operation::get_records::{GetRecordsError, GetRecordsOutput};
use aws_sdk_kinesis::operation::get_shard_iterator::{
    GetShardIteratorError, GetShardIteratorOutput,
};
use aws_sdk_kinesis::operation::list_shards::{ListShardsError, ListShardsOutput};
use aws_sdk_kinesis::primitives::{Blob, DateTime};
use aws_sdk_kinesis::types::error::{
    AccessDeniedException, ExpiredIteratorException, InternalFailureException,
    InvalidArgumentException, KmsThrottlingException, ProvisionedThroughputExceededException,
    ResourceNotFoundException,
};
use aws_sdk_kinesis::types::{HashKeyRange, Record, SequenceNumberRange, Shard, ShardIteratorType};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use tokio::time::Instant;

use super::*;
use crate::engine::{HydrateOptions, hydrate};
use crate::failure::BatchInfo;
use crate::hydration::HydrationStatus;

const ARN: &str = "arn:aws:kinesis:eu-west-1:123456789012:stream/orders";
const SHARD: &str = "shardId-000000000001";
const SEQ: [&str; 4] = [
    "49590338271490256608559692538361571095921575989136588898",
    "49590338271490256608559692539570496915536205163842764834",
    "49590338271490256608559692540925702759324208523137515618",
    "49590338271490256608559692542134628578938837697843691554",
];
const ARRIVAL_MILLIS: i64 = 1_795_428_841_123;

/// A client over `rules` with the SDK's own retries off, so that each error
/// reaches the adapter as the engine would see it once those ran out.
fn client(rules: &[&Rule]) -> Client {
    mock_client!(aws_sdk_kinesis, RuleMode::MatchAny, rules, |config| config
        .retry_config(RetryConfig::disabled()))
}

fn record(seq: &str, data: &[u8]) -> Record {
    Record::builder()
        .sequence_number(seq)
        .partition_key(format!("pk-{}", &seq[50..]))
        .data(Blob::new(data))
        .approximate_arrival_timestamp(DateTime::from_millis(ARRIVAL_MILLIS))
        .build()
        .expect("complete record")
}

fn sequence(text: &str) -> SequenceNumber {
    SequenceNumber::parse(text).expect("sequence number")
}

/// GetShardIterator names the stream by ARN (never by name) and starts
/// exactly at, or just after, the given sequence number.
#[tokio::test]
async fn asks_for_iterators_by_stream_arn_at_and_after_a_sequence_number() {
    let at = mock!(Client::get_shard_iterator)
        .match_requests(|request| {
            request.stream_arn() == Some(ARN)
                && request.stream_name().is_none()
                && request.shard_id() == Some(SHARD)
                && request.shard_iterator_type() == Some(&ShardIteratorType::AtSequenceNumber)
                && request.starting_sequence_number() == Some(SEQ[0])
        })
        .then_output(|| {
            GetShardIteratorOutput::builder()
                .shard_iterator("it-at")
                .build()
        });
    let after = mock!(Client::get_shard_iterator)
        .match_requests(|request| {
            request.stream_arn() == Some(ARN)
                && request.stream_name().is_none()
                && request.shard_iterator_type() == Some(&ShardIteratorType::AfterSequenceNumber)
                && request.starting_sequence_number() == Some(SEQ[2])
        })
        .then_output(|| {
            GetShardIteratorOutput::builder()
                .shard_iterator("it-after")
                .build()
        });
    let reader = KinesisShardReader::new(client(&[&at, &after]));

    let from_start = reader
        .shard_iterator(ARN, SHARD, &IteratorStart::At(sequence(SEQ[0])))
        .await;
    let resumed = reader
        .shard_iterator(ARN, SHARD, &IteratorStart::After(sequence(SEQ[2])))
        .await;

    assert_eq!(from_start, Ok("it-at".to_owned()));
    assert_eq!(resumed, Ok("it-after".to_owned()));
    assert_eq!((at.num_calls(), after.num_calls()), (1, 1));
}

/// TRIM_HORIZON and LATEST carry no sequence number; AT_TIMESTAMP carries
/// the time to the millisecond.
#[tokio::test]
async fn asks_for_iterators_at_the_horizon_the_tip_and_a_timestamp() {
    let no_position =
        |request: &aws_sdk_kinesis::operation::get_shard_iterator::GetShardIteratorInput| {
            request.starting_sequence_number().is_none() && request.timestamp().is_none()
        };
    let horizon = mock!(Client::get_shard_iterator)
        .match_requests(move |request| {
            request.shard_iterator_type() == Some(&ShardIteratorType::TrimHorizon)
                && no_position(request)
        })
        .then_output(|| {
            GetShardIteratorOutput::builder()
                .shard_iterator("it-horizon")
                .build()
        });
    let latest = mock!(Client::get_shard_iterator)
        .match_requests(move |request| {
            request.shard_iterator_type() == Some(&ShardIteratorType::Latest)
                && no_position(request)
        })
        .then_output(|| {
            GetShardIteratorOutput::builder()
                .shard_iterator("it-latest")
                .build()
        });
    let at_time = mock!(Client::get_shard_iterator)
        .match_requests(|request| {
            request.shard_iterator_type() == Some(&ShardIteratorType::AtTimestamp)
                && request.timestamp() == Some(&DateTime::from_millis(ARRIVAL_MILLIS))
        })
        .then_output(|| {
            GetShardIteratorOutput::builder()
                .shard_iterator("it-time")
                .build()
        });
    let reader = KinesisShardReader::new(client(&[&horizon, &latest, &at_time]));

    let mut iterators = Vec::new();
    for start in [
        IteratorStart::TrimHorizon,
        IteratorStart::Latest,
        IteratorStart::AtTimestamp(ARRIVAL_MILLIS),
    ] {
        iterators.push(reader.shard_iterator(ARN, SHARD, &start).await);
    }

    assert_eq!(
        iterators,
        [
            Ok("it-horizon".to_owned()),
            Ok("it-latest".to_owned()),
            Ok("it-time".to_owned())
        ]
    );
}

fn shard(id: &str, parent: Option<&str>, ending: Option<&str>) -> Shard {
    Shard::builder()
        .shard_id(id)
        .set_parent_shard_id(parent.map(str::to_owned))
        .hash_key_range(
            HashKeyRange::builder()
                .starting_hash_key("0")
                .ending_hash_key("340282366920938463463374607431768211455")
                .build()
                .expect("hash key range"),
        )
        .sequence_number_range(
            SequenceNumberRange::builder()
                .starting_sequence_number(SEQ[0])
                .set_ending_sequence_number(ending.map(str::to_owned))
                .build()
                .expect("sequence number range"),
        )
        .build()
        .expect("shard")
}

/// ListShards names the stream by ARN on the first page and follows
/// NextToken alone, keeping lineage and the closed state of each shard.
#[tokio::test]
async fn lists_shards_across_pages_with_lineage() {
    let first = mock!(Client::list_shards)
        .match_requests(|request| {
            request.stream_arn() == Some(ARN)
                && request.stream_name().is_none()
                && request.next_token().is_none()
        })
        .then_output(|| {
            ListShardsOutput::builder()
                .shards(shard("shardId-000000000000", None, Some(SEQ[3])))
                .next_token("page-2")
                .build()
        });
    let second = mock!(Client::list_shards)
        .match_requests(|request| {
            request.next_token() == Some("page-2") && request.stream_arn().is_none()
        })
        .then_output(|| {
            ListShardsOutput::builder()
                .shards(shard(
                    "shardId-000000000001",
                    Some("shardId-000000000000"),
                    None,
                ))
                .build()
        });
    let reader = KinesisShardReader::new(client(&[&first, &second]));

    let shards = reader.list_shards(ARN).await.expect("shards");

    assert_eq!(
        shards,
        [
            ShardSummary {
                shard_id: "shardId-000000000000".to_owned(),
                parent_shard_id: None,
                adjacent_parent_shard_id: None,
                ending_sequence_number: Some(sequence(SEQ[3])),
            },
            ShardSummary {
                shard_id: "shardId-000000000001".to_owned(),
                parent_shard_id: Some("shardId-000000000000".to_owned()),
                adjacent_parent_shard_id: None,
                ending_sequence_number: None,
            },
        ]
    );
    assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
}

/// A throttled or missing stream reaches the caller as the right kind.
#[tokio::test]
async fn maps_list_shards_errors_to_read_errors() {
    let throttled = mock!(Client::list_shards)
        .match_requests(|request| request.stream_arn() == Some(ARN))
        .then_error(|| {
            ListShardsError::LimitExceededException(
                aws_sdk_kinesis::types::error::LimitExceededException::builder()
                    .message("Rate exceeded")
                    .build(),
            )
        });
    let missing = mock!(Client::list_shards)
        .match_requests(|request| {
            request.stream_arn() == Some("arn:aws:kinesis:eu-west-1:123456789012:stream/gone")
        })
        .then_error(|| {
            ListShardsError::ResourceNotFoundException(
                ResourceNotFoundException::builder().message("gone").build(),
            )
        });
    let reader = KinesisShardReader::new(client(&[&throttled, &missing]));

    let throttled_answer = reader.list_shards(ARN).await;
    let missing_answer = reader
        .list_shards("arn:aws:kinesis:eu-west-1:123456789012:stream/gone")
        .await;

    assert!(
        matches!(throttled_answer, Err(ReadError::Throttled(_))),
        "{throttled_answer:?}"
    );
    assert!(
        matches!(missing_answer, Err(ReadError::NotFound(_))),
        "{missing_answer:?}"
    );
}

/// The engine pages through GetRecords via the adapter: stream ARN on every
/// call, limits shrinking to what is missing, bytes and metadata intact.
#[tokio::test]
async fn hydrates_a_range_across_two_get_records_pages() {
    let all_bytes: Vec<u8> = (0..=255).collect();
    let first_data = all_bytes.clone();
    let iterator = mock!(Client::get_shard_iterator)
        .match_requests(|request| request.stream_arn() == Some(ARN))
        .then_output(|| {
            GetShardIteratorOutput::builder()
                .shard_iterator("it-1")
                .build()
        });
    let first_page = mock!(Client::get_records)
        .match_requests(|request| {
            request.stream_arn() == Some(ARN)
                && request.shard_iterator() == Some("it-1")
                && request.limit() == Some(3)
        })
        .then_output(move || {
            GetRecordsOutput::builder()
                .records(record(SEQ[0], &first_data))
                .records(record(SEQ[1], b"second"))
                .next_shard_iterator("it-2")
                .millis_behind_latest(60_000)
                .build()
                .expect("output")
        });
    let second_page = mock!(Client::get_records)
        .match_requests(|request| {
            request.stream_arn() == Some(ARN)
                && request.shard_iterator() == Some("it-2")
                && request.limit() == Some(1)
        })
        .then_output(|| {
            GetRecordsOutput::builder()
                .records(record(SEQ[2], b"third"))
                .records(record(SEQ[3], b"beyond the range"))
                .next_shard_iterator("it-3")
                .build()
                .expect("output")
        });
    let reader = KinesisShardReader::new(client(&[&iterator, &first_page, &second_page]));
    let batch = BatchInfo {
        shard_id: SHARD.to_owned(),
        start_sequence_number: sequence(SEQ[0]),
        end_sequence_number: sequence(SEQ[2]),
        approximate_arrival_of_first_record: None,
        approximate_arrival_of_last_record: None,
        batch_size: 3,
        stream_arn: ARN.to_owned(),
    };
    let options = HydrateOptions {
        min_call_interval: Duration::ZERO,
        ..HydrateOptions::default()
    };

    let report = hydrate(
        &reader,
        &batch,
        &options,
        Instant::now() + Duration::from_secs(30),
    )
    .await;

    assert_eq!(report.hydration.status, HydrationStatus::Complete);
    let records = &report.hydration.records;
    let sequence_numbers: Vec<&str> = records.iter().map(|r| r.sequence_number.as_str()).collect();
    assert_eq!(sequence_numbers, SEQ[..3]);
    assert_eq!(records[0].data, all_bytes);
    assert_eq!(records[1].data, b"second");
    assert_eq!(records[0].partition_key, format!("pk-{}", &SEQ[0][50..]));
    assert_eq!(records[0].approximate_arrival_millis, Some(ARRIVAL_MILLIS));
    assert_eq!((first_page.num_calls(), second_page.num_calls()), (1, 1));
}

/// A closed shard's last page arrives without a next iterator.
#[tokio::test]
async fn passes_on_the_end_of_a_closed_shard() {
    let page = mock!(Client::get_records).then_output(|| {
        GetRecordsOutput::builder()
            .set_records(Some(Vec::new()))
            .build()
            .expect("output")
    });
    let reader = KinesisShardReader::new(client(&[&page]));

    let answer = reader.records(ARN, "it-1", 10).await.expect("page");

    assert_eq!(answer.next_iterator, None);
    assert!(answer.records.is_empty());
}

/// Each GetRecords service error reaches the engine as the right kind.
#[tokio::test]
async fn maps_get_records_errors_to_read_errors() {
    type Case = (fn() -> GetRecordsError, fn(&ReadError) -> bool);
    let cases: Vec<Case> = vec![
        (
            || {
                GetRecordsError::ProvisionedThroughputExceededException(
                    ProvisionedThroughputExceededException::builder()
                        .message("Rate exceeded for shard shardId-000000000001")
                        .build(),
                )
            },
            |e| matches!(e, ReadError::Throttled(m) if m.contains("Rate exceeded")),
        ),
        (
            || {
                GetRecordsError::ExpiredIteratorException(
                    ExpiredIteratorException::builder()
                        .message("Iterator expired")
                        .build(),
                )
            },
            |e| *e == ReadError::IteratorExpired,
        ),
        (
            || {
                GetRecordsError::ResourceNotFoundException(
                    ResourceNotFoundException::builder().build(),
                )
            },
            |e| matches!(e, ReadError::NotFound(_)),
        ),
        (
            || GetRecordsError::AccessDeniedException(AccessDeniedException::builder().build()),
            |e| matches!(e, ReadError::AccessDenied(_)),
        ),
        (
            || GetRecordsError::KmsThrottlingException(KmsThrottlingException::builder().build()),
            |e| matches!(e, ReadError::Transient(_)),
        ),
        (
            || {
                GetRecordsError::InternalFailureException(
                    InternalFailureException::builder().build(),
                )
            },
            |e| matches!(e, ReadError::Transient(_)),
        ),
        (
            || {
                GetRecordsError::InvalidArgumentException(
                    InvalidArgumentException::builder().build(),
                )
            },
            |e| matches!(e, ReadError::Other(_)),
        ),
    ];
    for (error, expected) in cases {
        let shown = format!("{:?}", error());
        let rule = mock!(Client::get_records).then_error(error);
        let reader = KinesisShardReader::new(client(&[&rule]));

        let answer = reader.records(ARN, "it-1", 10).await;

        let mapped = answer.expect_err("an error");
        assert!(expected(&mapped), "{shown} became {mapped:?}");
    }
}

/// Errors GetRecords does not model are read from their code and status:
/// LimitExceeded is throttling, a 5xx is transient, a 4xx is not retried.
#[tokio::test]
async fn maps_unmodeled_errors_by_code_and_status() {
    type Case = (u16, &'static str, fn(&ReadError) -> bool);
    let cases: [Case; 3] = [
        (
            400,
            r#"{"__type":"LimitExceededException","message":"Rate exceeded"}"#,
            |e| matches!(e, ReadError::Throttled(m) if m.contains("LimitExceededException")),
        ),
        (503, r#"{"__type":"ServiceUnavailable"}"#, |e| {
            matches!(e, ReadError::Transient(_))
        }),
        (400, r#"{"__type":"ValidationException"}"#, |e| {
            matches!(e, ReadError::Other(_))
        }),
    ];
    for (status, body, expected) in cases {
        let rule = mock!(Client::get_records)
            .sequence()
            .http_status(status, Some(body.to_owned()))
            .build();
        let reader = KinesisShardReader::new(client(&[&rule]));

        let mapped = reader.records(ARN, "it-1", 10).await.expect_err("an error");

        assert!(expected(&mapped), "{status} {body} became {mapped:?}");
    }
}

/// GetShardIterator errors map the same way: throttling is retryable,
/// a missing stream is not.
#[tokio::test]
async fn maps_get_shard_iterator_errors_to_read_errors() {
    let throttled = mock!(Client::get_shard_iterator)
        .match_requests(|request| request.shard_id() == Some("shardId-000000000001"))
        .then_error(|| {
            GetShardIteratorError::ProvisionedThroughputExceededException(
                ProvisionedThroughputExceededException::builder().build(),
            )
        });
    let missing = mock!(Client::get_shard_iterator)
        .match_requests(|request| request.shard_id() == Some("shardId-000000000002"))
        .then_error(|| {
            GetShardIteratorError::ResourceNotFoundException(
                ResourceNotFoundException::builder()
                    .message("Shard shardId-000000000002 does not exist")
                    .build(),
            )
        });
    let reader = KinesisShardReader::new(client(&[&throttled, &missing]));
    let start = IteratorStart::At(sequence(SEQ[0]));

    let first = reader
        .shard_iterator(ARN, "shardId-000000000001", &start)
        .await;
    let second = reader
        .shard_iterator(ARN, "shardId-000000000002", &start)
        .await;

    assert!(matches!(first, Err(ReadError::Throttled(_))), "{first:?}");
    assert!(
        matches!(second, Err(ReadError::NotFound(ref m)) if m.contains("does not exist")),
        "{second:?}"
    );
}

/// The SDK's own retry configuration absorbs throttling first: the adapter
/// only sees what is left once it gave up.
#[tokio::test]
async fn lets_the_sdk_retry_throttling_before_surfacing_it() {
    // As Kinesis answers it on the wire, so the SDK can classify it.
    let throttled =
        r#"{"__type":"ProvisionedThroughputExceededException","message":"Rate exceeded"}"#;
    let rule = mock!(Client::get_records)
        .sequence()
        .http_status(400, Some(throttled.to_owned()))
        .times(2)
        .output(|| {
            GetRecordsOutput::builder()
                .records(record(SEQ[0], b"after retries"))
                .next_shard_iterator("it-2")
                .build()
                .expect("output")
        })
        .build();
    let retrying = mock_client!(aws_sdk_kinesis, RuleMode::Sequential, [&rule], |config| {
        config.retry_config(
            RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(1)),
        )
    });
    let reader = KinesisShardReader::new(retrying);

    let page = reader
        .records(ARN, "it-1", 10)
        .await
        .expect("page after SDK retries");

    assert_eq!(page.records.len(), 1);
    assert_eq!(rule.num_calls(), 3);
}

/// Hydrating through the adapter is a `Send` future, as the Lambda runtime
/// and multi-threaded executors require.
#[test]
fn hydrates_in_a_send_future() {
    fn assert_send<T: Send>(_: &T) {}
    let rule = mock!(Client::get_records).then_error(|| {
        GetRecordsError::InternalFailureException(InternalFailureException::builder().build())
    });
    let reader = KinesisShardReader::new(client(&[&rule]));
    let batch = BatchInfo {
        shard_id: SHARD.to_owned(),
        start_sequence_number: sequence(SEQ[0]),
        end_sequence_number: sequence(SEQ[1]),
        approximate_arrival_of_first_record: None,
        approximate_arrival_of_last_record: None,
        batch_size: 2,
        stream_arn: ARN.to_owned(),
    };
    let options = HydrateOptions::default();
    let future = hydrate(&reader, &batch, &options, Instant::now());
    assert_send(&future);
}

/// The retention comes from DescribeStreamSummary, asked by stream ARN.
#[tokio::test]
async fn reads_retention_from_describe_stream_summary_by_arn() {
    use aws_sdk_kinesis::operation::describe_stream_summary::DescribeStreamSummaryOutput;
    use aws_sdk_kinesis::types::{StreamDescriptionSummary, StreamStatus};

    use crate::retention::StreamRetention as _;

    let rule = mock!(Client::describe_stream_summary)
        .match_requests(|request| {
            request.stream_arn() == Some(ARN) && request.stream_name().is_none()
        })
        .then_output(|| {
            DescribeStreamSummaryOutput::builder()
                .stream_description_summary(
                    StreamDescriptionSummary::builder()
                        .stream_name("orders")
                        .stream_arn(ARN)
                        .stream_status(StreamStatus::Active)
                        .retention_period_hours(168)
                        .stream_creation_timestamp(DateTime::from_millis(ARRIVAL_MILLIS))
                        .set_enhanced_monitoring(Some(Vec::new()))
                        .open_shard_count(2)
                        .build()
                        .expect("summary"),
                )
                .build()
        });
    let reader = KinesisShardReader::new(client(&[&rule]));

    let retention = reader.retention_period(ARN).await.expect("retention");

    assert_eq!(retention, Duration::from_secs(168 * 3600));
    assert_eq!(rule.num_calls(), 1);
}

/// A role without kinesis:DescribeStreamSummary gets AccessDenied, not a guess.
#[tokio::test]
async fn reports_denied_retention_lookup_as_access_denied() {
    use aws_sdk_kinesis::operation::describe_stream_summary::DescribeStreamSummaryError;

    use crate::retention::StreamRetention as _;

    let rule = mock!(Client::describe_stream_summary).then_error(|| {
        DescribeStreamSummaryError::AccessDeniedException(
            AccessDeniedException::builder().message("denied").build(),
        )
    });
    let reader = KinesisShardReader::new(client(&[&rule]));

    let error = reader.retention_period(ARN).await.expect_err("denied");

    assert!(matches!(error, ReadError::AccessDenied(_)), "{error:?}");
}
