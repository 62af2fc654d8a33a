//! The batch helper's Kinesis event reader and `process_batch`: any event
//! that deserialises is processed in order and answered with at most one
//! failed item per shard (an event of one shard, as AWS sends, gets at most
//! one), each a sequence number of the batch.
#![no_main]

use libfuzzer_sys::fuzz_target;
use streamdlq_core::{KinesisBatch, RecordContext, RecordHandler, process_batch};

/// Fails on data starting with 0xFF: poison, the way the demo's pill is.
struct Picky;

#[derive(Debug)]
struct Poison;

impl std::fmt::Display for Poison {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("poison")
    }
}

impl std::error::Error for Poison {}

impl streamdlq_core::batch::RecordError for Poison {
    fn is_retryable(&self) -> bool {
        false
    }
}

impl RecordHandler for Picky {
    type Error = Poison;

    async fn handle(&self, _record: &RecordContext, data: &[u8]) -> Result<(), Poison> {
        if data.first() == Some(&0xFF) {
            Err(Poison)
        } else {
            Ok(())
        }
    }
}

fuzz_target!(|data: &[u8]| {
    // The processor's entry point (UTF-8 checked once) reads what
    // serde_json's own does, and fails with the same message.
    let read = KinesisBatch::from_json(data);
    let Ok(batch) = serde_json::from_slice::<KinesisBatch>(data) else {
        let ours = read.expect_err("from_slice refused it");
        let theirs = serde_json::from_slice::<KinesisBatch>(data).expect_err("refused");
        assert_eq!(ours.to_string(), theirs.to_string());
        return;
    };
    let ours: Vec<_> = read
        .expect("from_slice read it")
        .records()
        .cloned()
        .collect();
    assert!(ours.iter().eq(batch.records()));
    let sequence_numbers: Vec<String> = batch
        .records()
        .map(|record| record.sequence_number.as_str().to_owned())
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let shards: std::collections::BTreeSet<_> = batch
        .records()
        .map(|record| (record.shard_id.clone(), record.stream_arn.clone()))
        .collect();
    let outcome = runtime.block_on(process_batch(batch, &Picky));
    let response = outcome.response();
    assert!(response.batch_item_failures.len() <= shards.len());
    let failed: std::collections::BTreeSet<_> = outcome
        .failures
        .iter()
        .map(|failure| {
            (
                failure.record.shard_id.clone(),
                failure.record.stream_arn.clone(),
            )
        })
        .collect();
    assert_eq!(
        failed.len(),
        outcome.failures.len(),
        "two failed items for one shard"
    );
    for failure in &response.batch_item_failures {
        let id = failure.item_identifier.as_deref().expect("an identifier");
        assert!(
            sequence_numbers.iter().any(|n| n == id),
            "{id} is not in the batch"
        );
    }
    assert!(outcome.processed <= sequence_numbers.len());
});
