//! The batch state machine, one AWS rule per test.

// Invocations are listed as index ranges; a list of one range is meant.
#![allow(clippy::single_range_in_vec_init)]

use serde_json::json;

use super::*;
use streamdlq_core::invocation::FunctionError;

/// Wall-clock time of the tests' "now": 2026-11-23T10:15:42.318Z.
const NOW: i64 = 1_795_428_942_318;
/// Records arrive 100 ms apart, the first one this long before `NOW`.
const FIRST_ARRIVAL_AGE: i64 = 30_000;

fn records(count: usize) -> Vec<StreamRecord> {
    (0..count)
        .map(|i| StreamRecord {
            sequence_number: SequenceNumber::parse(&format!(
                "4965695925209453244739117821{:028}",
                1_000_000_000_000 + i * 3_626_777_458_851
            ))
            .expect("digits"),
            partition_key: format!("pk-{i}"),
            approximate_arrival_millis: Some(NOW - FIRST_ARRIVAL_AGE + 100 * i as i64),
            data: format!("record-{i}").into_bytes(),
        })
        .collect()
}

fn policy() -> RetryPolicy {
    RetryPolicy {
        maximum_retry_attempts: Some(3),
        maximum_record_age: None,
        bisect_batch_on_function_error: false,
        report_batch_item_failures: true,
        retry_backoff: Backoff {
            base: Duration::from_millis(10),
            cap: Duration::from_millis(80),
        },
    }
}

fn success() -> FunctionAnswer {
    FunctionAnswer::json(&json!({ "batchItemFailures": [] }))
}

fn threw() -> FunctionAnswer {
    FunctionAnswer::Thrown(FunctionError::new("PoisonPill", "cannot parse record"))
}

/// The answer that reports `record` as the first failure.
fn failed_at(record: &StreamRecord) -> FunctionAnswer {
    FunctionAnswer::json(&json!({
        "batchItemFailures": [{ "itemIdentifier": record.sequence_number.as_str() }]
    }))
}

/// What a run did: each invocation's records (as indices into the batch)
/// and each discard, in order.
#[derive(Debug, Default)]
struct Run {
    invocations: Vec<Range<usize>>,
    discards: Vec<Discard>,
    delays: Vec<Duration>,
}

/// Drives `batch` to the end at time `now`, answering each invocation with
/// `function(range)`.
fn run(
    batch: &mut Batch,
    now: i64,
    mut function: impl FnMut(Range<usize>) -> FunctionAnswer,
) -> Run {
    let mut run = Run::default();
    for _ in 0..10_000 {
        match batch.next_step(now) {
            Step::Invoke { range, delay } => {
                run.invocations.push(range.clone());
                run.delays.push(delay);
                let answer = function(range);
                batch.record(&answer);
            }
            Step::Discard(discard) => run.discards.push(discard),
            Step::Done => return run,
        }
    }
    panic!("the batch never finished: {run:?}");
}

/// A function that throws for any batch holding the record at `poison`.
fn throws_on(poison: usize) -> impl FnMut(Range<usize>) -> FunctionAnswer {
    move |range| {
        if range.contains(&poison) {
            threw()
        } else {
            success()
        }
    }
}

fn sequence_numbers(
    records: &[StreamRecord],
    range: Range<usize>,
) -> (SequenceNumber, SequenceNumber) {
    (
        records[range.start].sequence_number.clone(),
        records[range.end - 1].sequence_number.clone(),
    )
}

/// A successful batch takes one invocation and checkpoints its last record.
#[test]
fn succeeds_in_one_invocation_and_checkpoints_the_last_record() {
    let records = records(5);
    let mut batch = Batch::new(records.clone(), policy());

    let run = run(&mut batch, NOW, |_| success());

    assert_eq!(run.invocations, [0..5]);
    assert!(run.discards.is_empty());
    assert_eq!(batch.checkpoint(), Some(&records[4].sequence_number));
}

/// An empty batch has nothing to do.
#[test]
fn an_empty_batch_is_done_at_once() {
    let mut batch = Batch::<StreamRecord>::new(Vec::new(), policy());
    assert_eq!(batch.next_step(NOW), Step::Done);
    assert_eq!(batch.checkpoint(), None);
}

/// A partial failure checkpoints the records before the failed one and
/// retries only the failed record and what follows it.
#[test]
fn partial_failure_retries_only_from_the_failed_record() {
    let records = records(10);
    let mut batch = Batch::new(records.clone(), policy());
    let mut answers = vec![failed_at(&records[4]), success()].into_iter();

    let run = run(&mut batch, NOW, |_| answers.next().expect("answer"));

    assert_eq!(run.invocations, [0..10, 4..10]);
    assert!(run.discards.is_empty());
    assert_eq!(batch.checkpoint(), Some(&records[9].sequence_number));
}

