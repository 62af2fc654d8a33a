//! CloudWatch metrics as embedded metric format (EMF) log lines: a JSON
//! object per line whose `_aws` member tells CloudWatch Logs which members
//! are metrics, in which namespace and with which dimensions. Lambda's log
//! pipeline turns each line into metrics; no PutMetricData call, no extra
//! permission, nothing to flush.
//!
//! The documented shape
//! (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>):
//!
//! ```json
//! {"_aws": {"Timestamp": 1795428841123,
//!           "CloudWatchMetrics": [{"Namespace": "streamdlq",
//!                                  "Dimensions": [["StreamName"]],
//!                                  "Metrics": [{"Name": "RecordsHydrated", "Unit": "Count"}]}]},
//!  "StreamName": "orders", "RecordsHydrated": 3}
//! ```
//!
//! Written here with serde rather than through an EMF crate: the one
//! maintained crate (`metrics_cloudwatch_embedded`) installs a process-wide
//! recorder of the `metrics` facade and flushes once per invocation, where
//! hydration wants one line per failure with its own dimensions, and a
//! writer a test can capture.
//!
//! The names below are the contract with the alarms and the dashboard in
//! `infra/template.yaml`; the template tests check the alarms against them.
//! Lines carry counts, sizes and ids, never payload bytes.

use std::fmt;
use std::io::Write as _;

use serde_json::{Map, Value, json};

/// The namespace of every streamdlq metric.
pub const NAMESPACE: &str = "streamdlq";

/// Dimension: the stream's name (the last part of its ARN).
pub const STREAM_NAME: &str = "StreamName";
/// Dimension: `kinesis`, `dynamodb` or `unparseable`.
pub const SOURCE: &str = "Source";
/// Dimension: the hydration status (`complete`, `partial`, …).
pub const STATUS: &str = "Status";

/// Per failure, by stream: records carried to the DLQ.
pub const RECORDS_HYDRATED: &str = "RecordsHydrated";
/// Per failure, by stream: payload bytes carried to the DLQ.
pub const BYTES_HYDRATED: &str = "BytesHydrated";
/// Per failure, by stream: seconds the range's first record still had
/// before the stream would trim it. Below zero it may already be gone.
pub const RETENTION_MARGIN: &str = "RetentionMargin";
/// Per failure, by source and status: 1.
pub const FAILURES: &str = "Failures";
/// Per processor batch, by stream: records that succeeded.
pub const RECORDS_PROCESSED: &str = "RecordsProcessed";
/// Per processor batch, by stream: records reported failed (the failed one
/// and everything after it, which the event source mapping retries).
pub const RECORDS_FAILED: &str = "RecordsFailed";

/// CloudWatch units used here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Bytes,
    Seconds,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Count => "Count",
            Self::Bytes => "Bytes",
            Self::Seconds => "Seconds",
        }
    }
}

/// The metrics of one dimension set: an EMF directive.
type Directive = (Vec<&'static str>, Vec<(&'static str, Unit)>);

/// One EMF log line under construction.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricLine {
    timestamp_millis: i64,
    /// One directive per dimension set: (dimension names, metric names and units).
    directives: Vec<Directive>,
    /// Dimension values, metric values and properties, as top-level members.
    members: Map<String, Value>,
}

impl MetricLine {
    /// A line for metrics observed at `timestamp_millis` (epoch milliseconds).
    pub fn new(timestamp_millis: i64) -> Self {
        Self {
            timestamp_millis,
            directives: Vec::new(),
            members: Map::new(),
        }
    }

    /// Sets a dimension's value (name it in a metric's dimension set too).
    pub fn dimension(mut self, name: &'static str, value: &str) -> Self {
        self.members.insert(name.to_owned(), Value::from(value));
        self
    }

