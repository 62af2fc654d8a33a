//! The OnFailure record that a Lambda event source mapping sends to its
//! failure destination when a stream batch cannot be processed.
//!
//! AWS contract honoured here:
//! - Kinesis ESMs send `KinesisBatchInfo`, DynamoDB Streams ESMs send
//!   `DDBStreamBatchInfo` with the same fields.
//! - `responseContext` is absent for `RecordAgeExceeded`; `functionError` is
//!   `"Unhandled"` when the function threw and `null` when retries of a
//!   partial batch failure ran out.
//! - No complete list of `condition` values is documented, so unknown values
//!   are kept rather than rejected, and unknown fields are tolerated.
//! - aws_lambda_events has no type for this record, hence this module. The
//!   original text is kept verbatim so the DLQ carries exactly what AWS sent.

use std::fmt;

use serde::Deserialize;

use crate::sequence::SequenceNumber;

/// A parsed OnFailure record together with its original JSON text.
#[derive(Debug, Clone, PartialEq)]
pub struct FailureRecord {
    pub request_context: Option<RequestContext>,
    pub response_context: Option<ResponseContext>,
    pub version: Option<String>,
    pub timestamp: Option<String>,
    /// Which kind of stream the failed batch came from.
    pub source: StreamSource,
    /// The failed range: where it is and how many records it holds.
    pub batch: BatchInfo,
    /// The record exactly as received, for the DLQ message.
    pub original: String,
}

/// `requestContext`: which invocation failed and why.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestContext {
    #[serde(default)]
    pub request_id: Option<String>,
    #[serde(default)]
    pub function_arn: Option<String>,
    #[serde(default)]
    pub condition: Option<Condition>,
    #[serde(default)]
    pub approximate_invoke_count: Option<u64>,
}

/// `responseContext`: the function's last answer (absent for records that
/// expired before they were invoked).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseContext {
    #[serde(default)]
    pub status_code: Option<u16>,
    #[serde(default)]
    pub executed_version: Option<String>,
    /// `Some("Unhandled")` when the function threw; `None` when a partial
    /// batch failure ran out of retries.
    #[serde(default)]
    pub function_error: Option<String>,
}

/// Why the ESM gave up on the batch. Unknown values are kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    RetryAttemptsExhausted,
    RecordAgeExceeded,
    Other(String),
}

impl Condition {
    pub fn as_str(&self) -> &str {
        match self {
            Self::RetryAttemptsExhausted => "RetryAttemptsExhausted",
            Self::RecordAgeExceeded => "RecordAgeExceeded",
            Self::Other(other) => other,
        }
    }
}

impl From<&str> for Condition {
    fn from(text: &str) -> Self {
        match text {
            "RetryAttemptsExhausted" => Self::RetryAttemptsExhausted,
            "RecordAgeExceeded" => Self::RecordAgeExceeded,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Condition {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(Self::from(text.as_str()))
    }
}

/// The kind of stream behind an event source mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamSource {
    /// `KinesisBatchInfo`
    Kinesis,
    /// `DDBStreamBatchInfo`
    DynamoDb,
}

/// `KinesisBatchInfo` / `DDBStreamBatchInfo`: the failed range.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchInfo {
    pub shard_id: String,
    pub start_sequence_number: SequenceNumber,
    pub end_sequence_number: SequenceNumber,
    #[serde(default)]
    pub approximate_arrival_of_first_record: Option<String>,
    #[serde(default)]
    pub approximate_arrival_of_last_record: Option<String>,
    pub batch_size: u32,
    pub stream_arn: String,
}

