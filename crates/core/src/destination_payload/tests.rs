use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use super::*;

const OBJECT: &str = include_str!("../../../../events/s3-onfailure-object-kinesis.json");
const EVENT: &str = include_str!("../../../../events/kinesis-batch-valid.json");

fn object_value() -> Value {
    serde_json::from_str(OBJECT).expect("fixture is JSON")
}

/// The data of the fixture's first `n` Kinesis records, decoded.
fn event_data(n: usize) -> Vec<Vec<u8>> {
    let event: Value = serde_json::from_str(EVENT).expect("fixture is JSON");
    event["Records"].as_array().expect("Records")[..n]
        .iter()
        .map(|record| {
            STANDARD
                .decode(record["kinesis"]["data"].as_str().expect("data"))
                .expect("base64")
        })
        .collect()
}

/// A payload given as an object yields every record of the range,
/// byte-exact, with its sequence number, key and arrival time: complete.
#[test]
fn a_payload_object_gives_the_records_of_the_range_byte_exact() {
    let object = DestinationObject::parse(OBJECT).expect("object");
    let hydration = object.hydration();
    assert_eq!(hydration.status, HydrationStatus::Complete, "{hydration:?}");
    assert_eq!(hydration.reason, None);
    assert_eq!(hydration.expected, 3);
    let data: Vec<Vec<u8>> = hydration.records.iter().map(|r| r.data.clone()).collect();
    assert_eq!(data, event_data(3));
    let first = &hydration.records[0];
    assert_eq!(
        first.sequence_number.as_str(),
        "49656959252094532447391178218386271298406532436532183042"
    );
    assert_eq!(first.partition_key, "periodic-table");
    assert_eq!(first.approximate_arrival_millis, Some(1_795_428_897_512));
}

/// A payload given as a JSON string holding the event reads the same.
#[test]
fn a_payload_string_reads_like_a_payload_object() {
    let mut value = object_value();
    value["payload"] = Value::String(value["payload"].to_string());
    let text = serde_json::to_string(&value).expect("json");
    let from_string = DestinationObject::parse(&text).expect("object").hydration();
    let from_object = DestinationObject::parse(OBJECT)
        .expect("object")
        .hydration();
    assert_eq!(from_string, from_object);
}

/// The failure record keeps every member but the payload, verbatim and in
/// order, so the DLQ repeats the record and not the megabytes of payload.
#[test]
fn the_failure_record_is_the_object_without_its_payload() {
    let object = DestinationObject::parse(OBJECT).expect("object");
    assert!(!object.record.original.contains("\"payload\""));
    let mut expected = object_value();
    expected
        .as_object_mut()
        .expect("object")
        .shift_remove("payload");
    let kept: Value = serde_json::from_str(&object.record.original).expect("json");
    assert_eq!(kept, expected);
    let keys: Vec<&String> = kept.as_object().expect("object").keys().collect();
    let expected_keys: Vec<&String> = expected.as_object().expect("object").keys().collect();
    assert_eq!(keys, expected_keys);
    // Values keep their text: the nested record is embedded as written.
    assert!(
        object
            .record
            .original
            .contains("\"approximateInvokeCount\": 4")
    );
}

/// An object without a payload is still a failure: unavailable, with why.
#[test]
fn an_object_without_payload_is_unavailable_with_the_reason() {
    let mut value = object_value();
    value
        .as_object_mut()
        .expect("object")
        .shift_remove("payload");
    let object = DestinationObject::parse(&value.to_string()).expect("object");
    assert_eq!(object.payload, Err(PayloadError::Missing));
    let hydration = object.hydration();
    assert_eq!(hydration.status, HydrationStatus::Unavailable);
    assert!(
        hydration
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("the object has no payload")),
        "{hydration:?}"
    );
}

