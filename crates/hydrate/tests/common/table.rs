//! DynamoDB tables with a `NEW_AND_OLD_IMAGES` stream in moto, for the
//! DynamoDB Streams end-to-end tests and the benchmark: create one, write
//! items given as [`Item`]s (the same values the DLQ must give back), and
//! list the stream's records with the plain SDK.

use std::collections::HashMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue as SdkValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType, StreamSpecification, StreamViewType,
};
use aws_sdk_dynamodbstreams::types::ShardIteratorType;
use streamdlq_core::dynamodb::{AttributeValue, Item};

/// A table keyed by the string attribute `pk`, and its stream's only shard.
#[derive(Debug, Clone)]
pub struct TableStream {
    pub table: String,
    pub stream_arn: String,
    pub shard_id: String,
}

/// One record of the stream as the plain SDK lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub sequence_number: String,
    pub event_name: String,
}

impl TableStream {
    /// Creates a table named `name` with a `NEW_AND_OLD_IMAGES` stream.
    pub async fn create(
        dynamodb: &aws_sdk_dynamodb::Client,
        streams: &aws_sdk_dynamodbstreams::Client,
        name: &str,
    ) -> Self {
        let created = dynamodb
            .create_table()
            .table_name(name)
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("pk")
                    .key_type(KeyType::Hash)
                    .build()
                    .expect("key schema"),
            )
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("pk")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .expect("attribute definition"),
            )
            .billing_mode(BillingMode::PayPerRequest)
            .stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::NewAndOldImages)
                    .build()
                    .expect("stream specification"),
            )
            .send()
            .await
            .expect("create table");
        let stream_arn = created
            .table_description
            .and_then(|table| table.latest_stream_arn)
            .expect("the table has a stream");
        let description = streams
            .describe_stream()
            .stream_arn(&stream_arn)
            .send()
            .await
            .expect("describe stream")
            .stream_description
            .expect("stream description");
        let shard_id = description
            .shards
            .unwrap_or_default()
            .into_iter()
            .next()
            .and_then(|shard| shard.shard_id)
            .expect("one shard");
        Self {
            table: name.to_owned(),
            stream_arn,
            shard_id,
        }
    }

    /// PutItem of `item`.
    pub async fn put(&self, dynamodb: &aws_sdk_dynamodb::Client, item: &Item) {
        dynamodb
            .put_item()
            .table_name(&self.table)
            .set_item(Some(sdk_item(item)))
            .send()
            .await
            .expect("put item");
    }

    /// DeleteItem of the item keyed `pk`.
    pub async fn delete(&self, dynamodb: &aws_sdk_dynamodb::Client, pk: &str) {
        dynamodb
            .delete_item()
            .table_name(&self.table)
            .key("pk", SdkValue::S(pk.to_owned()))
            .send()
            .await
            .expect("delete item");
    }

    /// Every record of the shard, oldest first, read with the plain SDK.
    pub async fn list(&self, streams: &aws_sdk_dynamodbstreams::Client) -> Vec<Listed> {
        let mut iterator = streams
            .get_shard_iterator()
            .stream_arn(&self.stream_arn)
            .shard_id(&self.shard_id)
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .expect("shard iterator")
            .shard_iterator;
        let mut listed = Vec::new();
        while let Some(current) = iterator {
            let page = streams
                .get_records()
                .shard_iterator(current)
                .send()
                .await
                .expect("get records");
            let records = page.records.unwrap_or_default();
            if records.is_empty() {
                break;
            }
            for record in records {
                listed.push(Listed {
                    sequence_number: record
                        .dynamodb
                        .and_then(|change| change.sequence_number)
                        .expect("sequence number"),
                    event_name: record
                        .event_name
                        .map(|name| name.as_str().to_owned())
                        .unwrap_or_default(),
                });
            }
            iterator = page.next_shard_iterator;
        }
        listed
    }
}

/// The key of item `pk`.
pub fn key(pk: &str) -> Item {
    [("pk".to_owned(), AttributeValue::S(pk.to_owned()))].into()
}

/// An item in the SDK's types, for PutItem.
pub fn sdk_item(item: &Item) -> HashMap<String, SdkValue> {
    item.iter()
        .map(|(name, value)| (name.clone(), sdk_value(value)))
        .collect()
}

fn sdk_value(value: &AttributeValue) -> SdkValue {
    match value {
        AttributeValue::S(text) => SdkValue::S(text.clone()),
        AttributeValue::N(number) => SdkValue::N(number.clone()),
        AttributeValue::B(bytes) => SdkValue::B(Blob::new(bytes.clone())),
        AttributeValue::Ss(texts) => SdkValue::Ss(texts.clone()),
        AttributeValue::Ns(numbers) => SdkValue::Ns(numbers.clone()),
        AttributeValue::Bs(list) => {
            SdkValue::Bs(list.iter().map(|bytes| Blob::new(bytes.clone())).collect())
        }
        AttributeValue::M(map) => SdkValue::M(sdk_item(map)),
        AttributeValue::L(list) => SdkValue::L(list.iter().map(sdk_value).collect()),
        AttributeValue::Null(null) => SdkValue::Null(*null),
        AttributeValue::Bool(flag) => SdkValue::Bool(*flag),
    }
}
