//! Property tests of the readers beside the DLQ's Kinesis round trip
//! (`properties.rs`): DynamoDB Streams records through the DLQ format at
//! any limit, queue message bodies raw or in an SNS envelope, and the
//! objects of an S3 failure destination with any records in their payload.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use streamdlq_core::dlq::SQS_MESSAGE_LIMIT;
use streamdlq_core::dynamodb::{AttributeValue, EpochTime, Item, StreamChange};
use streamdlq_core::{
    DestinationObject, DynamoDbRecord, FailureRecord, FailureSource, Hydration, HydrationStatus,
    QueueBody, QueueBodyWrapping, SequenceNumber, assemble, build_parts,
};

const DYNAMODB_FAILURE: &str = include_str!("../../../events/onfailure-dynamodb.json");
const OBJECT: &str = include_str!("../../../events/s3-onfailure-object-kinesis.json");

/// The smallest limit at which a DynamoDB Streams failure of this fixture
/// always fits: header, attributes and a useful slice of an entry.
const MIN_DYNAMODB_LIMIT: usize = 4_096;

/// A MODIFY whose images carry `bytes` as a binary and `text` as a string.
fn change(n: usize, bytes: Vec<u8>, text: String) -> DynamoDbRecord {
    let key: Item = [("pk".to_owned(), AttributeValue::S(format!("item-{n}")))].into();
    let mut image = key.clone();
    image.insert("blob".to_owned(), AttributeValue::B(bytes));
    image.insert("text".to_owned(), AttributeValue::S(text));
    DynamoDbRecord {
        event_id: format!("{n:032x}"),
        event_name: "MODIFY".to_owned(),
        event_version: "1.1".to_owned(),
        event_source: "aws:dynamodb".to_owned(),
        aws_region: "eu-west-1".to_owned(),
        dynamodb: StreamChange {
            approximate_creation_date_time: Some(EpochTime(1_795_428_841_000)),
            keys: Some(key.clone()),
            new_image: Some(image),
            old_image: Some(key),
            sequence_number: SequenceNumber::parse(&format!("1111{n:020}")).expect("digits"),
            size_bytes: Some(100),
            stream_view_type: Some("NEW_AND_OLD_IMAGES".to_owned()),
        },
        user_identity: None,
    }
}

