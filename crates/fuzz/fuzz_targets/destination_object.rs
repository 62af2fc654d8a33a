//! `DestinationObject`, the reader of an S3 failure destination's object
//! (the OnFailure record plus the batch as `payload`), on any text.
//!
//! Invariants for an object it reads: the failure record is the object
//! without its payload, member for member; the records it takes from the
//! payload are in the failed range, each byte for byte the base64 `data` of
//! a payload record with its sequence number; the status agrees with what
//! was found (`complete`: `batchSize` records and no reason; `partial`:
//! some, with a reason; `unavailable`: none); and the DLQ messages built
//! from it read back to the same record text and records.
#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use streamdlq_core::{
    DestinationObject, FailureSource, HydrationStatus, StreamSource, assemble, build_parts,
};

/// The smallest DLQ message the hydrate function may be configured with
/// (`MESSAGE_LIMIT_BYTES`): the most parts and fragments.
const LIMIT: usize = 16 * 1024;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(object) = DestinationObject::parse(text) else {
        return;
    };
    let record = &object.record;
    if let Ok(Value::Object(mut members)) = serde_json::from_str::<Value>(text) {
        members.shift_remove("payload");
        let kept: Value = serde_json::from_str(&record.original).expect("the record is JSON");
        assert_eq!(
            kept,
            Value::Object(members),
            "the record is not the object less its payload"
        );
    }
    let hydration = object.hydration();
    let batch = &record.batch;
    let found = hydration.records.len();
    match hydration.status {
        HydrationStatus::Complete => {
            assert_eq!(u32::try_from(found).ok(), Some(hydration.expected));
            assert_eq!(hydration.reason, None);
        }
        HydrationStatus::Partial => {
            assert!(found > 0, "partial without records");
            assert!(hydration.reason.is_some(), "partial without a reason");
        }
        HydrationStatus::Unavailable => {
            assert_eq!(found, 0, "unavailable with records");
            assert!(hydration.reason.is_some(), "unavailable without a reason");
        }
        other => panic!("status {other:?} for a destination object"),
    }
    if found > 0 {
        assert_eq!(record.source, StreamSource::Kinesis);
        let payload: Value =
            serde_json::from_str(object.payload.as_ref().expect("records from a payload"))
                .expect("the payload is JSON");
        let entries = payload["Records"].as_array().expect("a Records array");
        for taken in &hydration.records {
            assert!(taken.sequence_number >= batch.start_sequence_number);
            assert!(taken.sequence_number <= batch.end_sequence_number);
            let matches = entries.iter().any(|entry| {
                entry["kinesis"]["sequenceNumber"].as_str() == Some(taken.sequence_number.as_str())
                    && entry["kinesis"]["data"]
                        .as_str()
                        .and_then(|data| STANDARD.decode(data).ok())
                        .is_some_and(|data| data == taken.data)
            });
            assert!(
                matches,
                "record {} is not the payload's",
                taken.sequence_number
            );
        }
    }
    // The DLQ carries it whole: the record text and the records, exact.
    let Ok(parts) = build_parts(
        &FailureSource::DestinationPayload(record),
        &hydration,
        LIMIT,
    ) else {
        return;
    };
    let mut back = assemble(parts.iter().map(|part| part.body.as_str()));
    assert_eq!(back.len(), 1);
    let failure = back.remove(0).expect("what was built assembles");
    assert_eq!(
        failure.records, hydration.records,
        "records altered in the DLQ"
    );
    assert_eq!(
        failure.failure.as_deref().map(str::trim),
        Some(record.original.trim())
    );
});
