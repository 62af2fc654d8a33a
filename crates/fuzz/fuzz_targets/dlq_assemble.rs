//! The DLQ reader. Inputs starting with an even byte are raw message bodies
//! (one a line) for `assemble`; the others build real parts from the input's
//! bytes and let the rest of the input reorder, copy, drop and rewrite them.
//! `assemble` must never panic; with only reordering and copies it must give
//! back exactly what was built.
#![no_main]

use libfuzzer_sys::fuzz_target;
use streamdlq_core::{
    FailureRecord, FailureSource, Hydration, HydrationStatus, SequenceNumber, StreamRecord,
    assemble, build_parts,
};

const FAILURE: &str = include_str!("../../../events/onfailure-kinesis.json");

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        let text = String::from_utf8_lossy(rest);
        let _ = assemble(text.lines());
        return;
    }
    adversarial(mode, rest);
});

fn adversarial(mode: u8, data: &[u8]) {
    // First half: the records' bytes; second half: what to do to the parts.
    let (payload, script) = data.split_at(data.len() / 2);
    let limit = 2_048 + usize::from(mode) * 40;
    let records: Vec<StreamRecord> = payload
        .chunks(64 + usize::from(mode) * 16)
        .enumerate()
        .map(|(n, chunk)| StreamRecord {
            sequence_number: SequenceNumber::parse(&format!("4959{n:052}")).expect("digits"),
            partition_key: format!("pk-{n}"),
            approximate_arrival_millis: Some(1_795_428_841_123),
            data: chunk.to_vec(),
        })
        .collect();
    let record = FailureRecord::parse(FAILURE).expect("fixture");
    let hydration = Hydration {
        status: HydrationStatus::Complete,
        expected: u32::try_from(records.len()).unwrap_or(u32::MAX),
        records: records.clone(),
        reason: None,
    };
    let Ok(parts) = build_parts(&FailureSource::Record(&record), &hydration, limit) else {
        return;
    };
    let mut bodies: Vec<String> = parts.into_iter().map(|part| part.body).collect();
    let mut changed = false;
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
        match op % 6 {
            0 => bodies.swap(i, j),
            1 => bodies.push(bodies[i].clone()),
            2 => {
                bodies.remove(i);
                changed = true;
            }
            3 => {
                // Rewrite one digit of a part or fragment number.
                let body = &mut bodies[i];
                if let Some(at) = body
                    .match_indices("\"index\":")
                    .nth(usize::from(b) % 4)
                    .map(|(at, key)| at + key.len())
                    && body.as_bytes().get(at).is_some_and(u8::is_ascii_digit)
                {
                    body.replace_range(at..at + 1, &((b % 10).to_string()));
                    changed = true;
                }
            }
            4 => {
                let body = &mut bodies[i];
                let cut = usize::from(b) * body.len() / 256;
                if body.is_char_boundary(cut) {
                    body.truncate(cut);
                    changed = true;
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
                        changed = true;
                    }
                }
            }
        }
    }
    let results = assemble(bodies.iter().map(String::as_str));
    for failure in results.iter().flatten() {
        // Whatever the reader accepts is consistent with itself.
        assert_eq!(
            failure.hydration.found,
            failure.records.len(),
            "found disagrees with the records"
        );
    }
    if !changed && !bodies.is_empty() {
        assert_eq!(results.len(), 1, "one failure");
        let failure = results.into_iter().next().expect("one").expect("assembles");
        assert_eq!(failure.records, records);
    }
}
