//! What a fake was asked, for tests to assert on.

use tokio::time::Instant;

use crate::stream::IteratorStart;

/// One call a fake received, in arrival order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeCall {
    /// When it arrived (tokio time, so paused-time tests can check pacing).
    pub at: Instant,
    pub operation: FakeOperation,
}

/// The call and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FakeOperation {
    ShardIterator {
        stream_arn: String,
        shard_id: String,
        start: IteratorStart,
    },
    GetRecords {
        stream_arn: String,
        limit: u32,
    },
    ListShards {
        stream_arn: String,
    },
}

/// How many calls of each kind a fake received.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FakeCalls {
    pub shard_iterator: u32,
    pub get_records: u32,
    pub list_shards: u32,
}
