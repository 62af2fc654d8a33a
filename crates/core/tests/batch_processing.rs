//! The batch helper over the `events/` fixtures: ordering, fail-fast,
//! panics, undecodable records and the exact response shape.

mod batch_support;

use batch_support::{Script, ScriptedHandler, VALID, batch, event, sequence_numbers};
use serde_json::Value;
use streamdlq_core::batch::{BatchOutcome, DataError, FailureCause, FailureKind, process_batch};

const INVALID_BASE64: &str = include_str!("../../../events/kinesis-batch-invalid-base64.json");
const EMPTY: &str = include_str!("../../../events/kinesis-batch-empty.json");

fn response_json(outcome: &BatchOutcome) -> String {
    serde_json::to_string(&outcome.response()).expect("response serialises")
}

fn failure_json(sequence_number: &str) -> String {
    format!(r#"{{"batchItemFailures":[{{"itemIdentifier":"{sequence_number}"}}]}}"#)
}

/// A batch the handler accepts entirely answers `{"batchItemFailures": []}`.
#[tokio::test]
async fn all_valid_records_answer_empty_batch_item_failures() {
    let handler = ScriptedHandler::default();
    let outcome = process_batch(batch(event(VALID)), &handler).await;
    assert_eq!(response_json(&outcome), r#"{"batchItemFailures":[]}"#);
    assert_eq!(outcome.processed, 5);
    assert_eq!(
        handler.seen_sequence_numbers(),
        sequence_numbers(&event(VALID))
    );
}

/// A failure at any position k reports exactly record k's sequence number,
/// and the handler never sees the records after k.
#[tokio::test]
async fn reports_first_failed_sequence_number_and_stops_there() {
    let all = sequence_numbers(&event(VALID));
    for k in 0..all.len() {
        let handler = ScriptedHandler::at(k, Script::Fail { retryable: false });
        let outcome = process_batch(batch(event(VALID)), &handler).await;
        assert_eq!(response_json(&outcome), failure_json(&all[k]), "k = {k}");
        assert_eq!(handler.seen_sequence_numbers(), all[..=k], "k = {k}");
        assert_eq!(outcome.processed, k);
    }
}

/// A panic inside the handler becomes a failure of that record, not a
/// crashed invocation, and nothing after it runs.
#[tokio::test]
async fn panicking_handler_fails_that_record() {
    let all = sequence_numbers(&event(VALID));
    let handler = ScriptedHandler::at(2, Script::Panic);
    let outcome = process_batch(batch(event(VALID)), &handler).await;
    assert_eq!(response_json(&outcome), failure_json(&all[2]));
    assert_eq!(handler.seen_sequence_numbers(), all[..=2]);
    assert_eq!(
        outcome.failures[0].cause,
        FailureCause::Panic("scripted panic".to_owned())
    );
    assert_eq!(outcome.failures[0].cause.kind(), FailureKind::Poison);
}

/// Invalid base64 fails its own record; the handler sees neither it nor
/// anything after it.
#[tokio::test]
async fn invalid_base64_fails_that_record() {
    let fixture = event(INVALID_BASE64);
    let all = sequence_numbers(&fixture);
    let handler = ScriptedHandler::default();
    let outcome = process_batch(batch(fixture), &handler).await;
    assert_eq!(response_json(&outcome), failure_json(&all[1]));
    assert_eq!(handler.seen_sequence_numbers(), all[..1]);
    assert!(matches!(
        outcome.failures[0].cause,
        FailureCause::Data(DataError::InvalidBase64(_))
    ));
}

/// A malformed field (`partitionKey` a number in record 3,
/// `approximateArrivalTimestamp` a string in record 4) fails from that
/// record: the records before it are processed, the event stays readable.
#[tokio::test]
async fn malformed_field_fails_from_that_record() {
    let mut fixture = event(VALID);
    let all = sequence_numbers(&fixture);
    fixture["Records"][2]["kinesis"]["partitionKey"] = serde_json::json!(42);
    fixture["Records"][3]["kinesis"]["approximateArrivalTimestamp"] =
        serde_json::json!("1795428897.512");
    let text = fixture.to_string();
    let handler = ScriptedHandler::default();

    let batch: streamdlq_core::KinesisBatch =
        serde_json::from_str(&text).expect("one malformed record leaves the event readable");
    let outcome = process_batch(batch, &handler).await;

    assert_eq!(response_json(&outcome), failure_json(&all[2]));
    assert_eq!(handler.seen_sequence_numbers(), all[..2]);
    assert_eq!(
        outcome.failures[0].cause,
        FailureCause::Data(DataError::MalformedField {
            field: "partitionKey",
            expected: "a string",
            found: "a number",
        })
    );
}

/// `{"Records": []}` succeeds without calling the handler.
#[tokio::test]
async fn empty_batch_succeeds() {
    let handler = ScriptedHandler::default();
    let outcome = process_batch(batch(event(EMPTY)), &handler).await;
    assert_eq!(response_json(&outcome), r#"{"batchItemFailures":[]}"#);
    assert!(outcome.is_success());
    assert!(handler.seen_sequence_numbers().is_empty());
}

/// The handler gets the producer's bytes, decoded from the event's base64.
#[tokio::test]
async fn hands_the_decoded_bytes_to_the_handler() {
    let typed: aws_lambda_events::kinesis::KinesisEvent =
        serde_json::from_str(VALID).expect("typed event");
    let handler = ScriptedHandler::default();
    process_batch(batch(event(VALID)), &handler).await;
    let seen = handler.seen.lock().expect("not poisoned");
    let expected: Vec<&[u8]> = typed
        .records
        .iter()
        .map(|record| record.kinesis.data.as_slice())
        .collect();
    let got: Vec<&[u8]> = seen.iter().map(|(_, data)| data.as_slice()).collect();
    assert_eq!(got, expected);
    assert!(got[0].starts_with(br#"{"AtomicNumber":1,"#));
}

/// Handler errors keep the handler's own poison/transient verdict.
#[tokio::test]
async fn keeps_the_handlers_retryable_verdict() {
    for (retryable, kind) in [(true, FailureKind::Transient), (false, FailureKind::Poison)] {
        let handler = ScriptedHandler::at(1, Script::Fail { retryable });
        let outcome = process_batch(batch(event(VALID)), &handler).await;
        assert_eq!(outcome.failures[0].cause.kind(), kind);
        assert_eq!(
            outcome.failures[0].cause,
            FailureCause::Handler {
                message: "scripted failure".to_owned(),
                retryable
            }
        );
    }
}

/// An event whose records are out of order is processed in numeric sequence
/// order, so a reported failure never acknowledges an unprocessed record.
#[tokio::test]
async fn processes_records_in_sequence_order_whatever_the_event_order() {
    let mut fixture = event(VALID);
    let ascending = sequence_numbers(&fixture);
    fixture["Records"]
        .as_array_mut()
        .expect("Records")
        .reverse();
    // Position 3 in the reversed event is the second-lowest sequence number.
    let handler = ScriptedHandler::at(3, Script::Fail { retryable: false });
    let outcome = process_batch(batch(fixture), &handler).await;
    assert_eq!(handler.seen_sequence_numbers(), ascending[..2]);
    assert_eq!(response_json(&outcome), failure_json(&ascending[1]));
}

/// The ESM never mixes shards in one event; if an event did, each shard
/// stops at its own first failure and the others still run.
#[tokio::test]
async fn stops_each_shard_at_its_own_failure() {
    let mut fixture = event(VALID);
    let all = sequence_numbers(&fixture);
    for position in [3, 4] {
        fixture["Records"][position]["eventID"] =
            Value::String(format!("shardId-000000000001:{}", all[position]));
    }
    let handler = ScriptedHandler::at(1, Script::Fail { retryable: true });
    let outcome = process_batch(batch(fixture), &handler).await;
    assert_eq!(
        handler.seen_sequence_numbers(),
        [all[0].as_str(), &all[1], &all[3], &all[4]]
    );
    assert_eq!(response_json(&outcome), failure_json(&all[1]));
}

/// After a panic no other shard is attempted: each reports its first record.
#[tokio::test]
async fn reports_other_shards_unattempted_after_a_panic() {
    let mut fixture = event(VALID);
    let all = sequence_numbers(&fixture);
    for position in [3, 4] {
        fixture["Records"][position]["eventID"] =
            Value::String(format!("shardId-000000000001:{}", all[position]));
    }
    let handler = ScriptedHandler::at(0, Script::Panic);
    let outcome = process_batch(batch(fixture), &handler).await;
    assert_eq!(handler.seen_sequence_numbers(), all[..1]);
    let reported: Vec<_> = outcome
        .response()
        .batch_item_failures
        .into_iter()
        .map(|failure| failure.item_identifier)
        .collect();
    assert_eq!(reported, [Some(all[0].clone()), Some(all[3].clone())]);
    assert_eq!(outcome.failures[1].cause, FailureCause::NotAttempted);
}
