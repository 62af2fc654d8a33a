//! Deterministic ids for hydrated failures.
//!
//! The id must be the same every time the same failure is hydrated (SNS
//! delivers at least once and Lambda retries failed invocations), so that a
//! reader recognises duplicates, and every part of one failure shares it.
//!
//! It is derived from what identifies the failure, not from its text: the
//! stream ARN, shard, start and end sequence numbers and, when present, the
//! ESM's `requestId`. The same record re-encoded by another tool (reordered
//! keys, other whitespace, a pretty-printed sample event) keeps its id, and two
//! failures of the same range from different invocations stay apart by their
//! `requestId`. Sequence numbers are hashed without leading zeros, matching
//! [`crate::SequenceNumber`] equality. Text that is not a
//! failure record has nothing else to go by, so its id hashes the text.
//!
//! Each field is length-prefixed and the input starts with a tag naming the
//! kind of id, so no two different inputs hash the same bytes.

use sha2::{Digest, Sha256};

use crate::failure::FailureRecord;
use crate::sequence::SequenceNumber;

/// The id of a parsed failure record: 64 lowercase hex digits.
pub fn failure_id(record: &FailureRecord) -> String {
    let batch = &record.batch;
    let request_id = record
        .request_context
        .as_ref()
        .and_then(|context| context.request_id.as_deref());
    let mut hasher = Sha256::new();
    hasher.update(b"streamdlq/failure-id/v1");
    field(&mut hasher, batch.stream_arn.as_bytes());
    field(&mut hasher, batch.shard_id.as_bytes());
    field(
        &mut hasher,
        significant(&batch.start_sequence_number).as_bytes(),
    );
    field(
        &mut hasher,
        significant(&batch.end_sequence_number).as_bytes(),
    );
    match request_id {
        Some(request_id) => {
            hasher.update([1]);
            field(&mut hasher, request_id.as_bytes());
        }
        None => hasher.update([0]),
    }
    hex(&hasher.finalize())
}

/// The id of text that is not a failure record: 64 lowercase hex digits.
pub fn raw_id(text: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"streamdlq/raw-id/v1");
    field(&mut hasher, text.as_bytes());
    hex(&hasher.finalize())
}

fn field(hasher: &mut Sha256, bytes: &[u8]) {
    hasher.update((bytes.len() as u64).to_be_bytes());
    hasher.update(bytes);
}

fn significant(sequence: &SequenceNumber) -> &str {
    let trimmed = sequence.as_str().trim_start_matches('0');
    if trimmed.is_empty() { "0" } else { trimmed }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{KINESIS_FAILURE, failure};

    /// The same failure parsed twice gets the same 64-hex-digit id.
    #[test]
    fn same_failure_gets_the_same_id() {
        let id = failure_id(&failure(KINESIS_FAILURE));
        assert_eq!(id, failure_id(&failure(KINESIS_FAILURE)));
        assert_eq!(id.len(), 64);
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
    }

    /// Formatting of the record text does not change the id.
    #[test]
    fn reformatted_failure_keeps_its_id() {
        let value: serde_json::Value = serde_json::from_str(KINESIS_FAILURE).expect("json");
        let compact = serde_json::to_string(&value).expect("json");
        assert_ne!(compact, KINESIS_FAILURE);
        assert_eq!(
            failure_id(&failure(&compact)),
            failure_id(&failure(KINESIS_FAILURE))
        );
    }

    /// Another range, shard, stream or request is another failure.
    #[test]
    fn different_failures_get_different_ids() {
        let base = failure_id(&failure(KINESIS_FAILURE));
        let variants = [
            KINESIS_FAILURE.replace("shardId-000000000001", "shardId-000000000002"),
            KINESIS_FAILURE.replace("stream/orders", "stream/payments"),
            KINESIS_FAILURE.replace("5618\"", "5619\""),
            KINESIS_FAILURE.replace("c9b8fa9f", "d9b8fa9f"),
        ];
        for variant in variants {
            assert_ne!(failure_id(&failure(&variant)), base, "{variant}");
        }
    }

    /// Raw ids depend on every byte of the text and never equal a failure id.
    #[test]
    fn raw_ids_follow_the_text() {
        assert_eq!(raw_id("not json"), raw_id("not json"));
        assert_ne!(raw_id("not json"), raw_id("not json "));
        assert_ne!(
            raw_id(KINESIS_FAILURE),
            failure_id(&failure(KINESIS_FAILURE))
        );
    }
}
