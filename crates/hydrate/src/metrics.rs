//! The hydrate function's metrics: one embedded metric format line per
//! failure (`streamdlq_core::metrics` owns the format and the names).
//!
//! - by stream: `RecordsHydrated`, `BytesHydrated` and `RetentionMargin`,
//!   how long the range's first record still had before the stream would
//!   trim it (retention, read from the stream, less the record's age);
//! - by source and status: `Failures`, 1 per failure. A failure that could
//!   not be written to the DLQ counts with status `undelivered`.

use aws_sdk_kinesis::primitives::{DateTime, DateTimeFormat};
use streamdlq_core::metrics::{
    self, BYTES_HYDRATED, FAILURES, MetricLine, RECORDS_HYDRATED, RETENTION_MARGIN, SOURCE, STATUS,
    STREAM_NAME, Unit,
};
use streamdlq_core::{BatchInfo, Hydration, ShardRecord, StreamSource};

/// The `Status` of a failure that never reached the DLQ.
pub const UNDELIVERED: &str = "undelivered";

/// What one failure's metric line says.
#[derive(Debug, Clone, PartialEq)]
pub struct FailureMetrics {
    /// `None` for a message that is not an OnFailure record.
    pub stream_arn: Option<String>,
    /// `kinesis`, `dynamodb` or `unparseable`.
    pub source: &'static str,
    /// The hydration status, or [`UNDELIVERED`].
    pub status: String,
    pub records: usize,
    /// Payload bytes of the records carried to the DLQ.
    pub bytes: u64,
    /// Milliseconds the first record still had; `None` when the retention
    /// or the record's arrival is unknown.
    pub retention_margin_millis: Option<i64>,
    /// The DLQ message id, to find the failure from a metric.
    pub id: String,
}

impl FailureMetrics {
    /// The line, observed at `timestamp_millis`.
    pub fn line(&self, timestamp_millis: i64) -> MetricLine {
        let by_status = &[SOURCE, STATUS];
        let mut line = MetricLine::new(timestamp_millis)
            .dimension(SOURCE, self.source)
            .dimension(STATUS, &self.status)
            .metric(by_status, FAILURES, Unit::Count, 1.0)
            .property("failureId", self.id.as_str());
        if let Some(stream_arn) = &self.stream_arn {
            let by_stream = &[STREAM_NAME];
            line = line
                .dimension(STREAM_NAME, metrics::stream_name(stream_arn))
                .metric(
                    by_stream,
                    RECORDS_HYDRATED,
                    Unit::Count,
                    metrics::count(self.records),
                )
                .metric(by_stream, BYTES_HYDRATED, Unit::Bytes, bytes(self.bytes))
                .property("streamArn", stream_arn.as_str());
            if let Some(margin) = self.retention_margin_millis {
                line = line.metric(by_stream, RETENTION_MARGIN, Unit::Seconds, seconds(margin));
            }
        }
        line
    }
}

/// The source's name as the `Source` dimension gives it.
pub fn source_name(source: StreamSource) -> &'static str {
    match source {
        StreamSource::Kinesis => "kinesis",
        StreamSource::DynamoDb => "dynamodb",
    }
}

/// When the range's first record arrived, in epoch milliseconds: the
/// stream's own timestamp when hydration read exactly that record, else the
/// failure record's `approximateArrivalOfFirstRecord`.
pub fn first_arrival_millis<R: ShardRecord>(
    batch: &BatchInfo,
    hydration: &Hydration<R>,
) -> Option<i64> {
    let read = hydration
        .records
        .first()
        .filter(|record| *record.sequence_number() == batch.start_sequence_number)
        .and_then(ShardRecord::approximate_arrival_millis);
    read.or_else(|| {
        let text = batch.approximate_arrival_of_first_record.as_deref()?;
        DateTime::from_str(text, DateTimeFormat::DateTime)
            .ok()?
            .to_millis()
            .ok()
    })
}

/// Payload bytes of the hydrated records (`SizeBytes` of DynamoDB ones).
pub fn payload_bytes<R: ShardRecord>(hydration: &Hydration<R>) -> u64 {
    hydration.records.iter().map(ShardRecord::size).sum()
}

fn bytes(value: u64) -> f64 {
    u32::try_from(value).map_or(value as f64, f64::from)
}

/// Milliseconds as seconds with millisecond precision.
fn seconds(millis: i64) -> f64 {
    let whole = i32::try_from(millis / 1000).map_or((millis / 1000) as f64, f64::from);
    whole + f64::from(i32::try_from(millis % 1000).unwrap_or(0)) / 1000.0
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    fn metrics() -> FailureMetrics {
        FailureMetrics {
            stream_arn: Some("arn:aws:kinesis:eu-west-1:123456789012:stream/orders".into()),
            source: "kinesis",
            status: "complete".into(),
            records: 3,
            bytes: 120,
            retention_margin_millis: Some(82_799_500),
            id: "ab12".into(),
        }
    }

    /// A hydrated failure counts its records, bytes and margin by stream,
    /// and itself by source and status.
    #[test]
    fn line_carries_records_bytes_margin_and_failure() {
        let json: Value = serde_json::from_str(&metrics().line(7).to_json()).expect("json");
        assert_eq!(json["StreamName"], "orders");
        assert_eq!(json["RecordsHydrated"], 3.0);
        assert_eq!(json["BytesHydrated"], 120.0);
        assert_eq!(json["RetentionMargin"], 82_799.5);
        assert_eq!(json["Failures"], 1.0);
        assert_eq!(
            (json["Source"].as_str(), json["Status"].as_str()),
            (Some("kinesis"), Some("complete"))
        );
        assert_eq!(json["_aws"]["Timestamp"], 7);
    }

    /// A message that is not an OnFailure record has no stream metrics.
    #[test]
    fn unparseable_failure_counts_only_the_failure() {
        let unparseable = FailureMetrics {
            stream_arn: None,
            source: "unparseable",
            retention_margin_millis: None,
            records: 0,
            bytes: 0,
            ..metrics()
        };
        let json: Value = serde_json::from_str(&unparseable.line(7).to_json()).expect("json");
        assert_eq!(json["Failures"], 1.0);
        assert!(json.get("RecordsHydrated").is_none());
        assert!(json.get("StreamName").is_none());
        assert_eq!(
            json["_aws"]["CloudWatchMetrics"].as_array().map(Vec::len),
            Some(1)
        );
    }

    /// Negative margins keep their sign and milliseconds.
    #[test]
    fn negative_margin_stays_negative() {
        assert_eq!(seconds(-1_500), -1.5);
        assert_eq!(seconds(3_600_000), 3600.0);
    }
}
