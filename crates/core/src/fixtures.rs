//! Test inputs shared by the unit tests of this crate: a real-shaped OnFailure record and
//! records of the kinds that must survive byte-exact.

use crate::failure::FailureRecord;
use crate::hydration::{Hydration, HydrationStatus};
use crate::sequence::SequenceNumber;
use crate::stream::StreamRecord;

/// A Kinesis OnFailure record as SNS delivers it (pretty-printed on purpose:
/// the DLQ must keep the text verbatim, whitespace included).
pub const KINESIS_FAILURE: &str = r#"{
  "requestContext": {"requestId": "c9b8fa9f-5a7f-4e56-8a2b-1d1f2c7c1e11",
    "functionArn": "arn:aws:lambda:eu-west-1:123456789012:function:processor",
    "condition": "RetryAttemptsExhausted", "approximateInvokeCount": 4},
  "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": null},
  "version": "1.0", "timestamp": "2026-11-23T10:15:30.123Z",
  "KinesisBatchInfo": {"shardId": "shardId-000000000001",
    "startSequenceNumber": "49590338271490256608559692538361571095921575989136588898",
    "endSequenceNumber": "49590338271490256608559692540925702759324208523137515618",
    "approximateArrivalOfFirstRecord": "2026-11-23T10:14:01.000Z",
    "approximateArrivalOfLastRecord": "2026-11-23T10:14:05.000Z",
    "batchSize": 3, "streamArn": "arn:aws:kinesis:eu-west-1:123456789012:stream/orders"},
  "somethingNew": {"nested": true, "text": "caf\u00e9 \"quoted\""}
}"#;

pub fn failure(text: &str) -> FailureRecord {
    FailureRecord::parse(text).expect("valid failure record")
}

/// A record with a 56-digit sequence number ending in `n`.
pub fn record(n: u32, partition_key: &str, data: Vec<u8>) -> StreamRecord {
    StreamRecord {
        sequence_number: SequenceNumber::parse(&format!(
            "4959033827149025660855969253836157109592157598{n:010}"
        ))
        .expect("digits"),
        partition_key: partition_key.to_owned(),
        approximate_arrival_millis: Some(1_795_428_841_000 + i64::from(n)),
        data,
    }
}

/// `count` records of `size` bytes each, every byte depending on its record.
pub fn records(count: u32, size: usize) -> Vec<StreamRecord> {
    (0..count)
        .map(|n| {
            let data = (0..size).map(|i| (i as u32 ^ n) as u8).collect();
            record(n, &format!("key-{n}"), data)
        })
        .collect()
}

pub fn complete(records: Vec<StreamRecord>) -> Hydration {
    Hydration {
        status: HydrationStatus::Complete,
        expected: records.len() as u32,
        records,
        reason: None,
    }
}
