//! [`DynamoDbRecord`]: one DynamoDB Streams record as the Lambda event
//! carries it, with the item images in DynamoDB JSON.
//!
//! AWS contract honoured here:
//! - Attribute values are DynamoDB JSON: `{"S": "text"}`, `{"N": "1.50"}`
//!   (numbers stay the decimal strings DynamoDB stores, never floats),
//!   `{"B": "<base64>"}`, `{"SS": […]}`, `{"NS": […]}`, `{"BS": […]}`,
//!   `{"M": {…}}`, `{"L": […]}`, `{"NULL": true}`, `{"BOOL": false}`.
//! - `ApproximateCreationDateTime` is epoch seconds as a JSON number (AWS
//!   rounds it to the second; a sub-second value is kept to the millisecond).
//! - Map keys are written sorted: JSON objects have no order, and a retried
//!   hydration must write the same bytes so readers see a duplicate.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::sequence::SequenceNumber;
use crate::stream::ShardRecord;

/// `eventSource` of every DynamoDB Streams record in a Lambda event.
pub const EVENT_SOURCE: &str = "aws:dynamodb";

/// An item or its key: attribute names to values.
pub type Item = BTreeMap<String, AttributeValue>;

/// One attribute value in DynamoDB JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AttributeValue {
    S(String),
    /// A number as DynamoDB stores it: decimal text, up to 38 digits.
    N(String),
    #[serde(with = "base64_bytes")]
    B(Vec<u8>),
    #[serde(rename = "SS")]
    Ss(Vec<String>),
    #[serde(rename = "NS")]
    Ns(Vec<String>),
    #[serde(rename = "BS", with = "base64_list")]
    Bs(Vec<Vec<u8>>),
    M(Item),
    L(Vec<AttributeValue>),
    #[serde(rename = "NULL")]
    Null(bool),
    #[serde(rename = "BOOL")]
    Bool(bool),
}

/// When DynamoDB wrote a stream record, in milliseconds since the Unix
/// epoch; written as epoch seconds, a whole number when it is one (as AWS
/// sends it), three decimals at most otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct EpochTime(pub i64);

impl EpochTime {
    pub fn millis(self) -> i64 {
        self.0
    }
}

impl Serialize for EpochTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0 % 1000 == 0 {
            serializer.serialize_i64(self.0 / 1000)
        } else {
            serializer.serialize_f64(self.0 as f64 / 1000.0)
        }
    }
}

impl<'de> Deserialize<'de> for EpochTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let seconds = f64::deserialize(deserializer)?;
        if !seconds.is_finite() {
            return Err(D::Error::custom(
                "ApproximateCreationDateTime is not a number",
            ));
        }
        Ok(Self((seconds * 1000.0).round() as i64))
    }
}

/// `dynamodb` of a stream record: the change itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approximate_creation_date_time: Option<EpochTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<Item>,
    /// The item after the change (`NEW_IMAGE`, `NEW_AND_OLD_IMAGES`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_image: Option<Item>,
    /// The item before the change (`OLD_IMAGE`, `NEW_AND_OLD_IMAGES`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_image: Option<Item>,
    pub sequence_number: SequenceNumber,
    /// The size of the stream record in bytes, as DynamoDB counts it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    /// `KEYS_ONLY`, `NEW_IMAGE`, `OLD_IMAGE` or `NEW_AND_OLD_IMAGES`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_view_type: Option<String>,
}

/// `userIdentity`: set when DynamoDB itself deleted the item (TTL expiry:
/// type `Service`, principal `dynamodb.amazonaws.com`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserIdentity {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(
        rename = "principalId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub principal_id: Option<String>,
}

/// One DynamoDB Streams record, field for field as a Lambda event carries
/// it (without `eventSourceARN`, which is the failure's `streamArn`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DynamoDbRecord {
    #[serde(rename = "eventID")]
    pub event_id: String,
    /// `INSERT`, `MODIFY` or `REMOVE`.
    #[serde(rename = "eventName")]
    pub event_name: String,
    #[serde(rename = "eventVersion")]
    pub event_version: String,
    #[serde(rename = "eventSource")]
    pub event_source: String,
    #[serde(rename = "awsRegion")]
    pub aws_region: String,
    pub dynamodb: StreamChange,
    #[serde(
        rename = "userIdentity",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub user_identity: Option<UserIdentity>,
}

