//! [`AnyDestination`]: the OnFailure destination the template names, of
//! whichever kind, chosen at run time. Kept apart from the port
//! (`destination`) so that the adapters depend on the port and this file on
//! the adapters, never both ways.

use super::destination::{DestinationError, DiscardedBatch, FailureDestination};
use super::s3::S3Destination;
use super::sns::SnsDestination;
use super::sqs::SqsDestination;

/// The destination the template names, whichever kind it is.
#[derive(Debug, Clone)]
pub enum AnyDestination {
    Sns(SnsDestination),
    Sqs(SqsDestination),
    S3(S3Destination),
}

impl AnyDestination {
    /// `SNS`, `SQS` or `S3`, as `DestinationConfig` spells the kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Sns(_) => "SNS",
            Self::Sqs(_) => "SQS",
            Self::S3(_) => "S3",
        }
    }
}

impl FailureDestination for AnyDestination {
    async fn send(&self, discarded: &DiscardedBatch) -> Result<(), DestinationError> {
        match self {
            Self::Sns(destination) => destination.send(discarded).await,
            Self::Sqs(destination) => destination.send(discarded).await,
            Self::S3(destination) => destination.send(discarded).await,
        }
    }
}
