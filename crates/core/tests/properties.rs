//! Property tests of the DLQ format and of sequence numbers: any bytes at
//! any message limit come back byte-exact from their parts, in any order
//! and with copies; sequence numbers order like the big integers they are.

use std::cmp::Ordering;

use proptest::prelude::*;
use streamdlq_core::dlq::SQS_MESSAGE_LIMIT;
use streamdlq_core::{
    FailureRecord, FailureSource, Hydration, HydrationStatus, SequenceNumber, StreamRecord,
    assemble, build_parts,
};

const FAILURE: &str = include_str!("../../../events/onfailure-kinesis.json");

/// The smallest limit at which a failure with this fixture's record always
/// fits: header, attributes and a useful slice of data.
const MIN_LIMIT: usize = 2_048;

fn records(payloads: Vec<(String, Vec<u8>, Option<i64>)>) -> Vec<StreamRecord> {
    payloads
        .into_iter()
        .enumerate()
        .map(|(n, (partition_key, data, arrival))| StreamRecord {
            sequence_number: SequenceNumber::parse(&format!(
                "4959033827149025660855969253836157109592157598913658{:04}",
                n
            ))
            .expect("digits"),
            partition_key,
            approximate_arrival_millis: arrival,
            data,
        })
        .collect()
}

fn payloads() -> impl Strategy<Value = Vec<(String, Vec<u8>, Option<i64>)>> {
    prop::collection::vec(
        (
            "\\PC{0,12}",
            prop::collection::vec(any::<u8>(), 0..3_000),
            prop::option::of(0i64..4_102_444_800_000),
        ),
        0..12,
    )
}

/// Applies a permutation and copies to the bodies: SQS delivers in any
/// order and at least once.
fn shuffled_with_copies(bodies: &[String], seed: u64, copies: usize) -> Vec<String> {
    let mut rng = fastrand_like(seed);
    let mut out: Vec<String> = bodies.to_vec();
    for _ in 0..copies.min(bodies.len()) {
        let pick = (rng() as usize) % bodies.len();
        out.push(bodies[pick].clone());
    }
    for i in (1..out.len()).rev() {
        let j = (rng() as usize) % (i + 1);
        out.swap(i, j);
    }
    out
}

/// A tiny deterministic generator (splitmix64): proptest shrinks the seed.
fn fastrand_like(mut state: u64) -> impl FnMut() -> u64 {
    move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Reference big integer: little-endian base-2^32 limbs, built digit by
/// digit, so it shares nothing with the decimal comparison under test.
fn big(digits: &str) -> Vec<u32> {
    let mut limbs: Vec<u32> = Vec::new();
    for digit in digits.bytes() {
        let mut carry = u64::from(digit - b'0');
        for limb in &mut limbs {
            let value = u64::from(*limb) * 10 + carry;
            *limb = value as u32;
            carry = value >> 32;
        }
        if carry > 0 {
            limbs.push(carry as u32);
        }
    }
    limbs
}

fn big_cmp(a: &[u32], b: &[u32]) -> Ordering {
    a.len()
        .cmp(&b.len())
        .then_with(|| a.iter().rev().cmp(b.iter().rev()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Any records, any bytes, any limit: the parts (each within the limit,
    /// shuffled, some sent twice) assemble to exactly what was built.
    #[test]
    fn parts_assemble_back_to_the_exact_records(
        payloads in payloads(),
        limit in MIN_LIMIT..=SQS_MESSAGE_LIMIT / 16,
        seed in any::<u64>(),
        copies in 0usize..4,
    ) {
        let record = FailureRecord::parse(FAILURE).expect("fixture parses");
        let records = records(payloads);
        let hydration = Hydration {
            status: HydrationStatus::Complete,
            expected: u32::try_from(records.len()).expect("few"),
            records: records.clone(),
            reason: None,
        };
        let messages = build_parts(&FailureSource::Record(&record), &hydration, limit)
            .expect("every limit from 2 KiB builds");
        for message in &messages {
            prop_assert!(message.size() <= limit, "{} > {limit}", message.size());
        }
        let bodies: Vec<String> = messages.iter().map(|m| m.body.clone()).collect();
        let delivered = shuffled_with_copies(&bodies, seed, copies);
        let mut failures = assemble(delivered.iter().map(String::as_str));
        prop_assert_eq!(failures.len(), 1);
        let failure = failures.remove(0).expect("assembles");
        prop_assert_eq!(failure.records, records);
        prop_assert_eq!(failure.hydration.status, HydrationStatus::Complete);
    }

    /// Unparseable text of any kind comes back exactly, as `raw`.
    #[test]
    fn unparseable_text_assembles_back_verbatim(
        text in "\\PC{0,400}|[\\x00-\\x1f\"\\\\]{0,400}",
        limit in 16_384usize..=SQS_MESSAGE_LIMIT,
    ) {
        let hydration = Hydration::without_records(HydrationStatus::Unparseable, 0, "not JSON");
        let messages = build_parts(&FailureSource::Unparseable(&text), &hydration, limit)
            .expect("small text fits");
        let mut failures = assemble(messages.iter().map(|m| m.body.as_str()));
        prop_assert_eq!(failures.len(), 1);
        let failure = failures.remove(0).expect("assembles");
        prop_assert_eq!(failure.raw.as_deref(), Some(text.as_str()));
        prop_assert!(failure.records.is_empty());
    }

    /// Sequence numbers of any length, leading zeros included, order like
    /// the integers they spell; equal numbers are equal whatever their text,
    /// and the text is kept.
    #[test]
    fn sequence_numbers_order_like_big_integers(
        a in "0{0,3}[0-9]{1,60}",
        b in "0{0,3}[0-9]{1,60}",
    ) {
        let (x, y) = (SequenceNumber::parse(&a).expect("digits"), SequenceNumber::parse(&b).expect("digits"));
        let expected = big_cmp(&big(&a), &big(&b));
        prop_assert_eq!(x.cmp(&y), expected);
        prop_assert_eq!(x == y, expected == Ordering::Equal);
        prop_assert_eq!(y.cmp(&x), expected.reverse());
        prop_assert_eq!(x.as_str(), a.as_str());
    }

    /// Anything that is not a non-empty run of ASCII digits is refused.
    #[test]
    fn refuses_text_that_is_not_digits(text in "\\PC*") {
        let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
        prop_assert_eq!(SequenceNumber::parse(&text).is_ok(), digits);
    }
}