/// The checkpoint sits on the last record before the failed one while the
/// rest is retried.
#[test]
fn partial_failure_checkpoints_the_record_before_the_failure() {
    let records = records(10);
    let mut batch = Batch::new(records.clone(), policy());
    assert!(matches!(batch.next_step(NOW), Step::Invoke { .. }));

    let reaction = batch.record(&failed_at(&records[4]));

    assert_eq!(reaction, Reaction::CheckpointMoved { resume_at: 4 });
    assert_eq!(batch.checkpoint(), Some(&records[3].sequence_number));
}

/// When a partial answer moves the checkpoint, the retry count starts
/// again: with 3 retries the poison record is invoked 4 more times and the
/// discard reports approximateInvokeCount 4 (as observed on AWS).
#[test]
fn retry_count_restarts_when_the_checkpoint_moves_forward() {
    let records = records(10);
    let mut batch = Batch::new(records.clone(), policy());

    let run = run(&mut batch, NOW, |_| failed_at(&records[6]));

    assert_eq!(run.invocations, [0..10, 6..10, 6..10, 6..10, 6..10]);
    assert_eq!(run.discards.len(), 1);
    assert_eq!(run.discards[0].approximate_invoke_count, 4);
}

/// Retries of a partial failure that ran out discard only the unprocessed
/// range (checkpoint..end), with functionError null, and never invoke it
/// again.
#[test]
fn exhausted_partial_failures_discard_only_the_unprocessed_range() {
    let records = records(10);
    let mut batch = Batch::new(records.clone(), policy());

    let run = run(&mut batch, NOW, |_| failed_at(&records[6]));

    let (start, end) = sequence_numbers(&records, 6..10);
    assert_eq!(
        run.discards,
        [Discard {
            condition: DiscardCondition::RetryAttemptsExhausted {
                function_error: None
            },
            range: DiscardedRange {
                start_sequence_number: start,
                end_sequence_number: end,
                approximate_arrival_of_first_record: records[6].approximate_arrival_millis,
                approximate_arrival_of_last_record: records[9].approximate_arrival_millis,
                batch_size: 4,
            },
            approximate_invoke_count: 4,
        }]
    );
    assert_eq!(batch.checkpoint(), Some(&records[9].sequence_number));
    assert_eq!(batch.next_step(NOW), Step::Done);
}

/// A partial failure at the batch's first record moves nothing: it is a
/// retry like any other, so 1 + 3 invocations in all.
#[test]
fn partial_failure_at_the_first_record_counts_as_a_retry() {
    let records = records(3);
    let mut batch = Batch::new(records.clone(), policy());

    let run = run(&mut batch, NOW, |_| failed_at(&records[0]));

    assert_eq!(run.invocations, [0..3, 0..3, 0..3, 0..3]);
    assert_eq!(run.discards[0].range.batch_size, 3);
    assert_eq!(run.discards[0].approximate_invoke_count, 4);
}

/// Several reported failures: the lowest sequence number is the checkpoint.
#[test]
fn the_lowest_reported_failure_is_the_checkpoint() {
    let records = records(10);
    let mut batch = Batch::new(records.clone(), policy());
    assert!(matches!(batch.next_step(NOW), Step::Invoke { .. }));
    let answer = FunctionAnswer::json(&json!({ "batchItemFailures": [
        { "itemIdentifier": records[8].sequence_number.as_str() },
        { "itemIdentifier": records[5].sequence_number.as_str() },
    ]}));

    assert_eq!(
        batch.record(&answer),
        Reaction::CheckpointMoved { resume_at: 5 }
    );
    assert!(matches!(batch.next_step(NOW), Step::Invoke { range, .. } if range == (5..10)));
}

/// A thrown error retries the whole batch, then discards all of it with
/// functionError "Unhandled".
#[test]
fn function_errors_retry_the_whole_batch_then_discard_it_as_unhandled() {
    let records = records(4);
    let mut batch = Batch::new(records.clone(), policy());

    let run = run(&mut batch, NOW, |_| threw());

    assert_eq!(run.invocations, [0..4, 0..4, 0..4, 0..4]);
    assert_eq!(run.discards.len(), 1);
    let discard = &run.discards[0];
    assert_eq!(
        discard.condition,
        DiscardCondition::RetryAttemptsExhausted {
            function_error: Some("Unhandled".to_owned())
        }
    );
    assert_eq!(discard.range.batch_size, 4);
    assert_eq!(discard.approximate_invoke_count, 4);
}

