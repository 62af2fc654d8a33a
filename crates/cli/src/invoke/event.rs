//! The Kinesis event a replay hands to a function: the failed records with
//! their original sequence numbers, partition keys, data and arrival times,
//! shaped like the event the event source mapping delivers
//! (`events/kinesis-batch-*.json`), so the function cannot tell a replay
//! from the original delivery, and other consumers of the stream see
//! nothing at all.
//!
//! AWS contract honoured here: a synchronous invocation takes at most 6 MB
//! of payload, so a large failure is cut into several events, in order.

use base64::display::Base64Display;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use streamdlq_core::StreamRecord;

use crate::stream::arn_region;

/// The synchronous invocation payload limit (6 MB).
pub const SYNC_PAYLOAD_LIMIT: usize = 6 * 1024 * 1024;

const OPEN: &str = "{\"Records\":[";
const CLOSE: &str = "]}";

/// One event: its JSON and the records it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KinesisEvent {
    pub body: String,
    /// Positions in the failure's record list.
    pub records: std::ops::Range<usize>,
}

/// Where the records were read from.
#[derive(Debug, Clone, Copy)]
pub struct EventSource<'a> {
    pub stream_arn: &'a str,
    pub shard_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Record<'a> {
    kinesis: Kinesis<'a>,
    event_source: &'static str,
    event_version: &'static str,
    #[serde(rename = "eventID")]
    event_id: String,
    event_name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    aws_region: Option<&'a str>,
    #[serde(rename = "eventSourceARN")]
    event_source_arn: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Kinesis<'a> {
    kinesis_schema_version: &'static str,
    partition_key: &'a str,
    sequence_number: &'a str,
    data: Data<'a>,
    /// Epoch seconds with milliseconds, as the ESM writes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    approximate_arrival_timestamp: Option<f64>,
}

struct Data<'a>(&'a [u8]);

impl Serialize for Data<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&Base64Display::new(self.0, &STANDARD))
    }
}

/// The records as events of at most `max_records` records and `max_bytes`
/// bytes each, in order. A record too big for an event on its own still
/// gets one (the invocation then fails and says so).
pub fn kinesis_events(
    source: EventSource<'_>,
    records: &[StreamRecord],
    max_records: usize,
    max_bytes: usize,
) -> serde_json::Result<Vec<KinesisEvent>> {
    let mut events = Vec::new();
    let mut body = String::from(OPEN);
    let mut start = 0;
    for (position, record) in records.iter().enumerate() {
        let entry = serde_json::to_string(&Record {
            kinesis: Kinesis {
                kinesis_schema_version: "1.0",
                partition_key: &record.partition_key,
                sequence_number: record.sequence_number.as_str(),
                data: Data(&record.data),
                approximate_arrival_timestamp: record
                    .approximate_arrival_millis
                    .map(|millis| millis as f64 / 1000.0),
            },
            event_source: "aws:kinesis",
            event_version: "1.0",
            event_id: format!("{}:{}", source.shard_id, record.sequence_number),
            event_name: "aws:kinesis:record",
            aws_region: arn_region(source.stream_arn),
            event_source_arn: source.stream_arn,
        })?;
        let count = position - start;
        let full = count >= max_records.max(1)
            || (count > 0 && body.len() + 1 + entry.len() + CLOSE.len() > max_bytes);
        if full {
            body.push_str(CLOSE);
            events.push(KinesisEvent {
                body: std::mem::replace(&mut body, String::from(OPEN)),
                records: start..position,
            });
            start = position;
        }
        if position > start {
            body.push(',');
        }
        body.push_str(&entry);
    }
    if start < records.len() || events.is_empty() {
        body.push_str(CLOSE);
        events.push(KinesisEvent {
            body,
            records: start..records.len(),
        });
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use streamdlq_core::SequenceNumber;
    use streamdlq_core::batch::KinesisBatch;

    use super::*;

    const ARN: &str = "arn:aws:kinesis:us-east-1:123456789012:stream/streamdlq-demo";
    const SHARD: &str = "shardId-000000000000";

    fn records(count: usize, size: usize) -> Vec<StreamRecord> {
        (0..count)
            .map(|n| StreamRecord {
                sequence_number: SequenceNumber::parse(&format!(
                    "4965695925209453244739117821838627129840653243653218{:04}",
                    n
                ))
                .expect("seq"),
                partition_key: format!("key-{n}"),
                approximate_arrival_millis: Some(1_795_428_897_512 + n as i64),
                data: vec![n as u8; size],
            })
            .collect()
    }

    fn source() -> EventSource<'static> {
        EventSource {
            stream_arn: ARN,
            shard_id: SHARD,
        }
    }

    /// The event reads back as a Kinesis batch with every original field.
    #[test]
    fn rebuilds_the_records_as_the_esm_delivers_them() {
        let input = records(3, 5);
        let events = kinesis_events(source(), &input, 100, SYNC_PAYLOAD_LIMIT).expect("events");
        assert_eq!(events.len(), 1);
        let batch: KinesisBatch = serde_json::from_str(&events[0].body).expect("a Kinesis event");
        let contexts: Vec<_> = batch.records().collect();
        assert_eq!(contexts.len(), 3);
        assert_eq!(contexts[1].sequence_number, input[1].sequence_number);
        assert_eq!(contexts[1].partition_key, "key-1");
        assert_eq!(contexts[1].shard_id.as_deref(), Some(SHARD));
        assert_eq!(contexts[1].stream_arn.as_deref(), Some(ARN));
        assert_eq!(
            contexts[1].approximate_arrival_millis,
            Some(1_795_428_897_513)
        );
        let value: serde_json::Value = serde_json::from_str(&events[0].body).expect("json");
        assert_eq!(value["Records"][2]["kinesis"]["data"], "AgICAgI=");
        assert_eq!(value["Records"][0]["awsRegion"], "us-east-1");
        assert_eq!(value["Records"][0]["eventName"], "aws:kinesis:record");
    }

    /// Events stay under the byte and record limits and keep the order.
    #[test]
    fn cuts_large_failures_into_ordered_events() {
        let input = records(10, 1_000);
        let events = kinesis_events(source(), &input, 4, 3_000).expect("events");
        assert!(events.len() >= 4, "{}", events.len());
        let mut next = 0;
        for event in &events {
            assert!(event.body.len() <= 3_000);
            assert!(event.records.len() <= 4);
            assert_eq!(event.records.start, next);
            next = event.records.end;
            serde_json::from_str::<serde_json::Value>(&event.body).expect("json");
        }
        assert_eq!(next, 10);
        assert_eq!(
            kinesis_events(source(), &input, 4, SYNC_PAYLOAD_LIMIT)
                .expect("events")
                .len(),
            3
        );
    }
}
