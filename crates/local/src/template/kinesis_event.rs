//! The processor's Kinesis event source mapping, as the template configures
//! it: where it reads, where it sends what it gives up on, and its
//! settings, read by [`EsmSettings::read`] straight from the event's
//! properties (AWS's names, defaults and ranges are that module's).

use crate::esm::EsmSettings;

use super::value::Reference;

/// Where a mapping or an async invocation sends what it gave up on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// `SNS`, `SQS` or `S3`, as written in the template.
    pub kind: String,
    /// The destination resource.
    pub target: Reference,
}

/// The `Type`s of an event source mapping's OnFailure destination.
pub(crate) const MAPPING_DESTINATION_TYPES: [&str; 3] = ["SNS", "SQS", "S3"];

/// The processor's Kinesis event (`Events.<name>.Properties`).
#[derive(Debug, Clone, PartialEq)]
pub struct KinesisEventSpec {
    /// The event's name under `Events` (its mapping is `<Function><Name>`).
    pub event_name: String,
    /// `Stream`: the stream the mapping reads.
    pub stream: Reference,
    /// Batch size and window, starting position, retries, record age,
    /// bisect, response types, parallelization: checked, defaults filled in.
    pub settings: EsmSettings,
    /// `DestinationConfig.OnFailure`, if any.
    pub on_failure: Option<Destination>,
}
