//! The DLQ reader and reassembly, on raw bodies and on adversarial parts.
//!
//! The first byte picks the mode: raw message bodies (one a line) for
//! `assemble`; or real parts of a Kinesis failure, of a DynamoDB Streams
//! failure, or of an unparseable text (`raw`, in fragments when big), built
//! from the input's bytes, which the rest of the input then reorders,
//! copies and drops (what SQS does: any order, at least once, a part not
//! received yet) or corrupts (index and count digits rewritten so counts
//! disagree, bodies cut short, one part's records under another's header).
//!
//! Invariants: `assemble` never panics; whatever it accepts is consistent
//! (`found` is the records carried, one kind of record);
//! after reordering, copies and drops only, it gives back exactly what was
//! built when every part is there and an error when one is missing, never
//! a failure with records lost or altered.
#![no_main]

use std::collections::BTreeSet;

use libfuzzer_sys::fuzz_target;
use streamdlq_core::dlq::HydratedFailure;
use streamdlq_core::dynamodb::{AttributeValue, EpochTime, Item, StreamChange};
use streamdlq_core::{
    DynamoDbRecord, FailureRecord, FailureSource, Hydration, HydrationStatus, SequenceNumber,
    StreamRecord, assemble, build_parts,
};

const KINESIS_FAILURE: &str = include_str!("../../../events/onfailure-kinesis.json");
const DYNAMODB_FAILURE: &str = include_str!("../../../events/onfailure-dynamodb.json");

/// What was built, to compare with what is read back.
enum Built {
    Kinesis(Vec<StreamRecord>),
    DynamoDb(Vec<DynamoDbRecord>),
    Raw(String),
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 4 {
        0 => {
            let text = String::from_utf8_lossy(rest);
            for failure in assemble(text.lines()).iter().flatten() {
                consistent(failure);
            }
        }
        kind => adversarial(kind, mode, rest),
    }
});

fn kinesis_records(payload: &[u8], chunk: usize) -> Vec<StreamRecord> {
    payload
        .chunks(chunk)
        .enumerate()
        .map(|(n, bytes)| StreamRecord {
            sequence_number: SequenceNumber::parse(&format!("4959{n:052}")).expect("digits"),
            partition_key: String::from_utf8_lossy(&bytes[..bytes.len().min(8)]).into_owned(),
            approximate_arrival_millis: Some(1_795_428_841_123),
            data: bytes.to_vec(),
        })
        .collect()
}

fn dynamodb_records(payload: &[u8], chunk: usize) -> Vec<DynamoDbRecord> {
    payload
        .chunks(chunk)
        .enumerate()
        .map(|(n, bytes)| {
            let key: Item = [("pk".to_owned(), AttributeValue::S(format!("item-{n}")))].into();
            let mut image = key.clone();
            image.insert("blob".to_owned(), AttributeValue::B(bytes.to_vec()));
            image.insert(
                "text".to_owned(),
                AttributeValue::S(String::from_utf8_lossy(bytes).into_owned()),
            );
            DynamoDbRecord {
                event_id: format!("{n:032x}"),
                event_name: "MODIFY".to_owned(),
                event_version: "1.1".to_owned(),
                event_source: "aws:dynamodb".to_owned(),
                aws_region: "eu-west-1".to_owned(),
                dynamodb: StreamChange {
                    approximate_creation_date_time: Some(EpochTime(1_795_428_841_000)),
                    keys: Some(key),
                    new_image: Some(image),
                    old_image: None,
                    sequence_number: SequenceNumber::parse(&format!("1111{n:020}"))
                        .expect("digits"),
                    size_bytes: Some(bytes.len() as u64),
                    stream_view_type: Some("NEW_AND_OLD_IMAGES".to_owned()),
                },
                user_identity: None,
            }
        })
        .collect()
}

fn complete<T>(records: Vec<T>) -> Hydration<T> {
    Hydration {
        status: HydrationStatus::Complete,
        expected: u32::try_from(records.len()).unwrap_or(u32::MAX),
        records,
        reason: None,
    }
}

