//! Keeps the `events/` fixtures honest: real Kinesis shapes that round-trip
//! through aws_lambda_events, PutRecords files the AWS CLI accepts, and
//! batches made of exactly the records those files put.

use aws_lambda_events::kinesis::KinesisEvent;
use aws_lambda_events::streams::KinesisEventResponse;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use processor::{Element, SchemaMode};
use serde_json::Value;
use streamdlq_core::SequenceNumber;

const VALID: &str = include_str!("../../../events/kinesis-batch-valid.json");
const POISON_PILL: &str = include_str!("../../../events/kinesis-batch-poison-pill.json");
const POISON_PILL_RESPONSE: &str =
    include_str!("../../../events/kinesis-batch-response-poison-pill.json");
const EMPTY: &str = include_str!("../../../events/kinesis-batch-empty.json");
const INVALID_BASE64: &str = include_str!("../../../events/kinesis-batch-invalid-base64.json");
const NOT_JSON: &str = include_str!("../../../events/kinesis-batch-not-json.json");
const NON_UTF8: &str = include_str!("../../../events/kinesis-batch-non-utf8.json");
const PUT_WITHOUT_PILL: &str =
    include_str!("../../../events/test-records-without-poison-pill.json");
const PUT_WITH_PILL: &str = include_str!("../../../events/test-records-with-poison-pill.json");

const EVENTS: [(&str, &str); 7] = [
    ("valid", VALID),
    ("poison pill", POISON_PILL),
    ("empty", EMPTY),
    ("invalid base64", INVALID_BASE64),
    ("not JSON", NOT_JSON),
    ("non-UTF-8", NON_UTF8),
    ("response", POISON_PILL_RESPONSE),
];

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("fixture is JSON")
}

fn records(text: &str) -> Vec<Value> {
    json(text)["Records"].as_array().expect("Records").clone()
}

/// Every fixture that aws_lambda_events can read survives a typed round
/// trip unchanged.
#[test]
fn kinesis_events_round_trip_through_the_typed_event() {
    for (name, text) in [
        ("valid", VALID),
        ("poison pill", POISON_PILL),
        ("empty", EMPTY),
        ("not JSON", NOT_JSON),
        ("non-UTF-8", NON_UTF8),
    ] {
        let typed: KinesisEvent = serde_json::from_str(text).expect(name);
        let again: KinesisEvent =
            serde_json::from_str(&serde_json::to_string(&typed).expect(name)).expect(name);
        assert_eq!(typed, again, "{name}");
    }
}

/// The golden response is the typed response, unchanged by a round trip.
#[test]
fn golden_response_round_trips_through_the_typed_response() {
    let typed: KinesisEventResponse =
        serde_json::from_str(POISON_PILL_RESPONSE).expect("typed response");
    assert_eq!(
        serde_json::to_string_pretty(&typed).expect("serialises"),
        POISON_PILL_RESPONSE.trim_end()
    );
    assert_eq!(
        json(POISON_PILL_RESPONSE)["batchItemFailures"][0]["itemIdentifier"],
        records(POISON_PILL)[2]["kinesis"]["sequenceNumber"]
    );
}

/// Batches look like what the ESM sends: one shard, 56-digit sequence
/// numbers in increasing order, eventID `<shard>:<sequence number>`.
#[test]
fn kinesis_events_have_the_real_shape() {
    for (name, text) in EVENTS {
        if name == "response" || name == "empty" {
            continue;
        }
        let mut previous: Option<SequenceNumber> = None;
        for record in records(text) {
            let sequence_number = record["kinesis"]["sequenceNumber"].as_str().expect(name);
            assert_eq!(sequence_number.len(), 56, "{name}");
            let parsed = SequenceNumber::parse(sequence_number).expect(name);
            assert!(previous.is_none_or(|previous| previous < parsed), "{name}");
            previous = Some(parsed);
            assert_eq!(
                record["eventID"],
                format!("shardId-000000000000:{sequence_number}"),
                "{name}"
            );
            assert_eq!(
                record["eventSourceARN"],
                "arn:aws:kinesis:us-east-1:123456789012:stream/streamdlq-demo"
            );
            assert_eq!(record["eventSource"], "aws:kinesis");
            assert!(record["kinesis"]["approximateArrivalTimestamp"].is_f64());
        }
    }
    assert_eq!(json(EMPTY), serde_json::json!({ "Records": [] }));
}

