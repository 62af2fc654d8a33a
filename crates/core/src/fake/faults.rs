//! Faults a [`FakeStream`](super::FakeStream) can be told to produce.

use std::collections::VecDeque;

use crate::stream::ReadError;

/// Pass as `times` for a fault that never goes away.
pub const ALWAYS: u32 = u32::MAX;

/// The faults still to come.
#[derive(Debug, Default)]
pub(super) struct Faults {
    pub get_records_errors: ErrorScript,
    pub shard_iterator_errors: ErrorScript,
    /// Upcoming GetRecords calls that answer an empty page without moving.
    pub empty_pages: u32,
    /// Most records one page holds, whatever the limit (the 10 MiB cap).
    pub page_size_cap: Option<usize>,
    /// An iterator lineage (one GetShardIterator and the next iterators that
    /// follow it) serves this many GetRecords calls, then expires.
    pub expire_after: Option<u32>,
}

/// What the next calls answer, each step for a number of calls, in order:
/// an error, or (`None`) a normal answer.
#[derive(Debug, Default)]
pub(super) struct ErrorScript(VecDeque<(Option<ReadError>, u32)>);

impl ErrorScript {
    pub fn push(&mut self, error: Option<ReadError>, times: u32) {
        if times > 0 {
            self.0.push_back((error, times));
        }
    }

    /// The error for this call, if one is scripted.
    pub fn next(&mut self) -> Option<ReadError> {
        let (error, times) = self.0.front_mut()?;
        let error = error.clone();
        if *times != ALWAYS {
            *times -= 1;
            if *times == 0 {
                self.0.pop_front();
            }
        }
        error
    }
}
