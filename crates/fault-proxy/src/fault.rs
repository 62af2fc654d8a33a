//! The faults the proxy injects, named for what AWS answers, and their
//! tally.

use std::collections::BTreeMap;
use std::fmt;

/// One kind of fault. Each is what Kinesis or SQS really does when it
/// fails, except the two sabotage kinds, which break the promise on
/// purpose so that a checker can prove it notices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fault {
    /// Kinesis 400 `ProvisionedThroughputExceededException`: the shard's
    /// 5 calls/s or 2 MiB/s are spent.
    ProvisionedThroughputExceeded,
    /// Kinesis 400 `KMSThrottlingException`: KMS throttled the decryption
    /// of an encrypted stream.
    KmsThrottling,
    /// Kinesis 400 `ExpiredIteratorException`: the shard iterator is older
    /// than five minutes.
    ExpiredIterator,
    /// 500 `InternalFailure`.
    InternalFailure,
    /// 503 `ServiceUnavailable`.
    ServiceUnavailable,
    /// SQS 400 `ThrottlingException`, the generic throttle of the JSON
    /// protocol.
    Throttling,
    /// The connection closes before the request reaches the service.
    ConnectionReset,
    /// The request reaches the service, then the connection closes before
    /// the answer: the caller cannot know it succeeded.
    LostAnswer,
    /// The answer comes, late.
    SlowAnswer,
    /// SQS `SendMessageBatch` answers 200 with some entries `Failed`: those
    /// entries were left out of the request the service saw.
    PartialBatchFailure,
    /// Sabotage: one base64 character of one message body is changed on its
    /// way to the queue.
    CorruptedByte,
    /// Sabotage: one entry is left out of the request but answered as
    /// successful.
    DroppedEntry,
}

impl Fault {
    /// A stable name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::ProvisionedThroughputExceeded => "ProvisionedThroughputExceededException",
            Self::KmsThrottling => "KMSThrottlingException",
            Self::ExpiredIterator => "ExpiredIteratorException",
            Self::InternalFailure => "InternalFailure (500)",
            Self::ServiceUnavailable => "ServiceUnavailable (503)",
            Self::Throttling => "ThrottlingException (SQS)",
            Self::ConnectionReset => "connection reset",
            Self::LostAnswer => "answer lost after the call",
            Self::SlowAnswer => "slow answer",
            Self::PartialBatchFailure => "SendMessageBatch partial failure",
            Self::CorruptedByte => "sabotage: corrupted byte",
            Self::DroppedEntry => "sabotage: entry dropped, answered success",
        }
    }

    /// Whether this breaks the promise on purpose rather than imitating
    /// AWS.
    pub fn is_sabotage(self) -> bool {
        matches!(self, Self::CorruptedByte | Self::DroppedEntry)
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The faults that fit one API operation, as AWS could answer it.
pub fn menu(operation: &str) -> &'static [Fault] {
    use Fault::*;
    match operation {
        "GetRecords" => &[
            ProvisionedThroughputExceeded,
            KmsThrottling,
            ExpiredIterator,
            InternalFailure,
            ServiceUnavailable,
            ConnectionReset,
            SlowAnswer,
        ],
        "GetShardIterator" => &[
            ProvisionedThroughputExceeded,
            InternalFailure,
            ServiceUnavailable,
            ConnectionReset,
            SlowAnswer,
        ],
        "SendMessageBatch" => &[
            PartialBatchFailure,
            Throttling,
            InternalFailure,
            ServiceUnavailable,
            ConnectionReset,
            LostAnswer,
            SlowAnswer,
        ],
        _ => &[],
    }
}

/// What a proxy saw and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultCounts {
    /// Requests received, by operation (`X-Amz-Target` after the dot).
    pub requests: BTreeMap<String, u64>,
    /// Faults injected, by kind.
    pub faults: BTreeMap<Fault, u64>,
}

impl FaultCounts {
    /// Faults that imitate AWS, sabotage excluded.
    pub fn injected(&self) -> u64 {
        self.faults
            .iter()
            .filter(|(fault, _)| !fault.is_sabotage())
            .map(|(_, count)| count)
            .sum()
    }

    /// Sabotage acts, if any.
    pub fn sabotaged(&self) -> u64 {
        self.faults
            .iter()
            .filter(|(fault, _)| fault.is_sabotage())
            .map(|(_, count)| count)
            .sum()
    }

    /// Adds `other` to these counts (to sum several proxies).
    pub fn merge(&mut self, other: &Self) {
        for (operation, count) in &other.requests {
            *self.requests.entry(operation.clone()).or_default() += count;
        }
        for (fault, count) in &other.faults {
            *self.faults.entry(*fault).or_default() += count;
        }
    }
}

impl fmt::Display for FaultCounts {
    /// One line per operation and per fault kind, then the total.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (operation, count) in &self.requests {
            writeln!(f, "requests {operation}: {count}")?;
        }
        for (fault, count) in &self.faults {
            writeln!(f, "fault {fault}: {count}")?;
        }
        write!(f, "faults injected: {}", self.injected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only the calls the hydrate function makes get faults; set-up and
    /// read-back calls pass untouched.
    #[test]
    fn offers_faults_only_for_the_hydration_calls() {
        assert!(menu("GetRecords").contains(&Fault::ExpiredIterator));
        assert!(!menu("GetShardIterator").contains(&Fault::ExpiredIterator));
        assert!(menu("SendMessageBatch").contains(&Fault::PartialBatchFailure));
        assert!(menu("ReceiveMessage").is_empty());
        assert!(menu("PutRecords").is_empty());
    }

    /// Sabotage is counted apart, so it never passes for an AWS fault.
    #[test]
    fn counts_sabotage_apart_from_injected_faults() {
        let mut counts = FaultCounts::default();
        counts.faults.insert(Fault::SlowAnswer, 2);
        counts.faults.insert(Fault::CorruptedByte, 1);
        let mut total = FaultCounts::default();
        total.merge(&counts);
        total.merge(&counts);
        assert_eq!(total.injected(), 4);
        assert_eq!(total.sabotaged(), 2);
    }
}