    /// Adds a metric, aggregated by the dimensions named in `dimensions`.
    pub fn metric(
        mut self,
        dimensions: &[&'static str],
        name: &'static str,
        unit: Unit,
        value: f64,
    ) -> Self {
        let metric = (name, unit);
        match self
            .directives
            .iter_mut()
            .find(|(set, _)| set.as_slice() == dimensions)
        {
            Some((_, metrics)) => metrics.push(metric),
            None => self.directives.push((dimensions.to_vec(), vec![metric])),
        }
        self.members.insert(name.to_owned(), json!(value));
        self
    }

    /// Adds a property: searchable in Logs Insights, not a metric.
    pub fn property(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.members.insert(name.to_owned(), value.into());
        self
    }

    /// The line as CloudWatch expects it: one JSON object, no newline.
    pub fn to_json(&self) -> String {
        let directives: Vec<Value> = self
            .directives
            .iter()
            .map(|(dimensions, metrics)| {
                json!({
                    "Namespace": NAMESPACE,
                    "Dimensions": [dimensions],
                    "Metrics": metrics
                        .iter()
                        .map(|(name, unit)| json!({"Name": name, "Unit": unit.as_str()}))
                        .collect::<Vec<_>>(),
                })
            })
            .collect();
        let mut object = Map::new();
        object.insert(
            "_aws".to_owned(),
            json!({"Timestamp": self.timestamp_millis, "CloudWatchMetrics": directives}),
        );
        object.extend(self.members.clone());
        Value::Object(object).to_string()
    }
}

/// The stream's name from its ARN: `stream/NAME` for Kinesis, the table
/// name for DynamoDB Streams; the text itself otherwise.
pub fn stream_name(stream_arn: &str) -> &str {
    let resource = stream_arn.splitn(6, ':').nth(5).unwrap_or(stream_arn);
    match resource.split('/').collect::<Vec<_>>().as_slice() {
        ["stream", name, ..] | ["table", name, ..] => name,
        _ => stream_arn,
    }
}

/// The processor's line for one batch: records processed and failed, by
/// stream. `failed` counts the records the response reports for retry.
pub fn batch_metrics(
    stream_arn: &str,
    processed: usize,
    failed: usize,
    timestamp_millis: i64,
) -> MetricLine {
    let by_stream = &[STREAM_NAME];
    MetricLine::new(timestamp_millis)
        .dimension(STREAM_NAME, stream_name(stream_arn))
        .metric(by_stream, RECORDS_PROCESSED, Unit::Count, count(processed))
        .metric(by_stream, RECORDS_FAILED, Unit::Count, count(failed))
}

/// A count as the JSON number EMF takes (exact below 2^53).
pub fn count(value: usize) -> f64 {
    u32::try_from(value).map_or(value as f64, f64::from)
}

/// Where metric lines go.
pub trait MetricWriter: Send + Sync + fmt::Debug {
    fn write_line(&self, line: &MetricLine);
}

/// Standard output, one line per write: where Lambda's log pipeline reads
/// EMF (the JSON log format keeps a line that is a JSON object as it is).
#[derive(Debug, Clone, Copy, Default)]
pub struct StdoutMetrics;

impl MetricWriter for StdoutMetrics {
    fn write_line(&self, line: &MetricLine) {
        let mut stdout = std::io::stdout().lock();
        // A lost metric line must never fail the invocation.
        let _ = writeln!(stdout, "{}", line.to_json());
    }
}

/// Lines kept in memory, for tests.
#[cfg(any(test, feature = "fakes"))]
#[derive(Debug, Clone, Default)]
pub struct CapturedMetrics {
    lines: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

#[cfg(any(test, feature = "fakes"))]
impl CapturedMetrics {
    /// Every line written so far, as text.
    pub fn lines(&self) -> Vec<String> {
        self.lines
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

#[cfg(any(test, feature = "fakes"))]
impl MetricWriter for CapturedMetrics {
    fn write_line(&self, line: &MetricLine) {
        self.lines
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(line.to_json());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:kinesis:eu-west-1:123456789012:stream/orders";

    /// A line has the documented EMF shape: `_aws` with the timestamp and a
    /// directive per dimension set, values as top-level members.
    #[test]
    fn serialises_the_documented_emf_shape() {
        let line = MetricLine::new(1_795_428_841_123)
            .dimension(STREAM_NAME, "orders")
            .dimension(STATUS, "complete")
            .metric(&[STREAM_NAME], RECORDS_HYDRATED, Unit::Count, 3.0)
            .metric(&[STREAM_NAME], BYTES_HYDRATED, Unit::Bytes, 42.0)
            .metric(&[STATUS], FAILURES, Unit::Count, 1.0)
            .property("failureId", "ab12");
        let json: Value = serde_json::from_str(&line.to_json()).expect("json");
        assert_eq!(
            json,
            json!({
                "_aws": {
                    "Timestamp": 1_795_428_841_123_i64,
                    "CloudWatchMetrics": [
                        {"Namespace": "streamdlq", "Dimensions": [["StreamName"]],
                         "Metrics": [{"Name": "RecordsHydrated", "Unit": "Count"},
                                     {"Name": "BytesHydrated", "Unit": "Bytes"}]},
                        {"Namespace": "streamdlq", "Dimensions": [["Status"]],
                         "Metrics": [{"Name": "Failures", "Unit": "Count"}]}
                    ]
                },
                "StreamName": "orders", "Status": "complete",
                "RecordsHydrated": 3.0, "BytesHydrated": 42.0, "Failures": 1.0,
                "failureId": "ab12"
            })
        );
        assert!(!line.to_json().contains('\n'));
    }

    /// Stream names come from Kinesis and DynamoDB Streams ARNs alike.
    #[test]
    fn names_streams_from_their_arns() {
        assert_eq!(stream_name(ARN), "orders");
        assert_eq!(
            stream_name(
                "arn:aws:dynamodb:eu-west-1:123456789012:table/Orders/stream/2026-11-28T10:00:00.000"
            ),
            "Orders"
        );
        assert_eq!(stream_name("not-an-arn"), "not-an-arn");
    }

    /// The processor's batch line carries processed and failed by stream.
    #[test]
    fn batch_line_counts_processed_and_failed_records_by_stream() {
        let json: Value =
            serde_json::from_str(&batch_metrics(ARN, 7, 3, 1).to_json()).expect("json");
        assert_eq!(json["StreamName"], "orders");
        assert_eq!(json["RecordsProcessed"], 7.0);
        assert_eq!(json["RecordsFailed"], 3.0);
        assert_eq!(
            json["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["StreamName"]])
        );
    }
}
