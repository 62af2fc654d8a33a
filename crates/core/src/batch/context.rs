//! [`RecordContext`]: who a record is, for handlers that must be idempotent.

use std::sync::Arc;

use smallstr::SmallString;

use crate::sequence::SequenceNumber;

/// The identity of one Kinesis record as the event source mapping delivered
/// it. Lambda delivers every record at least once (retries, bisection,
/// replays from the DLQ), so a handler with side effects can use
/// `(stream_arn, shard_id, sequence_number)` as an idempotency key: the
/// triple names one record of one stream for as long as the stream exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordContext {
    /// The shard, taken from the record's `eventID`
    /// (`shardId-000000000000:<sequence number>`); `None` if the event did
    /// not carry one. Shared by the records of one shard.
    pub shard_id: Option<Arc<str>>,
    /// `eventSourceARN`: the stream the record was read from. Shared by the
    /// records of one stream.
    pub stream_arn: Option<Arc<str>>,
    /// `kinesis.sequenceNumber`, exactly as delivered.
    pub sequence_number: SequenceNumber,
    /// `kinesis.partitionKey`.
    pub partition_key: PartitionKey,
    /// `kinesis.approximateArrivalTimestamp` (epoch seconds in the event) in
    /// milliseconds since the Unix epoch.
    pub approximate_arrival_millis: Option<i64>,
    /// Zero-based position of the record in the event.
    pub position: usize,
}

/// A record's partition key, held inline up to 40 bytes (a UUID, and most
/// keys, fit), so that reading a 10,000-record event does not allocate a
/// string per record; a longer key (Kinesis allows 256 characters) is kept
/// on the heap. It reads as a `&str`.
pub type PartitionKey = SmallString<[u8; 40]>;

/// The shard part of a Kinesis `eventID`, which has the form
/// `<shard id>:<sequence number>`.
pub(crate) fn shard_of_event_id(event_id: &str) -> Option<&str> {
    // memchr: once per record of a 10,000-record event.
    match memchr::memchr(b':', event_id.as_bytes()) {
        Some(colon) if colon > 0 => event_id.get(..colon),
        _ => None,
    }
}

/// Epoch seconds (a JSON number with a fractional part) to whole
/// milliseconds, rounded so that `1795428897.512` gives `1795428897512`.
pub(crate) fn seconds_to_millis(seconds: f64) -> Option<i64> {
    let millis = (seconds * 1000.0).round();
    // `as` saturates; refuse values that do not fit rather than clamp them.
    (millis.is_finite() && millis.abs() < i64::MAX as f64).then_some(millis as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shard id is everything before the colon of a real eventID.
    #[test]
    fn takes_the_shard_from_the_event_id() {
        assert_eq!(
            shard_of_event_id(
                "shardId-000000000000:49656959252094532447391178218386271298406532436532183042"
            ),
            Some("shardId-000000000000")
        );
    }

    /// An eventID without a shard part yields no shard instead of a guess.
    #[test]
    fn yields_no_shard_for_malformed_event_ids() {
        assert_eq!(shard_of_event_id("49656959252094532447391178"), None);
        assert_eq!(shard_of_event_id(":4965"), None);
        assert_eq!(shard_of_event_id(""), None);
    }

    /// Arrival times keep their milliseconds despite float representation.
    #[test]
    fn converts_epoch_seconds_to_milliseconds() {
        assert_eq!(
            seconds_to_millis(1_795_428_897.512),
            Some(1_795_428_897_512)
        );
        assert_eq!(seconds_to_millis(0.0), Some(0));
        assert_eq!(seconds_to_millis(f64::INFINITY), None);
        assert_eq!(seconds_to_millis(1e300), None);
    }
}
