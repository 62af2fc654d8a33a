//! aws-sdk-dynamodbstreams output to [`DynamoDbRecord`], exactly: numbers
//! keep their decimal text, binary values their bytes, sets their order,
//! nested maps and lists their structure, `NULL` and `BOOL` their value.
//!
//! Anything the stream record cannot be without (its sequence number) or
//! that this code does not know how to keep (an attribute type added after
//! this SDK) is an error, never a value silently left out.

use std::collections::HashMap;

use aws_sdk_dynamodbstreams::primitives::DateTime;
use aws_sdk_dynamodbstreams::types::{
    AttributeValue as SdkValue, Identity, Record, StreamRecord as SdkChange,
};

use super::record::{AttributeValue, DynamoDbRecord, EpochTime, Item, StreamChange, UserIdentity};
use crate::sequence::SequenceNumber;
use crate::stream::ReadError;

/// Converts one GetRecords record.
pub(crate) fn dynamodb_record(record: Record) -> Result<DynamoDbRecord, ReadError> {
    let change = record
        .dynamodb
        .ok_or_else(|| bad("a record without its dynamodb change"))?;
    Ok(DynamoDbRecord {
        event_id: record.event_id.unwrap_or_default(),
        event_name: record
            .event_name
            .map(|name| name.as_str().to_owned())
            .unwrap_or_default(),
        event_version: record.event_version.unwrap_or_default(),
        event_source: record.event_source.unwrap_or_default(),
        aws_region: record.aws_region.unwrap_or_default(),
        dynamodb: stream_change(change)?,
        user_identity: record.user_identity.map(user_identity),
    })
}

fn stream_change(change: SdkChange) -> Result<StreamChange, ReadError> {
    let text = change
        .sequence_number
        .ok_or_else(|| bad("a record without a sequence number"))?;
    let sequence_number = SequenceNumber::parse(&text)
        .map_err(|error| bad(&format!("a bad sequence number: {error}")))?;
    let size_bytes = change
        .size_bytes
        .map(|size| u64::try_from(size).map_err(|_| bad(&format!("SizeBytes {size}"))))
        .transpose()?;
    Ok(StreamChange {
        approximate_creation_date_time: change
            .approximate_creation_date_time
            .map(epoch_time)
            .transpose()?,
        keys: change.keys.map(item).transpose()?,
        new_image: change.new_image.map(item).transpose()?,
        old_image: change.old_image.map(item).transpose()?,
        sequence_number,
        size_bytes,
        stream_view_type: change.stream_view_type.map(|view| view.as_str().to_owned()),
    })
}

fn epoch_time(time: DateTime) -> Result<EpochTime, ReadError> {
    time.to_millis().map(EpochTime).map_err(|error| {
        bad(&format!(
            "an ApproximateCreationDateTime out of range: {error}"
        ))
    })
}

fn user_identity(identity: Identity) -> UserIdentity {
    UserIdentity {
        kind: identity.r#type,
        principal_id: identity.principal_id,
    }
}

fn item(map: HashMap<String, SdkValue>) -> Result<Item, ReadError> {
    map.into_iter()
        .map(|(name, value)| Ok((name, attribute_value(value)?)))
        .collect()
}

/// One attribute value, recursively.
pub(crate) fn attribute_value(value: SdkValue) -> Result<AttributeValue, ReadError> {
    Ok(match value {
        SdkValue::S(text) => AttributeValue::S(text),
        SdkValue::N(number) => AttributeValue::N(number),
        SdkValue::B(blob) => AttributeValue::B(blob.into_inner()),
        SdkValue::Ss(texts) => AttributeValue::Ss(texts),
        SdkValue::Ns(numbers) => AttributeValue::Ns(numbers),
        SdkValue::Bs(blobs) => {
            AttributeValue::Bs(blobs.into_iter().map(|b| b.into_inner()).collect())
        }
        SdkValue::M(map) => AttributeValue::M(item(map)?),
        SdkValue::L(list) => AttributeValue::L(
            list.into_iter()
                .map(attribute_value)
                .collect::<Result<_, _>>()?,
        ),
        SdkValue::Null(null) => AttributeValue::Null(null),
        SdkValue::Bool(flag) => AttributeValue::Bool(flag),
        // An attribute type this SDK does not know: keeping the record
        // without it would hand the DLQ a different item.
        _ => return Err(bad("an attribute of a type this reader does not know")),
    })
}

