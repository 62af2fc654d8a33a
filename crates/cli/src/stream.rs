//! [`StreamId`]: a Kinesis stream named by name or by ARN.
//!
//! Kinesis APIs take either `StreamName` (resolved in the caller's account
//! and region) or `StreamARN`. A failure record names its stream by ARN, and
//! replay keeps using the ARN as given: a name parsed out of it could point
//! at a stream of the same name in another account or region.

use std::fmt;

use streamdlq_core::Arn;

/// A stream, as the user or a failure record named it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StreamId {
    Name(String),
    Arn(String),
}

impl StreamId {
    /// `arn:…` is an ARN, anything else a name.
    pub fn parse(text: &str) -> Self {
        if text.starts_with("arn:") {
            Self::Arn(text.to_owned())
        } else {
            Self::Name(text.to_owned())
        }
    }

    /// The stream name: the name itself, or the name in a Kinesis stream
    /// ARN (`arn:aws:kinesis:REGION:ACCOUNT:stream/NAME`); any other ARN
    /// stands for itself.
    pub fn name(&self) -> &str {
        match self {
            Self::Name(name) => name,
            Self::Arn(arn) => Arn::parse(arn)
                .ok()
                .and_then(|parsed| parsed.kinesis_stream_name())
                .unwrap_or(arn),
        }
    }

    /// Whether `text` (a name or an ARN) names this stream. A name matches
    /// an ARN with that name, for filters typed by people.
    pub fn matches(&self, text: &str) -> bool {
        match (self, Self::parse(text)) {
            (Self::Arn(mine), Self::Arn(theirs)) => *mine == theirs,
            (_, other) => self.name() == other.name(),
        }
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Name(name) => f.write_str(name),
            Self::Arn(arn) => f.write_str(arn),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:kinesis:eu-west-1:123456789012:stream/orders";

    /// ARNs and names are told apart, and the name is found in an ARN.
    #[test]
    fn parses_names_and_arns() {
        assert_eq!(StreamId::parse("orders"), StreamId::Name("orders".into()));
        let arn = StreamId::parse(ARN);
        assert_eq!(arn, StreamId::Arn(ARN.into()));
        assert_eq!(arn.name(), "orders");
        let queue = "arn:aws:sqs:eu-west-1:123456789012:orders";
        assert_eq!(StreamId::parse(queue).name(), queue);
    }

    /// A filter by name matches the ARN; ARNs must match exactly.
    #[test]
    fn matches_by_name_or_exact_arn() {
        let arn = StreamId::parse(ARN);
        assert!(arn.matches("orders"));
        assert!(arn.matches(ARN));
        assert!(!arn.matches("arn:aws:kinesis:us-east-1:123456789012:stream/orders"));
        assert!(!arn.matches("payments"));
    }
}
