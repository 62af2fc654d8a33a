//! The hydrate function's embedded metric format lines, captured as the
//! Lambda would print them: they parse, carry the metrics the alarms watch,
//! and the retention margin is right for a record put at a known time,
//! with the retention read from the stream (kinesis-local) itself.

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::emulator::{Stream, aws, context};
use common::fixtures::{
    KINESIS, NOT_JSON, Range, config, failure_message, fixture_event, sns_event,
};
use hydrate::{Hydrator, handler};
use lambda_runtime::LambdaEvent;
use serde_json::Value;
use streamdlq_core::KinesisShardReader;
use streamdlq_core::dlq::RecordingSink;
use streamdlq_core::metrics::CapturedMetrics;

fn now_millis() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_millis(),
    )
    .expect("fits")
}

fn parse(line: &str) -> Value {
    serde_json::from_str(line).unwrap_or_else(|error| panic!("not JSON ({error}): {line}"))
}

/// The metric names and units of a line, per dimension set.
fn declared(line: &Value) -> Vec<(Vec<String>, String, String)> {
    let mut declared = Vec::new();
    for directive in line["_aws"]["CloudWatchMetrics"]
        .as_array()
        .expect("directives")
    {
        assert_eq!(directive["Namespace"], "streamdlq");
        let dimensions: Vec<String> = directive["Dimensions"][0]
            .as_array()
            .expect("dimension set")
            .iter()
            .map(|name| name.as_str().expect("name").to_owned())
            .collect();
        for metric in directive["Metrics"].as_array().expect("metrics") {
            declared.push((
                dimensions.clone(),
                metric["Name"].as_str().expect("name").to_owned(),
                metric["Unit"].as_str().expect("unit").to_owned(),
            ));
        }
    }
    declared
}

/// A hydrated failure writes one line: records, bytes and the retention
/// margin by stream, the failure by source and status. The record was put
/// between `put_before` and `put_after` into a stream keeping 48 h, so the
/// margin is 48 h less the record's age when hydrated, to the second.
#[tokio::test]
async fn hydrated_failure_reports_records_bytes_and_retention_margin() {
    let aws = aws().await;
    let stream = Stream::create(&aws.kinesis, 1).await;
    aws.kinesis
        .increase_stream_retention_period()
        .stream_arn(&stream.arn)
        .retention_period_hours(48)
        .send()
        .await
        .expect("retention raised to 48 h");
    let put_before = now_millis();
    let puts = stream
        .put(
            &aws.kinesis,
            0,
            &[("pk-1", b"first".to_vec()), ("pk-2", b"second!".to_vec())],
        )
        .await;
    let put_after = now_millis();
    let range = Range {
        stream_arn: stream.arn.clone(),
        shard_id: stream.shards[0].id.clone(),
        start: puts[0].sequence_number.clone(),
        end: puts[1].sequence_number.clone(),
        batch_size: 2,
    };
    let metrics = CapturedMetrics::default();
    let reader = KinesisShardReader::new(aws.kinesis.clone());
    let hydrator = Hydrator::new(
        reader.clone(),
        RecordingSink::new(),
        config("https://dlq", &[&stream.arn], &[]),
    )
    .with_metrics(reader, Arc::new(metrics.clone()));
    let event = sns_event(&[failure_message(KINESIS, &range)]);

    let hydrated_before = now_millis();
    let summary = handler(
        &hydrator,
        LambdaEvent::new(event, context(Duration::from_secs(60))),
    )
    .await
    .expect("hydrated");
    let hydrated_after = now_millis();

    assert_eq!(summary.failures[0].found, 2);
    let lines = metrics.lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let line = parse(&lines[0]);
    let by_stream = vec!["StreamName".to_owned()];
    let by_status = vec!["Source".to_owned(), "Status".to_owned()];
    let mut names = declared(&line);
    names.sort();
    assert_eq!(
        names,
        [
            (by_status, "Failures".to_owned(), "Count".to_owned()),
            (
                by_stream.clone(),
                "BytesHydrated".to_owned(),
                "Bytes".to_owned()
            ),
            (
                by_stream.clone(),
                "RecordsHydrated".to_owned(),
                "Count".to_owned()
            ),
            (
                by_stream,
                "RetentionMargin".to_owned(),
                "Seconds".to_owned()
            ),
        ]
    );
    let stream_name = stream.arn.rsplit('/').next().expect("name");
    assert_eq!(line["StreamName"], stream_name);
    assert_eq!(
        (line["Source"].as_str(), line["Status"].as_str()),
        (Some("kinesis"), Some("complete"))
    );
    assert_eq!(line["RecordsHydrated"], 2.0);
    assert_eq!(line["BytesHydrated"], 12.0);
    assert_eq!(line["Failures"], 1.0);
    // margin = 48 h - (now - arrival); arrival within the put, now within
    // the hydration; one second of slack for the emulator's clock.
    let retention = 48.0 * 3600.0;
    let margin = line["RetentionMargin"].as_f64().expect("margin");
    let least = retention - (hydrated_after - put_before) as f64 / 1000.0 - 1.0;
    let most = retention - (hydrated_before - put_after) as f64 / 1000.0 + 1.0;
    assert!(
        least <= margin && margin <= most,
        "margin {margin} not in {least}..={most}"
    );
    assert!(
        !lines[0].contains("Zmlyc3Q") && !lines[0].contains("first"),
        "no payload bytes"
    );
}

/// A message that is not an OnFailure record counts as a failure of source
/// `unparseable`, with no stream metrics.
#[tokio::test]
async fn unparseable_message_counts_only_the_failure() {
    let metrics = CapturedMetrics::default();
    let reader = KinesisShardReader::new(aws().await.kinesis);
    let hydrator = Hydrator::new(
        reader.clone(),
        RecordingSink::new(),
        config("https://dlq", &[], &[]),
    )
    .with_metrics(reader, Arc::new(metrics.clone()));

    handler(
        &hydrator,
        LambdaEvent::new(fixture_event(NOT_JSON), context(Duration::from_secs(60))),
    )
    .await
    .expect("kept as unparseable");

    let lines = metrics.lines();
    assert_eq!(lines.len(), 1);
    let line = parse(&lines[0]);
    assert_eq!(
        (line["Source"].as_str(), line["Status"].as_str()),
        (Some("unparseable"), Some("unparseable"))
    );
    assert_eq!(line["Failures"], 1.0);
    assert!(line.get("RetentionMargin").is_none() && line.get("StreamName").is_none());
}
