//! DynamoDB Streams: the stream record as a Lambda event carries it, and
//! the aws-sdk-dynamodbstreams adapter of [`ShardReader`](crate::ShardReader)
//! that the one hydration engine reads through.
//!
//! # Layout
//!
//! - [`record`]: [`DynamoDbRecord`], its change ([`StreamChange`]) and
//!   attribute values ([`AttributeValue`]) in DynamoDB JSON.
//! - `convert`: SDK output to those types, exactly.
//! - [`reader`]: [`DynamoDbShardReader`], GetShardIterator / GetRecords with
//!   the service's errors mapped to [`ReadError`](crate::ReadError).
//! - `lister`: the same reader as a [`ShardLister`](crate::ShardLister)
//!   (`DescribeStream`), for the local event source mapping.

mod convert;
mod lister;
pub mod reader;
pub mod record;

pub use reader::DynamoDbShardReader;
pub use record::{
    AttributeValue, DynamoDbRecord, EVENT_SOURCE, EpochTime, Item, StreamChange, UserIdentity,
};
