//! The hydrate function under a storm of injected faults, end to end: the
//! real binary under a fake Lambda Runtime API, its Kinesis and SQS calls
//! through `streamdlq-fault-proxy` in front of kinesis-local and moto, and
//! SIGKILL in the middle of multi-part writes followed by redelivery. The
//! DLQ is then read by the harness's own reader: every failure must be
//! there, complete and byte-exact.
//!
//! `survives_a_short_seeded_storm` runs in the suite; `long_storm` is the
//! one `scripts/faults.sh` runs, configured by `FAULTS_SEED`,
//! `FAULTS_MIN` (faults to inject at least) and `FAULTS_SABOTAGE`
//! (`corrupt` or `drop`: the self-check, which must fail).

#[path = "../common/mod.rs"]
mod common;

mod check;
mod runtime;
mod storm;

use storm::Storm;
use streamdlq_fault_proxy::Sabotage;

/// A short storm loses and alters nothing, and the kill really lands in the
/// middle of a write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn survives_a_short_seeded_storm() {
    let storm = Storm::short(7);
    let report = storm::run(&storm).await;
    report.print(&storm);
    assert!(
        report.faults.injected() >= 10,
        "too few faults to prove anything"
    );
    assert_eq!(
        report.deliveries.kills, 1,
        "the function was killed mid-write"
    );
    assert!(
        report.verdict.lost.is_empty(),
        "lost: {:?}",
        report.verdict.lost
    );
    assert!(
        report.verdict.altered.is_empty(),
        "altered: {:?}",
        report.verdict.altered
    );
    assert_eq!(report.verdict.delivered, report.verdict.failures);
}

/// The checker notices one corrupted byte among all the faults.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notices_a_corrupted_byte() {
    let storm = Storm {
        sabotage: Some(Sabotage::CorruptByte),
        failures_per_round: 4,
        big_per_round: 0,
        kills_per_round: 0,
        ..Storm::short(11)
    };
    let report = storm::run(&storm).await;
    report.print(&storm);
    assert_eq!(report.faults.sabotaged(), 1);
    assert_eq!(report.verdict.altered.len(), 1, "{:?}", report.verdict);
}

/// The checker notices one message that the queue dropped while answering
/// success (no other fault could make the function write it again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notices_a_message_dropped_while_answering_success() {
    let storm = Storm {
        sabotage: Some(Sabotage::DropEntry),
        failures_per_round: 2,
        big_per_round: 1,
        kills_per_round: 0,
        workers: 1,
        kinesis_rate: 0.0,
        sqs_rate: 0.0,
        ..Storm::short(13)
    };
    let report = storm::run(&storm).await;
    report.print(&storm);
    assert_eq!(report.faults.sabotaged(), 1);
    assert_eq!(report.verdict.lost.len(), 1, "{:?}", report.verdict);
}

/// The long storm of `scripts/faults.sh`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "minutes long: run by scripts/faults.sh"]
async fn long_storm() {
    let number = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|value| value.parse().ok())
            .unwrap_or(default)
    };
    let sabotage = match std::env::var("FAULTS_SABOTAGE").as_deref() {
        Ok("corrupt") => Some(Sabotage::CorruptByte),
        Ok("drop") => Some(Sabotage::DropEntry),
        _ => None,
    };
    let storm = Storm {
        seed: number("FAULTS_SEED", 1),
        min_faults: number("FAULTS_MIN", 1_000),
        failures_per_round: 40,
        big_per_round: 2,
        kills_per_round: 2,
        max_rounds: 100,
        workers: 3,
        sabotage,
        ..Storm::short(1)
    };
    let report = storm::run(&storm).await;
    report.print(&storm);
    assert!(
        report.faults.injected() >= storm.min_faults,
        "only {} faults",
        report.faults.injected()
    );
    assert!(
        report.verdict.lost.is_empty() && report.verdict.altered.is_empty(),
        "the harness found {} lost and {} altered failures",
        report.verdict.lost.len(),
        report.verdict.altered.len()
    );
}