/// Why a text is not a usable OnFailure record.
#[derive(Debug, thiserror::Error)]
pub enum FailureParseError {
    #[error("failure record is not valid JSON: {0}")]
    NotJson(#[source] serde_json::Error),
    #[error("failure record is {found}, not a JSON object")]
    NotAnObject { found: &'static str },
    #[error("failure record has neither KinesisBatchInfo nor DDBStreamBatchInfo")]
    NoBatchInfo,
    #[error("failure record has both KinesisBatchInfo and DDBStreamBatchInfo")]
    AmbiguousBatchInfo,
    #[error("failure record field {field} is malformed: {source}")]
    Malformed {
        field: &'static str,
        #[source]
        source: serde_json::Error,
    },
    /// Boxed: a sequence number holds its digits inline, and two of them
    /// would make every result of a parse carry their size.
    #[error("failure record range is reversed: start {start} is after end {end}")]
    ReversedRange {
        start: Box<SequenceNumber>,
        end: Box<SequenceNumber>,
    },
    #[error("failure record batchSize is 0")]
    EmptyBatch,
}

/// The wire shape, before we decide which batch info applies.
#[derive(Deserialize)]
struct Wire {
    #[serde(rename = "requestContext", default)]
    request_context: Option<serde_json::Value>,
    #[serde(rename = "responseContext", default)]
    response_context: Option<serde_json::Value>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(rename = "KinesisBatchInfo", default)]
    kinesis: Option<serde_json::Value>,
    #[serde(rename = "DDBStreamBatchInfo", default)]
    dynamodb: Option<serde_json::Value>,
}

impl FailureRecord {
    /// Parses an OnFailure record (an SNS `Message` or an SQS body).
    pub fn parse(text: &str) -> Result<Self, FailureParseError> {
        // serde reads a JSON array as a struct's fields in order; the format
        // says the record is an object, so anything else is refused first.
        if let Some(found) = not_an_object(text) {
            return Err(match serde_json::from_str::<serde::de::IgnoredAny>(text) {
                Ok(_) => FailureParseError::NotAnObject { found },
                Err(error) => FailureParseError::NotJson(error),
            });
        }
        let wire: Wire = serde_json::from_str(text).map_err(FailureParseError::NotJson)?;
        let (source, batch) = match (wire.kinesis, wire.dynamodb) {
            (Some(info), None) => (StreamSource::Kinesis, info),
            (None, Some(info)) => (StreamSource::DynamoDb, info),
            (None, None) => return Err(FailureParseError::NoBatchInfo),
            (Some(_), Some(_)) => return Err(FailureParseError::AmbiguousBatchInfo),
        };
        let batch: BatchInfo = field("batch info", batch)?;
        if batch.start_sequence_number > batch.end_sequence_number {
            return Err(FailureParseError::ReversedRange {
                start: Box::new(batch.start_sequence_number),
                end: Box::new(batch.end_sequence_number),
            });
        }
        if batch.batch_size == 0 {
            return Err(FailureParseError::EmptyBatch);
        }
        Ok(Self {
            request_context: wire
                .request_context
                .map(|v| field("requestContext", v))
                .transpose()?,
            response_context: optional_object(wire.response_context)
                .map(|v| field("responseContext", v))
                .transpose()?,
            version: wire.version,
            timestamp: wire.timestamp,
            source,
            batch,
            original: text.to_owned(),
        })
    }

    /// The ESM's reason for giving up, when it said one.
    pub fn condition(&self) -> Option<&Condition> {
        self.request_context.as_ref()?.condition.as_ref()
    }
}

/// `responseContext: null` means the same as an absent one.
fn optional_object(value: Option<serde_json::Value>) -> Option<serde_json::Value> {
    value.filter(|v| !v.is_null())
}

/// What a JSON text is when it is not an object, judged by its first
/// character (JSON allows only these four whitespace characters before it).
fn not_an_object(text: &str) -> Option<&'static str> {
    match text
        .trim_start_matches([' ', '\t', '\n', '\r'])
        .bytes()
        .next()
    {
        Some(b'{') => None,
        Some(b'[') => Some("an array"),
        Some(b'"') => Some("a string"),
        Some(b't' | b'f') => Some("a boolean"),
        Some(b'n') => Some("null"),
        _ => Some("a number"),
    }
}