/// A record whose data is not base64 is left out, named by its sequence
/// number, and the others are kept: partial, never silently complete.
#[test]
fn a_record_with_broken_data_is_left_out_and_named() {
    let mut value = object_value();
    value["payload"]["Records"][1]["kinesis"]["data"] = Value::String("%%not base64%%".into());
    let hydration = DestinationObject::parse(&value.to_string())
        .expect("object")
        .hydration();
    assert_eq!(hydration.status, HydrationStatus::Partial);
    assert_eq!(hydration.found(), 2);
    let reason = hydration.reason.expect("reason");
    assert!(reason.contains("holds 2 of 3 records"), "{reason}");
    assert!(
        reason.contains("49656959252094532447391178218389898075865384020637696002 left out"),
        "{reason}"
    );
    assert!(!reason.contains("not base64%%"), "{reason}");
}

/// Records outside the failed range are not the failure's: left out, and
/// counted in the reason when the range is short.
#[test]
fn records_outside_the_range_are_not_carried() {
    let mut value = object_value();
    let event: Value = serde_json::from_str(EVENT).expect("json");
    value["payload"] = event;
    value["KinesisBatchInfo"]["batchSize"] = Value::from(4);
    let hydration = DestinationObject::parse(&value.to_string())
        .expect("object")
        .hydration();
    assert_eq!(hydration.status, HydrationStatus::Partial);
    assert_eq!(hydration.found(), 3);
    let reason = hydration.reason.expect("reason");
    assert!(
        reason.contains("3 of 4 records of the range (2 more outside the range)"),
        "{reason}"
    );
}

/// A payload that is not a Kinesis event leaves the failure unavailable,
/// with the position of the problem and none of its text.
#[test]
fn a_payload_that_is_not_a_kinesis_event_is_unavailable() {
    let mut value = object_value();
    value["payload"] = serde_json::json!({"Records": [{"secret": "do-not-log"}]});
    let hydration = DestinationObject::parse(&value.to_string())
        .expect("object")
        .hydration();
    assert_eq!(hydration.status, HydrationStatus::Unavailable);
    let reason = hydration.reason.expect("reason");
    assert!(reason.contains("not a Kinesis event"), "{reason}");
    assert!(!reason.contains("do-not-log"), "{reason}");
}

/// Payloads of other types are named by their type.
#[test]
fn payloads_of_other_types_are_refused_by_type() {
    for (payload, expected) in [
        (serde_json::json!([1]), PayloadError::WrongType("an array")),
        (serde_json::json!(7), PayloadError::WrongType("a number")),
        (Value::Null, PayloadError::Missing),
        (
            Value::String("[1]".into()),
            PayloadError::WrongType("a string holding JSON that is not an object"),
        ),
    ] {
        let mut value = object_value();
        value["payload"] = payload;
        let object = DestinationObject::parse(&value.to_string()).expect("object");
        assert_eq!(object.payload, Err(expected));
    }
    let mut value = object_value();
    value["payload"] = Value::String("{not json".into());
    let object = DestinationObject::parse(&value.to_string()).expect("object");
    assert!(matches!(
        object.payload,
        Err(PayloadError::StringNotJson(_))
    ));
}

/// Text that is not an OnFailure object is an error that quotes none of it.
#[test]
fn text_that_is_not_an_onfailure_object_is_an_error() {
    let error = DestinationObject::parse("secret-text").expect_err("not JSON");
    assert!(matches!(error, DestinationObjectError::NotAnObject(_)));
    assert!(!error.to_string().contains("secret"), "{error}");
    let error = DestinationObject::parse(r#"{"payload": {}}"#).expect_err("no batch info");
    assert!(matches!(
        error,
        DestinationObjectError::Record(FailureParseError::NoBatchInfo)
    ));
}

/// A DynamoDB Streams object is parsed, but its payload is not read as
/// Kinesis records.
#[test]
fn a_dynamodb_object_is_not_read_as_kinesis_records() {
    let text = OBJECT.replace("KinesisBatchInfo", "DDBStreamBatchInfo");
    let object = DestinationObject::parse(&text).expect("object");
    assert_eq!(object.record.source, StreamSource::DynamoDb);
    assert_eq!(object.hydration().status, HydrationStatus::Unavailable);
}