fn adversarial(kind: u8, mode: u8, data: &[u8]) {
    // First half: the records' bytes; second half: what to do to the parts.
    // Bounded, so that each run stays fast: a few KiB of records and a few
    // dozen edits find what larger inputs would, many times sooner.
    let (payload, script) = data.split_at(data.len() / 2);
    let payload = &payload[..payload.len().min(6 * 1024)];
    let script = &script[..script.len().min(3 * 48)];
    let limit = 2_048 + usize::from(mode) * 40;
    let chunk = 64 + usize::from(mode) * 16;
    let kinesis = FailureRecord::parse(KINESIS_FAILURE).expect("fixture");
    let dynamodb = FailureRecord::parse(DYNAMODB_FAILURE).expect("fixture");
    let (parts, built) = match kind {
        1 => {
            let records = kinesis_records(payload, chunk);
            let parts = build_parts(
                &FailureSource::Record(&kinesis),
                &complete(records.clone()),
                limit,
            );
            (parts, Built::Kinesis(records))
        }
        2 => {
            let records = dynamodb_records(payload, chunk);
            let parts = build_parts(
                &FailureSource::Record(&dynamodb),
                &complete(records.clone()),
                limit,
            );
            (parts, Built::DynamoDb(records))
        }
        _ => {
            let text = String::from_utf8_lossy(payload).into_owned();
            let hydration = Hydration::<StreamRecord>::without_records(
                HydrationStatus::Unparseable,
                0,
                "not an OnFailure record",
            );
            let parts = build_parts(&FailureSource::Unparseable(&text), &hydration, limit);
            (parts, Built::Raw(text))
        }
    };
    let Ok(parts) = parts else {
        return;
    };
    let original: Vec<String> = parts.into_iter().map(|part| part.body).collect();
    let mut bodies = original.clone();
    let mut corrupted = false;
    for step in script.chunks(3) {
        let [op, a, b] = [
            step[0],
            *step.get(1).unwrap_or(&0),
            *step.get(2).unwrap_or(&0),
        ];
        if bodies.is_empty() {
            break;
        }
        let i = usize::from(a) % bodies.len();
        let j = usize::from(b) % bodies.len();
        match op % 7 {
            0 => bodies.swap(i, j),
            1 => bodies.push(bodies[i].clone()),
            2 => {
                bodies.remove(i);
            }
            3 | 4 => {
                // Rewrite one digit of a part or fragment number or count.
                let key = if op % 7 == 3 {
                    "\"index\":"
                } else {
                    "\"count\":"
                };
                let body = &mut bodies[i];
                if let Some(at) = body
                    .match_indices(key)
                    .nth(usize::from(b) % 4)
                    .map(|(at, key)| at + key.len())
                    && body.as_bytes().get(at).is_some_and(u8::is_ascii_digit)
                {
                    body.replace_range(at..at + 1, &((b % 10).to_string()));
                    corrupted = true;
                }
            }
            5 => {
                let body = &mut bodies[i];
                let cut = usize::from(b) * body.len() / 256;
                if body.is_char_boundary(cut) {
                    body.truncate(cut);
                    corrupted = true;
                }
            }
            _ => {
                // Another part's records under this part's header.
                if i != j {
                    let other = bodies[j].clone();
                    if let (Some(x), Some(y)) =
                        (bodies[i].find("\"records\":"), other.find("\"records\":"))
                    {
                        let mut body = bodies[i][..x].to_owned();
                        body.push_str(&other[y..]);
                        bodies[i] = body;
                        corrupted = true;
                    }
                }
            }
        }
    }
    let results = assemble(bodies.iter().map(String::as_str));
    for failure in results.iter().flatten() {
        consistent(failure);
    }
    if corrupted {
        return;
    }
    // Reordered, copied and dropped only: one failure, exact or refused.
    let present: BTreeSet<&String> = bodies.iter().collect();
    let whole = original.iter().all(|body| present.contains(body));
    if bodies.is_empty() {
        assert!(results.is_empty(), "a failure out of no message");
        return;
    }
    assert_eq!(results.len(), 1, "one failure, one result");
    match results.into_iter().next().expect("one") {
        Ok(failure) => {
            assert!(whole, "a failure with a part missing was accepted");
            exact(&failure, &built);
        }
        Err(error) => assert!(!whole, "every part is there, yet: {error}"),
    }
}

/// What the reader accepts agrees with itself. Sequence order is not
/// checked here: the format carries no digest, so a body rewritten to hold
/// another part's records can read as whole; SQS never rewrites a body, and
/// what the writer produced is checked exactly (`exact`).
fn consistent(failure: &HydratedFailure) {
    assert_eq!(
        failure.hydration.found,
        failure.record_count(),
        "found disagrees with the records"
    );
    assert!(
        failure.records.is_empty() || failure.dynamodb_records.is_empty(),
        "a failure carries one kind of record"
    );
}

fn exact(failure: &HydratedFailure, built: &Built) {
    match built {
        Built::Kinesis(records) => {
            assert_eq!(&failure.records, records, "Kinesis records altered");
            assert_eq!(failure.failure.as_deref(), Some(KINESIS_FAILURE.trim()));
        }
        Built::DynamoDb(records) => {
            assert_eq!(
                &failure.dynamodb_records, records,
                "DynamoDB records altered"
            );
            assert_eq!(failure.failure.as_deref(), Some(DYNAMODB_FAILURE.trim()));
        }
        Built::Raw(text) => {
            assert_eq!(failure.raw.as_deref(), Some(text.as_str()), "raw altered");
            assert_eq!(failure.record_count(), 0);
        }
    }
}