/// With no retries allowed, the first failure discards.
#[test]
fn zero_retries_discard_after_the_first_failure() {
    let mut batch = Batch::new(
        records(2),
        RetryPolicy {
            maximum_retry_attempts: Some(0),
            ..policy()
        },
    );

    let run = run(&mut batch, NOW, |_| threw());

    assert_eq!(run.invocations, [0..2]);
    assert_eq!(run.discards[0].approximate_invoke_count, 1);
}

/// With infinite retries (-1) a failing batch is never discarded.
#[test]
fn infinite_retries_keep_invoking() {
    let mut batch = Batch::new(
        records(2),
        RetryPolicy {
            maximum_retry_attempts: None,
            ..policy()
        },
    );
    for attempt in 1..=500 {
        assert!(
            matches!(batch.next_step(NOW), Step::Invoke { .. }),
            "attempt {attempt}"
        );
        assert_eq!(
            batch.record(&threw()),
            Reaction::Retrying {
                invocations: attempt
            }
        );
    }
}

/// Bisecting splits a failing batch in halves without consuming retries,
/// down to the poison record, which alone uses up the retries.
#[test]
fn bisects_function_errors_down_to_the_poison_record() {
    let records = records(8);
    let mut batch = Batch::new(
        records.clone(),
        RetryPolicy {
            bisect_batch_on_function_error: true,
            ..policy()
        },
    );

    let run = run(&mut batch, NOW, throws_on(5));

    assert_eq!(
        run.invocations,
        [0..8, 0..4, 4..8, 4..6, 4..5, 5..6, 5..6, 5..6, 5..6, 6..8]
    );
    let (start, end) = sequence_numbers(&records, 5..6);
    assert_eq!(run.discards.len(), 1);
    assert_eq!(run.discards[0].range.start_sequence_number, start);
    assert_eq!(run.discards[0].range.end_sequence_number, end);
    assert_eq!(run.discards[0].range.batch_size, 1);
    assert_eq!(
        run.discards[0].condition,
        DiscardCondition::RetryAttemptsExhausted {
            function_error: Some("Unhandled".to_owned())
        }
    );
    assert_eq!(run.discards[0].approximate_invoke_count, 4);
    assert_eq!(batch.checkpoint(), Some(&records[7].sequence_number));
}

/// Even with no retries allowed, bisecting isolates the poison record: the
/// splits are free.
#[test]
fn bisecting_does_not_consume_the_retry_quota() {
    let records = records(100);
    let mut batch = Batch::new(
        records.clone(),
        RetryPolicy {
            bisect_batch_on_function_error: true,
            maximum_retry_attempts: Some(0),
            ..policy()
        },
    );

    let run = run(&mut batch, NOW, throws_on(37));

    assert_eq!(run.discards.len(), 1);
    assert_eq!(
        run.discards[0].range.start_sequence_number,
        records[37].sequence_number
    );
    assert_eq!(run.discards[0].range.batch_size, 1);
    assert_eq!(run.discards[0].approximate_invoke_count, 1);
    // Every other record was processed exactly once, in order.
    let processed: Vec<usize> = run
        .invocations
        .iter()
        .filter(|range| !range.contains(&37))
        .flat_map(Clone::clone)
        .collect();
    assert_eq!(processed, (0..100).filter(|&i| i != 37).collect::<Vec<_>>());
}

/// A split reports both halves; the first half goes first.
#[test]
fn a_split_reports_both_halves_and_invokes_the_first() {
    let mut batch = Batch::new(
        records(5),
        RetryPolicy {
            bisect_batch_on_function_error: true,
            ..policy()
        },
    );
    assert!(matches!(batch.next_step(NOW), Step::Invoke { .. }));

    assert_eq!(
        batch.record(&threw()),
        Reaction::Bisected {
            first: 0..3,
            second: 3..5
        }
    );
    assert!(matches!(batch.next_step(NOW), Step::Invoke { range, .. } if range == (0..3)));
}

/// With bisect and a partial response the batch is cut at the returned
/// sequence number: only the remaining records are retried, not halves.
#[test]
fn bisect_with_a_partial_response_retries_from_the_returned_record() {
    let records = records(10);
    let mut batch = Batch::new(
        records.clone(),
        RetryPolicy {
            bisect_batch_on_function_error: true,
            ..policy()
        },
    );
    let mut answers = vec![failed_at(&records[3]), success()].into_iter();

    let run = run(&mut batch, NOW, |_| answers.next().expect("answer"));

    assert_eq!(run.invocations, [0..10, 3..10]);
}