fn bad(what: &str) -> ReadError {
    ReadError::Other(format!("DynamoDB Streams GetRecords returned {what}"))
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodbstreams::primitives::Blob;
    use aws_sdk_dynamodbstreams::types::{OperationType, StreamViewType};

    use super::*;

    fn sdk_record(change: SdkChange) -> Record {
        Record::builder()
            .event_id("c4ca4238a0b923820dcc509a6f75849b")
            .event_name(OperationType::Modify)
            .event_version("1.1")
            .event_source("aws:dynamodb")
            .aws_region("eu-west-1")
            .dynamodb(change)
            .build()
    }

    /// Every attribute type, nested, with all 256 byte values in a binary
    /// attribute and numbers beyond any float, converts exactly.
    #[test]
    fn converts_every_attribute_type_exactly() {
        let all_bytes: Vec<u8> = (0..=255).collect();
        let nested = SdkValue::M(HashMap::from([
            (
                "bytes".to_owned(),
                SdkValue::B(Blob::new(all_bytes.clone())),
            ),
            (
                "list".to_owned(),
                SdkValue::L(vec![
                    SdkValue::Null(true),
                    SdkValue::Bool(false),
                    SdkValue::Ns(vec!["1".into(), "2.50".into()]),
                    SdkValue::Bs(vec![Blob::new([0u8]), Blob::new([255u8])]),
                    SdkValue::Ss(vec!["a".into(), "b".into()]),
                ]),
            ),
            (
                "n".to_owned(),
                SdkValue::N("-12345678901234567890123456789012345678E-130".into()),
            ),
        ]));
        let value = attribute_value(nested).expect("value");
        let AttributeValue::M(map) = value else {
            panic!("a map");
        };
        assert_eq!(map["bytes"], AttributeValue::B(all_bytes));
        assert_eq!(
            map["n"],
            AttributeValue::N("-12345678901234567890123456789012345678E-130".into())
        );
        assert_eq!(
            map["list"],
            AttributeValue::L(vec![
                AttributeValue::Null(true),
                AttributeValue::Bool(false),
                AttributeValue::Ns(vec!["1".into(), "2.50".into()]),
                AttributeValue::Bs(vec![vec![0], vec![255]]),
                AttributeValue::Ss(vec!["a".into(), "b".into()]),
            ])
        );
    }

    /// The record's fields and change metadata come across as the Lambda
    /// event carries them.
    #[test]
    fn converts_the_record_envelope_and_change() {
        let change = SdkChange::builder()
            .approximate_creation_date_time(DateTime::from_secs(1_795_428_841))
            .keys("Symbol", SdkValue::S("B".into()))
            .sequence_number("111100000000019440561534")
            .size_bytes(231)
            .stream_view_type(StreamViewType::NewAndOldImages)
            .build();
        let record = dynamodb_record(sdk_record(change)).expect("record");
        assert_eq!(record.event_name, "MODIFY");
        assert_eq!(
            record.dynamodb.sequence_number.as_str(),
            "111100000000019440561534"
        );
        assert_eq!(record.dynamodb.size_bytes, Some(231));
        assert_eq!(
            record.dynamodb.stream_view_type.as_deref(),
            Some("NEW_AND_OLD_IMAGES")
        );
        assert_eq!(
            record.dynamodb.approximate_creation_date_time,
            Some(EpochTime(1_795_428_841_000))
        );
        assert_eq!(record.dynamodb.new_image, None);
    }

    /// A record without a sequence number cannot be placed in the range: an
    /// error, not a guess.
    #[test]
    fn refuses_a_record_without_a_sequence_number() {
        let change = SdkChange::builder().build();
        assert!(matches!(
            dynamodb_record(sdk_record(change)),
            Err(ReadError::Other(_))
        ));
    }
}
