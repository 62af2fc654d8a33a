//! [`EsmStats`]: what the ESM has done so far, per shard, for tests, the
//! CLI's status and logs.

use std::collections::BTreeMap;

use streamdlq_core::SequenceNumber;

/// Progress of every shard the ESM has started reading.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EsmStats {
    /// By shard id.
    pub shards: BTreeMap<String, ShardStats>,
}

impl EsmStats {
    /// Function invocations over all shards.
    pub fn invocations(&self) -> u64 {
        self.shards.values().map(|shard| shard.invocations).sum()
    }

    /// OnFailure records sent over all shards.
    pub fn failure_records(&self) -> u64 {
        self.shards
            .values()
            .map(|shard| shard.failure_records)
            .sum()
    }

    /// The stats of one shard, if it was started.
    pub fn shard(&self, shard_id: &str) -> Option<&ShardStats> {
        self.shards.get(shard_id)
    }
}

/// Progress of one shard.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShardStats {
    pub state: ShardState,
    /// Batches formed from the shard's records.
    pub batches: u64,
    /// Calls to the function, retries and calls that never ran included.
    pub invocations: u64,
    /// Records finished by a successful invocation.
    pub records_processed: u64,
    /// Records sent to OnFailure (retries exhausted or too old).
    pub records_discarded: u64,
    /// OnFailure records sent.
    pub failure_records: u64,
    /// The last record processed or discarded.
    pub checkpoint: Option<SequenceNumber>,
}

/// Where a shard's poller is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ShardState {
    /// Reading and delivering records.
    #[default]
    Polling,
    /// The shard is closed and every record of it is finished.
    Ended,
    /// The ESM was stopped.
    Stopped,
    /// The poller failed unexpectedly; the shard is no longer read.
    Crashed,
}
