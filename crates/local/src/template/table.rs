//! The demo table (`AWS::DynamoDB::Table`) and its table processor: the
//! key schema and stream the local stack creates in moto, and the
//! DynamoDB Streams event source mapping on the table's stream, with the
//! same settings reader as the Kinesis mapping.
//!
//! Both are optional: a template without a `Table` runs the Kinesis
//! pipeline alone. A template with a table must consume its stream with
//! `TableProcessorFunction`, and send what that mapping gives up on to the
//! same destination as the Kinesis mapping (the one the hydrate function
//! consumes).

use std::time::Duration;

use super::kinesis_event::KinesisEventSpec;
use super::value::TemplateValue;

/// One attribute of the key: its name, `S`, `N` or `B`, and `HASH` or
/// `RANGE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyAttribute {
    pub name: String,
    pub attribute_type: String,
    pub key_type: String,
}

/// The table, its stream and the function that consumes it.
#[derive(Debug, Clone, PartialEq)]
pub struct TableSpec {
    /// `KeySchema`, with each attribute's type from `AttributeDefinitions`.
    pub key: Vec<KeyAttribute>,
    /// `StreamSpecification.StreamViewType`.
    pub stream_view_type: String,
    /// `TableProcessorFunction`'s `Timeout`.
    pub processor_timeout: Duration,
    /// `TableProcessorFunction`'s `Environment.Variables`.
    pub processor_environment: Vec<(String, TemplateValue)>,
    /// Its DynamoDB event: settings and OnFailure destination (`stream` is
    /// `Table.StreamArn`).
    pub esm: KinesisEventSpec,
}

/// The `StreamViewType`s DynamoDB accepts.
pub(crate) const STREAM_VIEW_TYPES: [&str; 4] =
    ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"];
