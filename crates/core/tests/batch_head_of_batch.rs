//! The head-of-batch rule: a poison record answers with a partial batch
//! failure when records before it succeeded, and with a function error
//! ([`PoisonAtHead`]) when it is the first record of a batch of two or more,
//! so that the ESM bisects until the pill is alone.

mod batch_support;

use batch_support::{Script, ScriptedHandler, VALID, batch, event, sequence_numbers};
use serde_json::Value;
use streamdlq_core::batch::{
    BatchOptions, BatchOutcome, FailureCause, PoisonAtHead, process_batch, process_batch_with,
};

const POISON: Script = Script::Fail { retryable: false };
const TRANSIENT: Script = Script::Fail { retryable: true };

/// The partial answer's identifiers, or the function error.
fn answer(outcome: &BatchOutcome) -> Result<Vec<String>, PoisonAtHead> {
    outcome.answer().map(|response| {
        response
            .batch_item_failures
            .into_iter()
            .filter_map(|failure| failure.item_identifier)
            .collect()
    })
}

/// The five-record fixture from `from` on, as the ESM delivers the rest of
/// a batch after the checkpoint moved (positions renumbered from 0).
fn tail_of_valid(from: usize) -> Value {
    let mut fixture = event(VALID);
    fixture["Records"]
        .as_array_mut()
        .expect("Records")
        .drain(..from);
    fixture
}

/// A pill first in the batch fails the invocation, naming the pill; nothing
/// after it is processed, nothing is acknowledged.
#[tokio::test]
async fn pill_first_fails_the_invocation_so_the_esm_bisects() {
    let all = sequence_numbers(&event(VALID));
    let handler = ScriptedHandler::at(0, POISON);

    let outcome = process_batch(batch(event(VALID)), &handler).await;

    let error = answer(&outcome).expect_err("a function error");
    assert_eq!(error.failure.record.sequence_number.as_str(), all[0]);
    assert_eq!(error.batch_size, 5);
    assert!(error.to_string().contains(&all[0]), "{error}");
    assert_eq!(handler.seen_sequence_numbers(), all[..1]);
    assert_eq!(outcome.processed, 0);
}

/// A pill in the middle answers partially at the pill: the records before it
/// are acknowledged, the ESM resumes at the pill.
#[tokio::test]
async fn pill_in_the_middle_answers_partially_at_the_pill() {
    let all = sequence_numbers(&event(VALID));
    let handler = ScriptedHandler::at(2, POISON);

    let outcome = process_batch(batch(event(VALID)), &handler).await;

    assert_eq!(answer(&outcome), Ok(vec![all[2].clone()]));
    assert_eq!(handler.seen_sequence_numbers(), all[..=2]);
}

/// A pill last answers partially at the pill.
#[tokio::test]
async fn pill_last_answers_partially_at_the_pill() {
    let all = sequence_numbers(&event(VALID));
    let handler = ScriptedHandler::at(4, POISON);

    let outcome = process_batch(batch(event(VALID)), &handler).await;

    assert_eq!(answer(&outcome), Ok(vec![all[4].clone()]));
    assert_eq!(outcome.processed, 4);
}

/// A pill alone in its batch answers partially as before: there is nothing
/// left to bisect, the ESM retries it and finally sends only it to OnFailure.
#[tokio::test]
async fn lone_pill_answers_partially() {
    let all = sequence_numbers(&event(VALID));
    let handler = ScriptedHandler::at(0, POISON);

    let outcome = process_batch(batch(tail_of_valid(4)), &handler).await;

    assert_eq!(answer(&outcome), Ok(vec![all[4].clone()]));
}

/// A transient failure at the head keeps the partial answer: bisecting
/// cannot help an outage and would scatter healthy records into the DLQ.
#[tokio::test]
async fn transient_failure_at_the_head_answers_partially() {
    let all = sequence_numbers(&event(VALID));
    let handler = ScriptedHandler::at(0, TRANSIENT);

    let outcome = process_batch(batch(event(VALID)), &handler).await;

    assert_eq!(answer(&outcome), Ok(vec![all[0].clone()]));
    assert!(!outcome.poison_at_head);
}

/// Two pills in one batch: the first answer stops at the first pill
/// (partially, healthy records before it); the retried rest starts with that
/// pill and fails the invocation, so the ESM bisects; the second pill is
/// never reached before the first one's fate is decided.
#[tokio::test]
async fn two_pills_in_one_batch_stop_at_the_first_then_bisect() {
    let all = sequence_numbers(&event(VALID));
    let handler = ScriptedHandler::scripted(&[(1, POISON), (3, POISON)]);
    let outcome = process_batch(batch(event(VALID)), &handler).await;
    assert_eq!(answer(&outcome), Ok(vec![all[1].clone()]));
    assert_eq!(handler.seen_sequence_numbers(), all[..=1]);

    // The ESM retries from the checkpoint: records 1..5, pills at 0 and 2.
    let retried = ScriptedHandler::scripted(&[(0, POISON), (2, POISON)]);
    let outcome = process_batch(batch(tail_of_valid(1)), &retried).await;
    let error = answer(&outcome).expect_err("a function error");
    assert_eq!(error.failure.record.sequence_number.as_str(), all[1]);
    assert_eq!(retried.seen_sequence_numbers(), all[1..=1]);
}

/// A panic at the head is poison too: it fails the invocation.
#[tokio::test]
async fn panic_at_the_head_fails_the_invocation() {
    let handler = ScriptedHandler::at(0, Script::Panic);

    let outcome = process_batch(batch(event(VALID)), &handler).await;

    let error = answer(&outcome).expect_err("a function error");
    assert!(matches!(error.failure.cause, FailureCause::Panic(_)));
}

/// With the rule switched off, a pill at the head answers partially, as
/// the ESM contract alone would have it.
#[tokio::test]
async fn rule_switched_off_answers_partially_at_the_head() {
    let all = sequence_numbers(&event(VALID));
    let handler = ScriptedHandler::at(0, POISON);
    let options = BatchOptions {
        isolate_poison_at_head: false,
    };

    let outcome = process_batch_with(batch(event(VALID)), &handler, options).await;

    assert_eq!(answer(&outcome), Ok(vec![all[0].clone()]));
}