/// An unreadable answer (here an empty itemIdentifier) fails the whole
/// batch: it is retried from its first record.
#[test]
fn an_invalid_item_identifier_retries_the_whole_batch() {
    let mut batch = Batch::new(records(6), policy());
    let mut answers = vec![
        FunctionAnswer::json(&json!({ "batchItemFailures": [{ "itemIdentifier": "" }] })),
        success(),
    ]
    .into_iter();

    let run = run(&mut batch, NOW, |_| answers.next().expect("answer"));

    assert_eq!(run.invocations, [0..6, 0..6]);
    assert!(run.discards.is_empty());
}

/// An unreadable answer is not a function error: no bisect, and when the
/// retries run out the discard has functionError null.
#[test]
fn unreadable_answers_never_bisect_and_discard_with_a_null_function_error() {
    let mut batch = Batch::new(
        records(6),
        RetryPolicy {
            bisect_batch_on_function_error: true,
            ..policy()
        },
    );

    let run = run(&mut batch, NOW, |_| {
        FunctionAnswer::json(&json!({ "batchItemFailures": [{ "itemIdentifier": null }] }))
    });

    assert_eq!(run.invocations, [0..6, 0..6, 0..6, 0..6]);
    assert_eq!(
        run.discards[0].condition,
        DiscardCondition::RetryAttemptsExhausted {
            function_error: None
        }
    );
    assert_eq!(run.discards[0].range.batch_size, 6);
}

/// A misspelt top-level key reads as success: the records it meant to
/// report are checkpointed past and lost (the trap AWS sets).
#[test]
fn a_misspelt_response_key_checkpoints_past_the_failed_records() {
    let records = records(4);
    let mut batch = Batch::new(records.clone(), policy());
    let answer = FunctionAnswer::json(&json!({
        "BatchItemFailures": [{ "itemIdentifier": records[1].sequence_number.as_str() }]
    }));

    let run = run(&mut batch, NOW, |_| answer.clone());

    assert_eq!(run.invocations, [0..4]);
    assert_eq!(batch.checkpoint(), Some(&records[3].sequence_number));
}

/// Without ReportBatchItemFailures, batchItemFailures is ignored: success.
#[test]
fn without_report_batch_item_failures_a_reported_failure_is_success() {
    let records = records(4);
    let mut batch = Batch::new(
        records.clone(),
        RetryPolicy {
            report_batch_item_failures: false,
            ..policy()
        },
    );

    let run = run(&mut batch, NOW, |_| failed_at(&records[2]));

    assert_eq!(run.invocations, [0..4]);
    assert!(run.discards.is_empty());
}

/// An invocation that never ran is retried without using up retries.
#[test]
fn invocations_that_never_ran_do_not_count_as_retries() {
    let mut batch = Batch::new(
        records(3),
        RetryPolicy {
            maximum_retry_attempts: Some(0),
            ..policy()
        },
    );
    for _ in 0..20 {
        assert!(matches!(batch.next_step(NOW), Step::Invoke { .. }));
        assert_eq!(
            batch.record(&FunctionAnswer::NotInvoked("connection refused".to_owned())),
            Reaction::NotInvoked
        );
    }

    let run = run(&mut batch, NOW, |_| success());

    assert_eq!(run.invocations, [0..3]);
    assert!(run.discards.is_empty());
}

fn aged(max_age_seconds: u64) -> RetryPolicy {
    RetryPolicy {
        maximum_record_age: Some(Duration::from_secs(max_age_seconds)),
        ..policy()
    }
}

/// Records older than the maximum age are split off before the invocation
/// as RecordAgeExceeded; the rest of the batch is still invoked.
#[test]
fn splits_off_expired_records_and_invokes_the_rest() {
    let records = records(10);
    let mut batch = Batch::new(records.clone(), aged(60));
    // Now the first four records are more than 60 s old.
    let now = records[4].approximate_arrival_millis.expect("arrival") + 60_000;

    let run = run(&mut batch, now, |_| success());

    assert_eq!(run.invocations, [4..10]);
    assert_eq!(run.discards.len(), 1);
    let discard = &run.discards[0];
    assert_eq!(discard.condition, DiscardCondition::RecordAgeExceeded);
    let (start, end) = sequence_numbers(&records, 0..4);
    assert_eq!(
        (
            &discard.range.start_sequence_number,
            &discard.range.end_sequence_number
        ),
        (&start, &end)
    );
    assert_eq!(discard.range.batch_size, 4);
    assert_eq!(
        discard.range.approximate_arrival_of_first_record,
        records[0].approximate_arrival_millis
    );
    assert_eq!(
        discard.range.approximate_arrival_of_last_record,
        records[3].approximate_arrival_millis
    );
}

