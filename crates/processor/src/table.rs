//! The demo's DynamoDB Streams consumer: the same elements, kept as items
//! of a table, read from the table's stream. An item whose `NewImage` is
//! not an element is poison; the answer follows the batch helper's rules
//! (`streamdlq_core::batch`): records in sequence order, stop at the first
//! failure and report it by its `SequenceNumber`, and fail the invocation
//! when the first record of a batch of two or more is poison, so that the
//! event source mapping bisects until the poison record is alone.
//!
//! AWS contract honoured here:
//! - The event is `{"Records": [...]}` of DynamoDB Streams records
//!   (`eventSource` `aws:dynamodb`); `dynamodb.SequenceNumber` is what a
//!   partial batch response names (`itemIdentifier`), verbatim.
//! - The partial batch response has the same shape for Kinesis and
//!   DynamoDB Streams (`{"batchItemFailures": [{"itemIdentifier": …}]}`),
//!   so the typed `KinesisEventResponse` is the answer; a hand-built map
//!   could carry a wrong key, which the mapping would read as success.
//! - A `REMOVE` has no `NewImage`: nothing to validate, it succeeds.
//!
//! The image is read as an element by turning DynamoDB JSON into plain
//! JSON (`{"N": "6.94"}` into the number `6.94`, `{"S": "Li"}` into a
//! string) and handing it to [`Element::from_bytes`]: one schema, one
//! `PROCESSOR_SCHEMA_MODE`, for both streams. An item with `AtomicMass` as
//! a string (`{"S": "6.94"}`) is the poison pill.

use std::sync::Arc;

use aws_lambda_events::streams::KinesisEventResponse;
use serde::Deserialize;
use serde_json::{Map, Number, Value};
use streamdlq_core::SequenceNumber;
use streamdlq_core::batch::{
    FailureCause, PartitionKey, PoisonAtHead, RecordContext, RecordFailure,
};

use crate::element::{Element, ElementError};
use crate::error::BatchError;
use crate::handler::ElementHandler;
use crate::sink::ElementSink;

/// A DynamoDB Streams event, read only as far as this consumer needs.
#[derive(Debug, Clone, Deserialize)]
pub struct TableEvent {
    #[serde(rename = "Records")]
    pub records: Vec<TableRecord>,
}

/// One stream record of a [`TableEvent`].
#[derive(Debug, Clone, Deserialize)]
pub struct TableRecord {
    #[serde(rename = "eventName", default)]
    pub event_name: Option<String>,
    #[serde(rename = "eventSourceARN", default)]
    pub event_source_arn: Option<String>,
    pub dynamodb: TableChange,
}

/// The change of a [`TableRecord`]: its sequence number and new image.
#[derive(Debug, Clone, Deserialize)]
pub struct TableChange {
    #[serde(rename = "SequenceNumber")]
    pub sequence_number: SequenceNumber,
    #[serde(rename = "NewImage", default)]
    pub new_image: Option<Map<String, Value>>,
}

/// Processes one DynamoDB Streams event and answers as the batch helper
/// would: success, the first failed record, or [`BatchError`] for poison at
/// the head of a batch.
pub async fn handle_table_event<S: ElementSink + Sync>(
    handler: &ElementHandler<S>,
    event: TableEvent,
) -> Result<KinesisEventResponse, BatchError> {
    let total = event.records.len();
    let mut records: Vec<(usize, TableRecord)> = event.records.into_iter().enumerate().collect();
    // Numeric order: reporting record k acknowledges every lower one.
    records.sort_by(|a, b| {
        a.1.dynamodb
            .sequence_number
            .cmp(&b.1.dynamodb.sequence_number)
    });
    let mut response = KinesisEventResponse::default();
    for (done, (position, record)) in records.iter().enumerate() {
        let context = RecordContext {
            shard_id: None,
            stream_arn: record.event_source_arn.as_deref().map(Arc::from),
            sequence_number: record.dynamodb.sequence_number.clone(),
            partition_key: PartitionKey::new(),
            approximate_arrival_millis: None,
            position: *position,
        };
        let Err(cause) = process(handler, record, &context).await else {
            continue;
        };
        let failure = RecordFailure {
            record: context,
            cause,
        };
        let poison = !failure.cause.is_retryable();
        if done == 0 && total > 1 && poison {
            tracing::error!(
                sequence_number = %failure.record.sequence_number,
                error = %failure.cause,
                "first record of the batch is poison; failing the invocation so the event source mapping bisects the batch"
            );
            return Err(BatchError::PoisonAtHead(PoisonAtHead {
                failure: Box::new(failure),
                batch_size: total,
            }));
        }
        tracing::warn!(
            sequence_number = %failure.record.sequence_number,
            error = %failure.cause,
            processed = done,
            "record failed; reporting it so the event source mapping retries from there"
        );
        response.add_failure(failure.record.sequence_number.as_str());
        return Ok(response);
    }
    tracing::info!(records = total, "table batch processed");
    Ok(response)
}

