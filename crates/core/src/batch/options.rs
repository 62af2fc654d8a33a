//! [`BatchOptions`]: how [`process_batch_with`](super::process_batch_with)
//! answers when the first record of a batch is poison.
//!
//! AWS contract behind the option (DESIGN.md, "ESM semantics"):
//! - A partial answer (`batchItemFailures`) only moves the checkpoint to the
//!   reported record; that record and everything after it is retried, and
//!   when the retries run out the whole rest of the batch goes to the
//!   OnFailure destination, never processed. A poison pill at the head of a
//!   batch therefore drags every healthy record behind it into the DLQ.
//! - A function *error*, with `BisectBatchOnFunctionError`, splits the batch
//!   in two and retries each half, and splitting does not use up
//!   `MaximumRetryAttempts`. Failing the invocation whenever the head of a
//!   batch is poison lets the ESM bisect until the pill is alone: a batch of
//!   one record answers partially as always, its retries run out, and only
//!   the pill reaches the DLQ.
//! - Failing the invocation acknowledges nothing, and nothing after the
//!   pill was processed, so order and at-least-once delivery are kept.
//!
//! A transient failure at the head (a dependency down) keeps the partial
//! answer: bisecting cannot help an outage, it would only multiply the
//! invocations and scatter healthy records into the DLQ one by one.

/// How the batch helper answers the event source mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchOptions {
    /// When the first record of a batch of two or more fails as poison,
    /// fail the invocation (a function error, so that an ESM with
    /// `BisectBatchOnFunctionError` splits the batch) instead of answering
    /// with a partial batch failure. On by default. Without bisection on the
    /// ESM, both answers retry the whole batch; the function error then ends
    /// in an OnFailure record with `functionError: "Unhandled"`.
    pub isolate_poison_at_head: bool,
}

impl Default for BatchOptions {
    fn default() -> Self {
        Self {
            isolate_poison_at_head: true,
        }
    }
}
