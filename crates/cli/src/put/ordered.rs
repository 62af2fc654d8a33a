//! [`OrderedPut`]: puts records into one stream in as few PutRecords calls
//! as the limits allow, retries only the records Kinesis failed, and keeps
//! the order of every partition key.
//!
//! # The ordering guarantee
//!
//! Kinesis orders records per shard, and a partition key always maps to the
//! same shard, so the order that matters is the order of each partition
//! key. Within one PutRecords call Kinesis handles every entry on its own: it
//! can fail one (`ProvisionedThroughputExceededException`,
//! `InternalFailure`) and accept a later one of the same key, which then
//! sits ahead of it in the shard. That is why AWS documents that PutRecords
//! does not guarantee order, and no client can prevent it inside the call
//! where it happens. What the writer guarantees:
//!
//! - Records go out in input order, and a failed record is put again before
//!   any later record of its partition key (the pending set is sorted by
//!   input position, failed records stay where they were).
//! - While a record of a key is failed and not yet accepted, no later record
//!   of that key is sent at all: the key gets one record per call until it is
//!   through. So a failure can only ever be overtaken inside the one call
//!   where it first happened, never by a record sent afterwards.
//! - Such overtaking is detected (the answer says which entries failed and
//!   which were accepted) and counted in [`PutReport::out_of_order`].
//! - With [`PutOptions::strict_order`] every key gets one record per call, so
//!   a later record is only sent once every earlier record of its key was
//!   accepted: order is never broken, at the cost of one call per record for
//!   input with a single partition key.
//!
//! Retries use exponential backoff with full jitter after every call that had
//! a failure; a record is tried at most [`PutOptions::max_attempts`] times.
//! Every record is accepted at least once or reported as not written: a call
//! whose answer was lost is put again, which can duplicate records but never
//! drops one.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Duration;

use streamdlq_core::Backoff;
use tracing::{Instrument as _, debug, info_span, warn};

use super::batch::{CallLimits, next_call};
use super::entry::{EntryError, PutEntry};
use super::port::{EntryResult, PutError, StreamWriter, is_retryable_code};
use crate::stream::StreamId;

/// How records are put.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutOptions {
    /// One record per partition key and call (see the module docs).
    pub strict_order: bool,
    /// Calls per record, the first included; at least 1.
    pub max_attempts: u32,
    /// The pause after a call that had a failure (full jitter).
    pub backoff: Backoff,
    pub limits: CallLimits,
}

impl Default for PutOptions {
    /// Ten attempts over up to half a minute: enough for a throttled shard
    /// (1 MiB/s, 1,000 records/s) to take the backlog.
    fn default() -> Self {
        Self {
            strict_order: false,
            max_attempts: 10,
            backoff: Backoff {
                base: Duration::from_millis(100),
                cap: Duration::from_secs(5),
            },
            limits: CallLimits::default(),
        }
    }
}

/// What was written so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutReport {
    /// Records accepted.
    pub records: usize,
    /// Data bytes accepted (partition keys not counted).
    pub bytes: usize,
    /// PutRecords calls made, failed ones included.
    pub calls: usize,
    /// Records put again after a failure.
    pub retries: usize,
    /// Records Kinesis accepted while an earlier record of their partition
    /// key failed in the same call: they are ahead of it in the shard.
    pub out_of_order: usize,
    /// Records accepted per shard.
    pub shards: BTreeMap<String, usize>,
}

/// One record Kinesis accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// Its position in the input.
    pub position: usize,
    pub shard_id: String,
    pub sequence_number: String,
}

/// What one call did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutStep {
    pub accepted: Vec<Accepted>,
    /// Records of the call that failed and are still pending.
    pub failed: usize,
}

/// Why putting stopped with records still pending.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PutFailure {
    #[error("cannot put records into {stream}")]
    Call {
        stream: String,
        #[source]
        source: PutError,
    },
    #[error(
        "record {position} (partition key {key:?}) was not accepted after {attempts} \
         attempts; last answer: {code}: {message}"
    )]
    GaveUp {
        position: usize,
        key: String,
        attempts: u32,
        code: String,
        message: String,
    },
    #[error("record {position} (partition key {key:?}) was rejected: {code}: {message}")]
    Rejected {
        position: usize,
        key: String,
        code: String,
        message: String,
    },
}

/// Puts a list of records into one stream, one call per [`Self::step`].
#[derive(Debug)]
pub struct OrderedPut {
    stream: StreamId,
    entries: Vec<PutEntry>,
    options: PutOptions,
    /// Positions not accepted yet, in input order.
    pending: BTreeSet<usize>,
    attempts: Vec<u32>,
    /// Keys with a failed record outstanding, and that record's position.
    held: HashMap<String, usize>,
    failed_calls_in_a_row: u32,
    fatal: Option<PutFailure>,
    report: PutReport,
    rng: fastrand::Rng,
}

impl OrderedPut {
    /// Checks every record against the Kinesis limits first: a bad input
    /// writes nothing.
    pub fn new(
        stream: StreamId,
        entries: Vec<PutEntry>,
        options: PutOptions,
    ) -> Result<Self, EntryError> {
        for (position, entry) in entries.iter().enumerate() {
            entry.validate(position)?;
        }
        Ok(Self {
            stream,
            pending: (0..entries.len()).collect(),
            attempts: vec![0; entries.len()],
            entries,
            options,
            held: HashMap::new(),
            failed_calls_in_a_row: 0,
            fatal: None,
            report: PutReport::default(),
            rng: fastrand::Rng::new(),
        })
    }