/// The fixture object with `records` (data, partition key) as its payload's
/// records, numbered from the fixture's first sequence number, and its
/// range and `batchSize` covering exactly them; the payload as an object or
/// as a string holding it.
fn object_with(records: &[(Vec<u8>, String)], payload_as_string: bool) -> (String, Vec<String>) {
    let mut object: Value = serde_json::from_str(OBJECT).expect("fixture is JSON");
    let template = object["payload"]["Records"][0].clone();
    let first = template["kinesis"]["sequenceNumber"]
        .as_str()
        .expect("sequence number")
        .to_owned();
    let (head, tail) = first.split_at(first.len() - 6);
    let base: u64 = tail.parse().expect("digits");
    let numbers: Vec<String> = (0..records.len() as u64)
        .map(|n| format!("{head}{:06}", base + n))
        .collect();
    let entries: Vec<Value> = records
        .iter()
        .zip(&numbers)
        .map(|((data, key), number)| {
            let mut entry = template.clone();
            entry["kinesis"]["data"] = json!(STANDARD.encode(data));
            entry["kinesis"]["partitionKey"] = json!(key);
            entry["kinesis"]["sequenceNumber"] = json!(number);
            entry["eventID"] = json!(format!("shardId-000000000000:{number}"));
            entry
        })
        .collect();
    let info = &mut object["KinesisBatchInfo"];
    info["batchSize"] = json!(records.len());
    info["startSequenceNumber"] = json!(numbers[0]);
    info["endSequenceNumber"] = json!(numbers[numbers.len() - 1]);
    object["payload"]["Records"] = Value::Array(entries);
    if payload_as_string {
        object["payload"] = Value::String(object["payload"].to_string());
    }
    (object.to_string(), numbers)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any DynamoDB Streams records, any bytes and text in their images,
    /// any limit: the parts (each within the limit, in reverse order, the
    /// first sent twice) assemble to exactly the records built.
    #[test]
    fn dynamodb_records_assemble_back_exactly(
        payloads in prop::collection::vec(
            (prop::collection::vec(any::<u8>(), 0..3_000), "\\PC{0,200}"),
            1..6,
        ),
        limit in MIN_DYNAMODB_LIMIT..=SQS_MESSAGE_LIMIT / 16,
    ) {
        let failure = FailureRecord::parse(DYNAMODB_FAILURE).expect("fixture parses");
        let records: Vec<DynamoDbRecord> = payloads
            .into_iter()
            .enumerate()
            .map(|(n, (bytes, text))| change(n, bytes, text))
            .collect();
        let hydration = Hydration {
            status: HydrationStatus::Complete,
            expected: u32::try_from(records.len()).expect("few"),
            records: records.clone(),
            reason: None,
        };
        let messages = build_parts(&FailureSource::Record(&failure), &hydration, limit)
            .expect("every limit from 4 KiB builds");
        let mut bodies: Vec<&str> = Vec::new();
        for message in messages.iter().rev() {
            prop_assert!(message.size() <= limit, "{} > {limit}", message.size());
            bodies.push(&message.body);
        }
        bodies.push(&messages[0].body);
        let mut failures = assemble(bodies);
        prop_assert_eq!(failures.len(), 1);
        let back = failures.remove(0).expect("assembles");
        prop_assert_eq!(back.dynamodb_records, records);
        prop_assert!(back.records.is_empty());
        prop_assert_eq!(back.failure.as_deref(), Some(DYNAMODB_FAILURE.trim()));
    }

    /// Any text in an SNS envelope, whatever the order of its members, is
    /// given back exactly, with the envelope's ids.
    #[test]
    fn an_sns_envelope_gives_back_any_message_exactly(
        message in "\\PC{0,300}|[\\x00-\\x1f\"\\\\{}]{0,100}",
        turn in 0usize..5,
        pretty in any::<bool>(),
    ) {
        let mut members = vec![
            ("Type", json!("Notification")),
            ("MessageId", json!("4f7c0e0e-1111-2222-3333-444455556666")),
            ("TopicArn", json!("arn:aws:sns:us-east-1:123456789012:failures")),
            ("Message", json!(message)),
            ("Timestamp", json!("2026-11-29T05:00:00.000Z")),
        ];
        members.rotate_left(turn);
        let envelope: Map<String, Value> =
            members.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        let body = if pretty {
            serde_json::to_string_pretty(&envelope)
        } else {
            serde_json::to_string(&envelope)
        }
        .expect("serialises");
        let read = QueueBody::read(&body);
        prop_assert_eq!(&*read.text, message.as_str());
        prop_assert_eq!(
            read.wrapping,
            QueueBodyWrapping::SnsNotification {
                message_id: Some("4f7c0e0e-1111-2222-3333-444455556666".to_owned()),
                topic_arn: Some("arn:aws:sns:us-east-1:123456789012:failures".to_owned()),
            }
        );
    }

    /// A body that is not an SNS notification (any text, or JSON of another
    /// `Type`) is kept whole, byte for byte.
    #[test]
    fn any_other_body_is_kept_whole(
        text in "\\PC{0,300}",
        kind in "[A-Za-z]{0,16}",
    ) {
        let other_type = json!({"Type": kind, "Message": text}).to_string();
        for body in [text.as_str(), other_type.as_str()] {
            if kind == "Notification" && body == other_type {
                continue;
            }
            let read = QueueBody::read(body);
            prop_assert_eq!(&*read.text, body);
            prop_assert_eq!(read.wrapping, QueueBodyWrapping::Raw);
        }
    }

    /// Any records in an S3 failure destination's payload, given as an
    /// object or as a string: the object yields every one of them, byte for
    /// byte, as `complete`, and the failure record without the payload.
    #[test]
    fn a_destination_object_yields_its_payload_records_exactly(
        records in prop::collection::vec(
            (prop::collection::vec(any::<u8>(), 0..2_000), "[ -~]{1,24}"),
            1..8,
        ),
        payload_as_string in any::<bool>(),
    ) {
        let (text, numbers) = object_with(&records, payload_as_string);
        let object = DestinationObject::parse(&text).expect("an object");
        prop_assert!(!object.record.original.contains("\"payload\""));
        let hydration = object.hydration();
        prop_assert_eq!(hydration.status, HydrationStatus::Complete, "{:?}", hydration.reason);
        let read: Vec<(Vec<u8>, String, String)> = hydration
            .records
            .iter()
            .map(|r| (r.data.clone(), r.partition_key.clone(), r.sequence_number.as_str().to_owned()))
            .collect();
        let built: Vec<(Vec<u8>, String, String)> = records
            .into_iter()
            .zip(numbers)
            .map(|((data, key), number)| (data, key, number))
            .collect();
        prop_assert_eq!(read, built);
    }
}
