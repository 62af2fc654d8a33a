//! The OnFailure record the ESM sends for a [`Discard`], in the exact JSON
//! shape AWS sends to an SNS or SQS destination (see
//! `events/onfailure-kinesis.json`):
//!
//! - `requestContext`: `requestId`, `functionArn`, `condition`,
//!   `approximateInvokeCount`;
//! - `responseContext` (`statusCode` 200, `executedVersion` `$LATEST`,
//!   `functionError` `"Unhandled"` or `null`), absent for
//!   `RecordAgeExceeded`;
//! - `version` `"1.0"`, `timestamp` ISO-8601 UTC with milliseconds and `Z`;
//! - `KinesisBatchInfo` (`DDBStreamBatchInfo` for a table stream): shard,
//!   first and last sequence number, arrival times of the first and last
//!   record (without milliseconds for a table stream, as AWS writes them;
//!   see `events/onfailure-dynamodb.json`), `batchSize`, `streamArn`.
//!
//! Fields are written in AWS's order, so the JSON reads like the real thing.

use serde::Serialize;

use super::batch::{Discard, DiscardCondition};
use super::clock::{iso8601_millis, iso8601_seconds};
use super::source::StreamKind;

/// Where the discarded records came from and which function gave up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureOrigin<'a> {
    pub kind: StreamKind,
    pub shard_id: &'a str,
    pub stream_arn: &'a str,
    pub function_arn: &'a str,
}

/// The OnFailure record for `discard`, as JSON text.
pub fn onfailure_record(
    discard: &Discard,
    origin: &FailureOrigin<'_>,
    request_id: &str,
    now_millis: i64,
) -> String {
    let (condition, response_context) = match &discard.condition {
        DiscardCondition::RetryAttemptsExhausted { function_error } => (
            "RetryAttemptsExhausted",
            Some(WrittenResponseContext {
                status_code: 200,
                executed_version: "$LATEST",
                function_error: function_error.as_deref(),
            }),
        ),
        DiscardCondition::RecordAgeExceeded => ("RecordAgeExceeded", None),
    };
    let range = &discard.range;
    let arrival = if origin.kind.arrival_millis() {
        iso8601_millis
    } else {
        iso8601_seconds
    };
    let record = OnFailureRecord {
        request_context: WrittenRequestContext {
            request_id,
            function_arn: origin.function_arn,
            condition,
            approximate_invoke_count: discard.approximate_invoke_count,
        },
        response_context,
        version: "1.0",
        timestamp: iso8601_millis(now_millis),
        batch_info: BatchInfoEntry {
            key: origin.kind.batch_info_key(),
            info: WrittenBatchInfo {
                shard_id: origin.shard_id,
                start_sequence_number: range.start_sequence_number.as_str(),
                end_sequence_number: range.end_sequence_number.as_str(),
                approximate_arrival_of_first_record: range
                    .approximate_arrival_of_first_record
                    .map(arrival),
                approximate_arrival_of_last_record: range
                    .approximate_arrival_of_last_record
                    .map(arrival),
                batch_size: range.batch_size,
                stream_arn: origin.stream_arn,
            },
        },
    };
    // Strings and integers only: serialisation cannot fail.
    serde_json::to_string(&record).unwrap_or_default()
}

// The writer's view of the record, strict and borrowed; core's
// `FailureRecord` reads the same JSON tolerantly (optional fields, unknown
// conditions kept).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OnFailureRecord<'a> {
    request_context: WrittenRequestContext<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_context: Option<WrittenResponseContext<'a>>,
    version: &'static str,
    timestamp: String,
    /// `KinesisBatchInfo` or `DDBStreamBatchInfo`, last as AWS writes it.
    #[serde(flatten)]
    batch_info: BatchInfoEntry<'a>,
}

/// The range under the key of its stream kind.
struct BatchInfoEntry<'a> {
    key: &'static str,
    info: WrittenBatchInfo<'a>,
}

impl Serialize for BatchInfoEntry<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(self.key, &self.info)?;
        map.end()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WrittenRequestContext<'a> {
    request_id: &'a str,
    function_arn: &'a str,
    condition: &'static str,
    approximate_invoke_count: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WrittenResponseContext<'a> {
    status_code: u16,
    executed_version: &'static str,
    /// Written as `null` when there was no function error.
    function_error: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WrittenBatchInfo<'a> {
    shard_id: &'a str,
    start_sequence_number: &'a str,
    end_sequence_number: &'a str,
    approximate_arrival_of_first_record: Option<String>,
    approximate_arrival_of_last_record: Option<String>,
    batch_size: u32,
    stream_arn: &'a str,
}

#[cfg(test)]
mod tests {
    use serde_json::Value;
    use streamdlq_core::{Condition, FailureRecord, SequenceNumber};

    use super::*;
    use crate::esm::batch::DiscardedRange;

    const THROWN: &str = include_str!("../../../../events/onfailure-kinesis.json");
    const SNS_PARTIAL: &str =
        include_str!("../../../../events/sns-onfailure-partial-batch-failure.json");
    const SNS_AGE: &str = include_str!("../../../../events/sns-onfailure-record-age-exceeded.json");

