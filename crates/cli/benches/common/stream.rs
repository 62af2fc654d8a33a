//! The benchmark stream in kinesis-local: created, then read back whole
//! through the SDK. Shared by the CLI benchmarks.

use std::error::Error;
use std::time::Duration;

use aws_sdk_kinesis::types::{Record, ShardIteratorType, StreamStatus};

/// Creates stream `name` with `shards` shards and waits until it is
/// active; returns its ARN.
pub async fn create_stream(
    kinesis: &aws_sdk_kinesis::Client,
    name: &str,
    shards: i32,
) -> Result<String, Box<dyn Error>> {
    kinesis
        .create_stream()
        .stream_name(name)
        .shard_count(shards)
        .send()
        .await?;
    loop {
        let summary = kinesis
            .describe_stream_summary()
            .stream_name(name)
            .send()
            .await?
            .stream_description_summary
            .ok_or("no summary")?;
        if summary.stream_status == StreamStatus::Active {
            return Ok(summary.stream_arn);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every shard's records from the trim horizon to the tip, in shard order.
pub async fn read_shards(
    kinesis: &aws_sdk_kinesis::Client,
    arn: &str,
) -> Result<Vec<(String, Vec<Record>)>, Box<dyn Error>> {
    let shards = kinesis
        .list_shards()
        .stream_arn(arn)
        .send()
        .await?
        .shards
        .unwrap_or_default();
    let mut all = Vec::new();
    for shard in shards {
        let mut iterator = kinesis
            .get_shard_iterator()
            .stream_arn(arn)
            .shard_id(&shard.shard_id)
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await?
            .shard_iterator;
        let mut records = Vec::new();
        while let Some(current) = iterator {
            let page = kinesis
                .get_records()
                .stream_arn(arn)
                .shard_iterator(current)
                .limit(10_000)
                .send()
                .await?;
            let done = page.records.is_empty() && page.millis_behind_latest.unwrap_or(0) == 0;
            records.extend(page.records);
            iterator = page.next_shard_iterator;
            if done {
                break;
            }
        }
        all.push((shard.shard_id, records));
    }
    Ok(all)
}