/// A record discarded for age before any invocation reports
/// approximateInvokeCount 1, as AWS does.
#[test]
fn never_invoked_expired_records_report_one_invocation() {
    let records = records(3);
    let mut batch = Batch::new(records, aged(60));

    let run = run(&mut batch, NOW + 3_600_000, |_| success());

    assert!(run.invocations.is_empty());
    assert_eq!(run.discards.len(), 1);
    assert_eq!(run.discards[0].range.batch_size, 3);
    assert_eq!(run.discards[0].approximate_invoke_count, 1);
    assert_eq!(
        batch.checkpoint(),
        batch.records().last().map(|r| &r.sequence_number)
    );
}

/// Records that expire while being retried are split off with the number
/// of times they were invoked, and the retries go on with the rest.
#[test]
fn records_expiring_during_retries_are_split_off_with_their_invoke_count() {
    let records = records(6);
    let mut batch = Batch::new(
        records.clone(),
        RetryPolicy {
            maximum_retry_attempts: None,
            ..aged(60)
        },
    );
    let mut now = NOW;
    for _ in 0..3 {
        assert!(matches!(batch.next_step(now), Step::Invoke { range, .. } if range == (0..6)));
        batch.record(&threw());
    }
    // Time passes: the first two records are now too old.
    now = records[2].approximate_arrival_millis.expect("arrival") + 60_000;

    let Step::Discard(discard) = batch.next_step(now) else {
        panic!("expected a discard");
    };
    assert_eq!(discard.condition, DiscardCondition::RecordAgeExceeded);
    assert_eq!(discard.range.batch_size, 2);
    assert_eq!(discard.approximate_invoke_count, 3);
    assert!(matches!(batch.next_step(now), Step::Invoke { range, .. } if range == (2..6)));
}

/// A record exactly at the maximum age is not older than it: still invoked.
#[test]
fn a_record_exactly_at_the_maximum_age_is_invoked() {
    let records = records(2);
    let mut batch = Batch::new(records.clone(), aged(60));
    let now = records[0].approximate_arrival_millis.expect("arrival") + 60_000;

    let run = run(&mut batch, now, |_| success());

    assert_eq!(run.invocations, [0..2]);
}

/// A record without an arrival time never expires.
#[test]
fn records_without_arrival_times_never_expire() {
    let mut records = records(2);
    records[1].approximate_arrival_millis = None;
    let mut batch = Batch::new(records, aged(60));

    let run = run(&mut batch, NOW + 3_600_000, |_| success());

    assert_eq!(run.invocations, [1..2]);
    assert_eq!(run.discards.len(), 1);
    assert_eq!(run.discards[0].range.batch_size, 1);
}

/// Retries wait longer after each consecutive failure, up to the cap, and
/// not at all after a success.
#[test]
fn retry_delays_grow_with_consecutive_failures() {
    let mut batch = Batch::new(
        records(8),
        RetryPolicy {
            maximum_retry_attempts: Some(5),
            ..policy()
        },
    );
    let mut answers = vec![threw(), threw(), threw(), threw(), threw(), success()].into_iter();

    let run = run(&mut batch, NOW, |_| answers.next().expect("answer"));

    let millis: Vec<u128> = run.delays.iter().map(Duration::as_millis).collect();
    assert_eq!(millis, [0, 10, 20, 40, 80, 80]);
}

/// After a success the next segment goes at once.
#[test]
fn a_success_resets_the_retry_delay() {
    let records = records(4);
    let mut batch = Batch::new(
        records,
        RetryPolicy {
            bisect_batch_on_function_error: true,
            ..policy()
        },
    );

    let run = run(&mut batch, NOW, throws_on(0));

    // 0..4 threw, 0..2 threw, 0..1 threw four times, then 1..2 and 2..4.
    let millis: Vec<u128> = run.delays.iter().map(Duration::as_millis).collect();
    assert_eq!(run.invocations.last(), Some(&(2..4)));
    assert_eq!(millis[millis.len() - 2..], [0, 0]);
}

/// Recording without an invocation in flight changes nothing.
#[test]
fn ignores_outcomes_without_an_invocation_in_flight() {
    let records = records(2);
    let mut batch = Batch::new(records, policy());

    assert_eq!(batch.record(&success()), Reaction::Unexpected);
    assert!(matches!(batch.next_step(NOW), Step::Invoke { range, .. } if range == (0..2)));
}