impl DynamoDbRecord {
    pub fn sequence_number(&self) -> &SequenceNumber {
        &self.dynamodb.sequence_number
    }
}

impl ShardRecord for DynamoDbRecord {
    const MAX_RECORDS_PER_CALL: u32 = 1_000;

    fn sequence_number(&self) -> &SequenceNumber {
        &self.dynamodb.sequence_number
    }

    fn size(&self) -> u64 {
        self.dynamodb.size_bytes.unwrap_or(0)
    }

    fn approximate_arrival_millis(&self) -> Option<i64> {
        self.dynamodb
            .approximate_creation_date_time
            .map(EpochTime::millis)
    }
}

impl fmt::Display for AttributeValue {
    /// DynamoDB JSON, for people and logs that show keys (never images).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match serde_json::to_string(self) {
            Ok(text) => f.write_str(&text),
            Err(_) => Err(fmt::Error),
        }
    }
}

mod base64_bytes {
    use super::*;

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        STANDARD
            .decode(text.as_bytes())
            .map_err(|error| D::Error::custom(format_args!("B is not base64: {error}")))
    }
}

mod base64_list {
    use serde::ser::SerializeSeq;

    use super::*;

    pub fn serialize<S: Serializer>(list: &[Vec<u8>], serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(list.len()))?;
        for bytes in list {
            seq.serialize_element(&STANDARD.encode(bytes))?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<Vec<u8>>, D::Error> {
        Vec::<String>::deserialize(deserializer)?
            .iter()
            .map(|text| {
                STANDARD
                    .decode(text.as_bytes())
                    .map_err(|error| D::Error::custom(format_args!("BS is not base64: {error}")))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD: &str = include_str!("../../../../events/dynamodb-stream-record.json");

    /// Every attribute type reads and writes back as the same DynamoDB JSON,
    /// numbers as their text and binary as base64.
    #[test]
    fn attribute_values_round_trip_as_dynamodb_json() {
        let text = r#"{"M":{"b":{"B":"AAH/"},"bs":{"BS":["AA==","/w=="]},"f":{"BOOL":false},"l":{"L":[{"NULL":true},{"N":"-0.000100"}]},"n":{"N":"12345678901234567890123456789012345678"},"ns":{"NS":["1","2.50"]},"s":{"S":"café"},"ss":{"SS":["a","b"]}}}"#;
        let value: AttributeValue = serde_json::from_str(text).expect("value");
        let AttributeValue::M(map) = &value else {
            panic!("a map: {value:?}");
        };
        assert_eq!(map["b"], AttributeValue::B(vec![0, 1, 255]));
        assert_eq!(
            map["n"],
            AttributeValue::N("12345678901234567890123456789012345678".into())
        );
        assert_eq!(serde_json::to_string(&value).expect("json"), text);
    }

    /// A record as the Lambda event carries it reads and writes back
    /// unchanged (keys sorted, as this type writes them).
    #[test]
    fn stream_record_fixture_round_trips() {
        let record: DynamoDbRecord = serde_json::from_str(RECORD).expect("record");
        assert_eq!(record.event_source, EVENT_SOURCE);
        assert_eq!(record.event_name, "MODIFY");
        let again = serde_json::to_value(&record).expect("json");
        let original: serde_json::Value = serde_json::from_str(RECORD).expect("json");
        assert_eq!(again, original);
    }

    /// Whole seconds are written as an integer, as AWS writes them; a
    /// sub-second time keeps its milliseconds.
    #[test]
    fn creation_time_is_written_in_epoch_seconds() {
        assert_eq!(
            serde_json::to_string(&EpochTime(1_479_499_740_000)).expect("json"),
            "1479499740"
        );
        assert_eq!(
            serde_json::to_string(&EpochTime(1_479_499_740_123)).expect("json"),
            "1479499740.123"
        );
        let back: EpochTime = serde_json::from_str("1479499740.123").expect("time");
        assert_eq!(back, EpochTime(1_479_499_740_123));
    }
}