async fn process<S: ElementSink + Sync>(
    handler: &ElementHandler<S>,
    record: &TableRecord,
    context: &RecordContext,
) -> Result<(), FailureCause> {
    let Some(image) = &record.dynamodb.new_image else {
        return Ok(());
    };
    let element =
        element_of_image(image, handler.schema_mode()).map_err(|error| FailureCause::Handler {
            message: error.to_string(),
            retryable: false,
        })?;
    handler
        .sink()
        .accept(context, &element)
        .await
        .map_err(|error| FailureCause::Handler {
            message: error.to_string(),
            retryable: error.is_retryable(),
        })
}

/// Reads an item image (DynamoDB JSON) as an element.
pub fn element_of_image(
    image: &Map<String, Value>,
    mode: crate::config::SchemaMode,
) -> Result<Element<'static>, ElementError> {
    let mut plain = Map::new();
    for (name, value) in image {
        plain.insert(
            name.clone(),
            plain_value(value).ok_or(ElementError::Invalid(
                "an attribute is not a string, number, boolean, null, map or list",
            ))?,
        );
    }
    // A map of plain JSON values always serialises.
    let bytes = serde_json::to_vec(&Value::Object(plain)).unwrap_or_default();
    // The image is not kept, so the element owns its names.
    Element::from_bytes(&bytes, mode).map(Element::into_owned)
}

/// One attribute value in DynamoDB JSON as plain JSON; `None` for binary
/// and set values, which no element field takes.
fn plain_value(value: &Value) -> Option<Value> {
    let (kind, inner) = value.as_object()?.iter().next()?;
    Some(match (kind.as_str(), inner) {
        ("S", Value::String(text)) => Value::String(text.clone()),
        ("N", Value::String(text)) => Value::Number(text.parse::<Number>().ok()?),
        ("BOOL", Value::Bool(flag)) => Value::Bool(*flag),
        ("NULL", _) => Value::Null,
        ("M", Value::Object(map)) => Value::Object(
            map.iter()
                .map(|(name, value)| Some((name.clone(), plain_value(value)?)))
                .collect::<Option<Map<_, _>>>()?,
        ),
        ("L", Value::Array(items)) => {
            Value::Array(items.iter().map(plain_value).collect::<Option<Vec<_>>>()?)
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::SchemaMode;
    use crate::sink::LogSink;

    fn image(mass: Value) -> Value {
        json!({
            "AtomicNumber": {"N": "3"}, "Element": {"S": "Lithium"},
            "Symbol": {"S": "Li"}, "AtomicMass": mass,
        })
    }

    fn event(masses: &[Value]) -> TableEvent {
        let records: Vec<Value> = masses
            .iter()
            .enumerate()
            .map(|(n, mass)| {
                json!({
                    "eventID": format!("e{n}"), "eventName": "INSERT",
                    "eventVersion": "1.1", "eventSource": "aws:dynamodb",
                    "dynamodb": {"SequenceNumber": format!("1000000000000000000000{n}"),
                                 "NewImage": image(mass.clone())},
                })
            })
            .collect();
        serde_json::from_value(json!({"Records": records})).expect("event")
    }

    fn good() -> Value {
        json!({"N": "6.94"})
    }

    fn poison() -> Value {
        json!({"S": "6.94"})
    }

    /// An item of the element schema, in DynamoDB JSON, is an element.
    #[test]
    fn reads_an_item_image_as_an_element() {
        let Value::Object(image) = image(good()) else {
            unreachable!()
        };
        let element = element_of_image(&image, SchemaMode::Strict).expect("element");
        assert_eq!(element.symbol, "Li");
        assert!((element.atomic_mass - 6.94).abs() < f64::EPSILON);
    }

    /// A poison item after good ones is reported by its sequence number.
    #[tokio::test]
    async fn reports_the_poison_item_after_good_ones() {
        let handler = ElementHandler::new(LogSink, SchemaMode::Strict);
        let answer = handle_table_event(&handler, event(&[good(), poison(), good()]))
            .await
            .expect("partial answer");
        assert_eq!(
            serde_json::to_value(&answer).expect("json"),
            json!({"batchItemFailures": [{"itemIdentifier": "10000000000000000000001"}]})
        );
    }

    /// A poison item at the head of a batch fails the invocation, so the
    /// mapping bisects.
    #[tokio::test]
    async fn fails_the_invocation_for_a_poison_item_at_the_head() {
        let handler = ElementHandler::new(LogSink, SchemaMode::Strict);
        let error = handle_table_event(&handler, event(&[poison(), good()]))
            .await
            .expect_err("function error");
        assert_eq!(error.error_type(), PoisonAtHead::ERROR_TYPE);
    }

    /// The lenient schema (the demo's fix) takes the poison item.
    #[tokio::test]
    async fn the_lenient_schema_accepts_the_poison_item() {
        let handler = ElementHandler::new(LogSink, SchemaMode::Lenient);
        let answer = handle_table_event(&handler, event(&[poison()]))
            .await
            .expect("answer");
        assert!(answer.batch_item_failures.is_empty());
    }
}
