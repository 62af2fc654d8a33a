//! `streamdlq audit`: finds the event source mapping settings that lose
//! stream records when a consumer fails, in a template before deploy and in
//! a live account after.
//!
//! Both sources produce one model ([`model::ResourceInventory`]); the checks are pure
//! functions over it, so a template and a live account are judged alike.
//!
//! # Layout
//!
//! - [`model`]: [`model::StreamMapping`] (a Kinesis or DynamoDB Streams
//!   mapping, AWS defaults applied) and [`model::HydrateFunction`].
//! - [`template`]: the template source, SAM events and plain
//!   `AWS::Lambda::EventSourceMapping` resources, read offline.
//! - [`live`]: the live source, through the Lambda, Kinesis, SNS and
//!   CloudFormation APIs.
//! - [`checks`]: the checks, their severities, and [`checks::audit`].
//! - [`report`]: the findings as a table or as JSON.

pub mod checks;
pub mod live;
pub mod model;
pub mod report;
pub mod template;

pub use checks::{Check, Finding, Severity, audit};
pub use model::ResourceInventory;
