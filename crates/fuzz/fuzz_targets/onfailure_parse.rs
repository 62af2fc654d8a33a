//! `FailureRecord::parse` on any text; what parses gets an id and survives a
//! DLQ round trip verbatim.
#![no_main]

use libfuzzer_sys::fuzz_target;
use streamdlq_core::dlq::{SQS_MESSAGE_LIMIT, failure_id};
use streamdlq_core::{
    FailureRecord, FailureSource, Hydration, HydrationStatus, assemble, build_parts,
};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(record) = FailureRecord::parse(text) else {
        return;
    };
    let id = failure_id(&record);
    assert_eq!(id.len(), 64);
    let hydration = Hydration::without_records(
        HydrationStatus::Rejected,
        record.batch.batch_size,
        "not on the allowlist",
    );
    let Ok(parts) = build_parts(
        &FailureSource::Record(&record),
        &hydration,
        SQS_MESSAGE_LIMIT,
    ) else {
        return;
    };
    let mut back = assemble(parts.iter().map(|part| part.body.as_str()));
    assert_eq!(back.len(), 1);
    let failure = back.remove(0).expect("what was built assembles");
    assert_eq!(failure.id, id);
    assert_eq!(failure.failure.as_deref().map(str::trim), Some(text.trim()));
});