    const ORIGIN: FailureOrigin<'static> = FailureOrigin {
        kind: StreamKind::Kinesis,
        shard_id: "shardId-000000000000",
        stream_arn: "arn:aws:kinesis:us-east-1:123456789012:stream/streamdlq-demo",
        function_arn: "arn:aws:lambda:us-east-1:123456789012:function:streamdlq-processor",
    };
    const REQUEST_ID: &str = "2b4d1c9e-8f7a-4c53-9a1e-6d0f3b2a7c55";
    /// 2026-11-23T10:15:42.318Z, the fixtures' timestamp.
    const NOW: i64 = 1_795_428_942_318;

    fn discard(condition: DiscardCondition, batch_size: u32, count: u32) -> Discard {
        let end = if batch_size == 1 {
            "49656959252094532447391178218386271298406532436532183042"
        } else {
            "49656959252094532447391178218388689150045761694881595410"
        };
        Discard {
            condition,
            range: DiscardedRange {
                start_sequence_number: SequenceNumber::parse(
                    "49656959252094532447391178218386271298406532436532183042",
                )
                .expect("digits"),
                end_sequence_number: SequenceNumber::parse(end).expect("digits"),
                approximate_arrival_of_first_record: Some(1_795_428_897_512),
                approximate_arrival_of_last_record: Some(1_795_428_897_986),
                batch_size,
            },
            approximate_invoke_count: count,
        }
    }

    fn sns_message(envelope: &str) -> Value {
        let event: Value = serde_json::from_str(envelope).expect("SNS event");
        serde_json::from_str(
            event["Records"][0]["Sns"]["Message"]
                .as_str()
                .expect("message"),
        )
        .expect("OnFailure record")
    }

    /// A thrown error that ran out of retries gives the fixture's record,
    /// byte for byte once formatted alike.
    #[test]
    fn writes_the_record_aws_sends_for_a_thrown_error() {
        let unhandled = DiscardCondition::RetryAttemptsExhausted {
            function_error: Some("Unhandled".to_owned()),
        };
        let text = onfailure_record(&discard(unhandled, 3, 4), &ORIGIN, REQUEST_ID, NOW);

        // The fixture has no spaces inside its values: without its
        // whitespace it is the compact JSON, fields in AWS's order.
        let expected: String = THROWN.split_whitespace().collect();
        assert_eq!(text, expected, "same fields, same order");
    }

    /// A table stream's record is `DDBStreamBatchInfo` with arrival times
    /// to the second: the fixture's record, byte for byte once formatted
    /// alike.
    #[test]
    fn writes_the_record_aws_sends_for_a_table_stream() {
        const DYNAMODB: &str = include_str!("../../../../events/onfailure-dynamodb.json");
        let origin = FailureOrigin {
            kind: StreamKind::DynamoDb,
            shard_id: "shardId-00000001795428000000-a1b2c3d4",
            stream_arn: "arn:aws:dynamodb:eu-west-1:123456789012:table/elements/stream/2026-11-23T10:00:00.000",
            function_arn: "arn:aws:lambda:eu-west-1:123456789012:function:streamdlq-table-processor",
        };
        let discard = Discard {
            condition: DiscardCondition::RetryAttemptsExhausted {
                function_error: Some("Unhandled".to_owned()),
            },
            range: DiscardedRange {
                start_sequence_number: SequenceNumber::parse("111100000000019440561534")
                    .expect("digits"),
                end_sequence_number: SequenceNumber::parse("111100000000019440561734")
                    .expect("digits"),
                // 10:14:01.250Z and 10:14:03.900Z: written to the second.
                approximate_arrival_of_first_record: Some(1_795_428_841_250),
                approximate_arrival_of_last_record: Some(1_795_428_843_900),
                batch_size: 3,
            },
            approximate_invoke_count: 4,
        };
        let text = onfailure_record(
            &discard,
            &origin,
            "316aa6d0-8154-4a0d-9e3b-0a6c1b2e9f47",
            NOW,
        );

        let expected: String = DYNAMODB.split_whitespace().collect();
        assert_eq!(text, expected, "same fields, same order");
    }

    /// Retries of a partial failure that ran out: functionError is null,
    /// and present.
    #[test]
    fn writes_a_null_function_error_for_partial_failures() {
        let partial = DiscardCondition::RetryAttemptsExhausted {
            function_error: None,
        };
        let text = onfailure_record(&discard(partial, 3, 4), &ORIGIN, REQUEST_ID, NOW);

        let record: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(record, sns_message(SNS_PARTIAL));
        assert!(text.contains("\"functionError\":null"));
    }

    /// RecordAgeExceeded records carry no responseContext.
    #[test]
    fn writes_no_response_context_for_record_age_exceeded() {
        let text = onfailure_record(
            &discard(DiscardCondition::RecordAgeExceeded, 1, 1),
            &ORIGIN,
            REQUEST_ID,
            NOW,
        );

        let record: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(record, sns_message(SNS_AGE));
        assert!(!text.contains("responseContext"));
    }

    /// The hydrate side's parser reads what the ESM writes.
    #[test]
    fn round_trips_through_the_core_failure_record_parser() {
        let unhandled = DiscardCondition::RetryAttemptsExhausted {
            function_error: Some("Unhandled".to_owned()),
        };
        let text = onfailure_record(&discard(unhandled, 3, 4), &ORIGIN, REQUEST_ID, NOW);

        let parsed = FailureRecord::parse(&text).expect("parses");
        assert_eq!(parsed.batch.batch_size, 3);
        assert_eq!(parsed.batch.stream_arn, ORIGIN.stream_arn);
        let request = parsed.request_context.expect("request context");
        assert_eq!(request.condition, Some(Condition::RetryAttemptsExhausted));
        assert_eq!(request.approximate_invoke_count, Some(4));
        assert_eq!(parsed.original, text);
    }
}