    pub fn stream(&self) -> &StreamId {
        &self.stream
    }

    pub fn entries(&self) -> &[PutEntry] {
        &self.entries
    }

    /// Records not accepted yet.
    pub fn remaining(&self) -> usize {
        self.pending.len()
    }

    pub fn report(&self) -> &PutReport {
        &self.report
    }

    /// Makes one PutRecords call (after a backoff pause if the last call had
    /// failures). `Ok(None)` once every record is accepted.
    ///
    /// Records accepted by a call are always returned before an error that
    /// the same call revealed: the error comes from the next `step`.
    pub async fn step<W: StreamWriter>(
        &mut self,
        writer: &W,
    ) -> Result<Option<PutStep>, PutFailure> {
        if let Some(fatal) = self.fatal.take() {
            return Err(fatal);
        }
        if self.pending.is_empty() {
            return Ok(None);
        }
        if self.failed_calls_in_a_row > 0 {
            let delay = self
                .options
                .backoff
                .delay(self.failed_calls_in_a_row - 1, &mut self.rng);
            tokio::time::sleep(delay).await;
        }
        let strict = self.options.strict_order;
        let held = &self.held;
        let call = next_call(&self.entries, &self.pending, self.options.limits, |key| {
            strict || held.contains_key(key)
        });
        let span = info_span!("put_records", stream = %self.stream, records = call.len());
        let refs: Vec<&PutEntry> = call.iter().map(|&p| &self.entries[p]).collect();
        self.report.calls += 1;
        let answer = writer
            .put_records(&self.stream, &refs)
            .instrument(span.clone())
            .await;
        drop(refs);
        let _guard = span.enter();
        match answer {
            Ok(results) if results.len() == call.len() => Ok(Some(self.record(&call, results))),
            Ok(results) => Err(self.call_failed(PutError::ResultCount {
                records: call.len(),
                results: results.len(),
            })),
            Err(error) if error.is_retryable() => Ok(Some(self.retry_call(&call, error))),
            Err(error) => Err(self.call_failed(error)),
        }
    }

    /// Steps until every record is accepted or the writer gives up, telling
    /// `on_step` about each call.
    pub async fn finish<W: StreamWriter>(
        &mut self,
        writer: &W,
        mut on_step: impl FnMut(&PutStep),
    ) -> Result<(), PutFailure> {
        while let Some(step) = self.step(writer).await? {
            on_step(&step);
        }
        Ok(())
    }

    /// Applies one call's answer.
    fn record(&mut self, call: &[usize], results: Vec<EntryResult>) -> PutStep {
        let mut step = PutStep::default();
        let mut failed_keys: HashSet<String> = HashSet::new();
        for (&position, result) in call.iter().zip(results) {
            let key = self.entries[position].partition_key.clone();
            match result {
                EntryResult::Accepted {
                    shard_id,
                    sequence_number,
                } => {
                    debug!(%shard_id, %sequence_number, position, "record accepted");
                    if failed_keys.contains(&key) {
                        self.report.out_of_order += 1;
                        warn!(%shard_id, %sequence_number, position,
                            "record accepted ahead of an earlier record of its partition key \
                             that failed in the same call");
                    }
                    if self.held.get(&key) == Some(&position) {
                        self.held.remove(&key);
                    }
                    self.pending.remove(&position);
                    self.report.records += 1;
                    self.report.bytes += self.entries[position].data.len();
                    *self.report.shards.entry(shard_id.clone()).or_default() += 1;
                    step.accepted.push(Accepted {
                        position,
                        shard_id,
                        sequence_number,
                    });
                }
                EntryResult::Failed { code, message } => {
                    step.failed += 1;
                    self.attempts[position] += 1;
                    debug!(position, %code, "record failed");
                    if !is_retryable_code(&code) {
                        self.fail_once(PutFailure::Rejected {
                            position,
                            key: key.clone(),
                            code,
                            message,
                        });
                    } else if self.attempts[position] >= self.options.max_attempts {
                        self.fail_once(PutFailure::GaveUp {
                            position,
                            key: key.clone(),
                            attempts: self.attempts[position],
                            code,
                            message,
                        });
                    } else {
                        self.report.retries += 1;
                    }
                    self.held.entry(key.clone()).or_insert(position);
                    failed_keys.insert(key);
                }
            }
        }
        self.note_call(step.failed > 0);
        step
    }

    /// A whole call failed in a way that may pass: every record of it counts
    /// an attempt and stays pending.
    fn retry_call(&mut self, call: &[usize], error: PutError) -> PutStep {
        warn!(%error, "PutRecords call failed; retrying");
        for &position in call {
            self.attempts[position] += 1;
            if self.attempts[position] >= self.options.max_attempts {
                self.fail_once(PutFailure::Call {
                    stream: self.stream.to_string(),
                    source: error.clone(),
                });
            } else {
                self.report.retries += 1;
            }
        }
        self.note_call(true);
        PutStep {
            accepted: Vec::new(),
            failed: call.len(),
        }
    }

    fn call_failed(&mut self, source: PutError) -> PutFailure {
        PutFailure::Call {
            stream: self.stream.to_string(),
            source,
        }
    }

    fn fail_once(&mut self, failure: PutFailure) {
        self.fatal.get_or_insert(failure);
    }

    fn note_call(&mut self, had_failures: bool) {
        if had_failures {
            self.failed_calls_in_a_row += 1;
        } else {
            self.failed_calls_in_a_row = 0;
        }
    }
}

#[cfg(test)]
mod tests;