/// Reads one nested object; like the record itself, it must be an object,
/// never an array read as the fields in order.
fn field<T: serde::de::DeserializeOwned>(
    name: &'static str,
    value: serde_json::Value,
) -> Result<T, FailureParseError> {
    if !value.is_object() {
        return Err(FailureParseError::Malformed {
            field: name,
            source: serde::de::Error::custom(format_args!(
                "{} is not a JSON object",
                match value {
                    serde_json::Value::Array(_) => "an array",
                    serde_json::Value::String(_) => "a string",
                    serde_json::Value::Bool(_) => "a boolean",
                    serde_json::Value::Null => "null",
                    _ => "a number",
                }
            )),
        });
    }
    serde_json::from_value(value).map_err(|source| FailureParseError::Malformed {
        field: name,
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::fixtures::KINESIS_FAILURE as KINESIS;

    #[test]
    fn parses_a_kinesis_failure_and_keeps_the_original_text() {
        let record = FailureRecord::parse(KINESIS).expect("valid record");
        assert_eq!(record.source, StreamSource::Kinesis);
        assert_eq!(record.batch.shard_id, "shardId-000000000001");
        assert_eq!(record.batch.batch_size, 3);
        assert_eq!(record.condition(), Some(&Condition::RetryAttemptsExhausted));
        let response = record.response_context.as_ref().expect("response context");
        assert_eq!(response.function_error, None);
        assert_eq!(record.original, KINESIS);
    }

    #[test]
    fn accepts_a_dynamodb_streams_failure() {
        let text = KINESIS.replace("KinesisBatchInfo", "DDBStreamBatchInfo");
        let record = FailureRecord::parse(&text).expect("valid record");
        assert_eq!(record.source, StreamSource::DynamoDb);
    }

    #[test]
    fn treats_missing_or_null_response_context_as_absent() {
        let value: serde_json::Value = serde_json::from_str(KINESIS).expect("json");
        let mut without = value.clone();
        without
            .as_object_mut()
            .expect("object")
            .remove("responseContext");
        let mut null = value;
        null["responseContext"] = serde_json::Value::Null;
        for text in [without.to_string(), null.to_string()] {
            assert_eq!(
                FailureRecord::parse(&text).expect("valid").response_context,
                None
            );
        }
    }

    #[test]
    fn keeps_unknown_conditions() {
        let text = KINESIS.replace("RetryAttemptsExhausted", "SomethingAwsAddsLater");
        let record = FailureRecord::parse(&text).expect("valid record");
        assert_eq!(
            record.condition(),
            Some(&Condition::Other("SomethingAwsAddsLater".into()))
        );
    }

    #[test]
    fn rejects_records_without_batch_info() {
        let text = KINESIS.replace("KinesisBatchInfo", "SomethingElse");
        assert!(matches!(
            FailureRecord::parse(&text),
            Err(FailureParseError::NoBatchInfo)
        ));
    }

    #[test]
    fn rejects_non_decimal_sequence_numbers() {
        let text = KINESIS.replace(
            "49590338271490256608559692538361571095921575989136588898",
            "4959x",
        );
        assert!(matches!(
            FailureRecord::parse(&text),
            Err(FailureParseError::Malformed {
                field: "batch info",
                ..
            })
        ));
    }

    #[test]
    fn rejects_a_reversed_range() {
        let text = KINESIS
            .replace(
                "49590338271490256608559692538361571095921575989136588898",
                "2",
            )
            .replace(
                "49590338271490256608559692540925702759324208523137515618",
                "10",
            )
            .replace(
                "\"startSequenceNumber\": \"2\"",
                "\"startSequenceNumber\": \"11\"",
            );
        assert!(matches!(
            FailureRecord::parse(&text),
            Err(FailureParseError::ReversedRange { .. })
        ));
    }

    /// The array: serde would read a sequence as the struct's
    /// fields in order, so `[null, null, "1.0", ts, {KinesisBatchInfo}]`
    /// would hydrate as a failure. A failure record is a JSON object.
    #[test]
    fn rejects_a_json_array_with_the_fields_in_order() {
        let value: serde_json::Value = serde_json::from_str(KINESIS).expect("json");
        let array = serde_json::json!([
            null,
            null,
            "1.0",
            "2026-11-23T10:15:30.123Z",
            value["KinesisBatchInfo"]
        ]);
        assert!(matches!(
            FailureRecord::parse(&array.to_string()),
            Err(FailureParseError::NotAnObject { found: "an array" })
        ));
    }

    /// Strings, numbers and `null` are JSON but not failure records.
    #[test]
    fn rejects_json_that_is_not_an_object() {
        for (text, kind) in [
            ("\"text\"", "a string"),
            ("42", "a number"),
            ("null", "null"),
            (" true ", "a boolean"),
        ] {
            match FailureRecord::parse(text) {
                Err(FailureParseError::NotAnObject { found }) => assert_eq!(found, kind),
                other => panic!("{text}: expected NotAnObject, got {other:?}"),
            }
        }
    }

    /// A nested part given as an array is malformed too, not read in order.
    #[test]
    fn rejects_batch_info_or_contexts_given_as_arrays() {
        let value: serde_json::Value = serde_json::from_str(KINESIS).expect("json");
        let info = &value["KinesisBatchInfo"];
        let as_array = serde_json::json!([
            info["shardId"],
            info["startSequenceNumber"],
            info["endSequenceNumber"],
            null,
            null,
            info["batchSize"],
            info["streamArn"]
        ]);
        let mut batch = value.clone();
        batch["KinesisBatchInfo"] = as_array;
        let mut request = value.clone();
        request["requestContext"] = serde_json::json!(["id", "arn", "RetryAttemptsExhausted", 4]);
        let mut response = value;
        response["responseContext"] = serde_json::json!([200, "$LATEST", null]);
        for (text, name) in [
            (batch, "batch info"),
            (request, "requestContext"),
            (response, "responseContext"),
        ] {
            match FailureRecord::parse(&text.to_string()) {
                Err(FailureParseError::Malformed { field, .. }) => assert_eq!(field, name),
                other => panic!("{name}: expected Malformed, got {other:?}"),
            }
        }
    }

    #[test]
    fn rejects_text_that_is_not_json() {
        assert!(matches!(
            FailureRecord::parse("not json"),
            Err(FailureParseError::NotJson(_))
        ));
    }
}