/// PutRecords files hold only `Data` (base64, what AWS CLI v2 expects for
/// blobs by default) and `PartitionKey`, within the 500-record limit.
#[test]
fn put_records_files_have_the_cli_shape() {
    for text in [PUT_WITHOUT_PILL, PUT_WITH_PILL] {
        let entries = json(text);
        let entries = entries.as_array().expect("a JSON array");
        assert!((1..=500).contains(&entries.len()));
        for entry in entries {
            let keys: Vec<&str> = entry
                .as_object()
                .expect("object")
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(keys, ["Data", "PartitionKey"]);
            STANDARD
                .decode(entry["Data"].as_str().expect("Data"))
                .expect("Data is base64");
            let key = entry["PartitionKey"].as_str().expect("PartitionKey");
            assert!((1..=256).contains(&key.len()));
        }
    }
}

fn decoded(text: &str) -> Vec<Vec<u8>> {
    json(text)
        .as_array()
        .expect("array")
        .iter()
        .map(|entry| {
            STANDARD
                .decode(entry["Data"].as_str().expect("Data"))
                .expect("base64")
        })
        .collect()
}

/// Without the pill every record is a valid element; with it exactly one,
/// Boron's string mass, is poison (and lenient mode reads it). The pill is
/// in the middle: put together under one partition key, the records form
/// one batch; the processor answers partially at the pill, then fails the
/// invocation when the pill heads the retried rest, so the ESM bisects until
/// the pill is alone and the demo's DLQ holds exactly the pill.
#[test]
fn put_records_files_differ_by_exactly_one_poison_pill() {
    let clean = decoded(PUT_WITHOUT_PILL);
    let with_pill = decoded(PUT_WITH_PILL);
    assert_eq!(clean.len(), with_pill.len());
    for data in &clean {
        Element::from_bytes(data, SchemaMode::Strict).expect("valid element");
    }
    let poison: Vec<usize> = with_pill
        .iter()
        .enumerate()
        .filter(|(_, data)| Element::from_bytes(data, SchemaMode::Strict).is_err())
        .map(|(position, _)| position)
        .collect();
    assert_eq!(
        poison,
        [4],
        "the pill is in the middle, records before and after it"
    );
    let boron = Element::from_bytes(&with_pill[4], SchemaMode::Lenient).expect("lenient");
    assert_eq!((&*boron.symbol, boron.atomic_mass), ("B", 10.811));
    let keys = json(PUT_WITH_PILL);
    let keys = keys.as_array().expect("array");
    assert!(
        keys.iter()
            .all(|entry| entry["PartitionKey"] == keys[0]["PartitionKey"])
    );
}

/// The batch fixtures carry the very records the PutRecords files put, so
/// the demo and the unit tests see the same data: the valid batch is the
/// first five records of the clean file, the poison-pill batch five records
/// of the file with the pill, the pill among them.
#[test]
fn batches_carry_the_put_records_data() {
    let data = |text: &str| -> Vec<String> {
        records(text)
            .iter()
            .map(|record| record["kinesis"]["data"].as_str().expect("data").to_owned())
            .collect()
    };
    let put = |text: &str| -> Vec<String> {
        json(text)
            .as_array()
            .expect("array")
            .iter()
            .map(|entry| entry["Data"].as_str().expect("Data").to_owned())
            .collect()
    };
    assert_eq!(data(VALID), put(PUT_WITHOUT_PILL)[..5]);
    let with_pill = put(PUT_WITH_PILL);
    let batch = data(POISON_PILL);
    assert_eq!(batch.len(), 5);
    assert!(batch.iter().all(|record| with_pill.contains(record)));
    assert!(batch.contains(&with_pill[4]), "the pill");
}
