//! [`ElementSink`]: where valid elements go. The demo logs them; a real
//! consumer swaps in its own side effect (a table write, an API call).

use std::future::Future;

use streamdlq_core::batch::RecordContext;

use crate::element::Element;

/// Receives each valid element, in sequence order, at least once.
///
/// Records are redelivered after failures and replays, so implementations
/// should be idempotent, e.g. keyed on the record's shard and sequence
/// number from the [`RecordContext`].
pub trait ElementSink {
    fn accept(
        &self,
        record: &RecordContext,
        element: &Element<'_>,
    ) -> impl Future<Output = Result<(), ElementSinkError>> + Send;
}

/// Why a sink could not take an element.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ElementSinkError {
    /// The destination is down or throttling: a retry may succeed.
    #[error("sink unavailable: {0}")]
    Unavailable(String),
    /// The destination refuses this element: it will refuse it again.
    #[error("sink rejected the element: {0}")]
    Rejected(String),
}

impl ElementSinkError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

/// The demo's side effect: one structured log event per element, at
/// `debug`.
///
/// Logging the element is the point of this sink; the batch helper itself
/// never logs record contents. A line per record at `info` would cost a
/// 10,000-record batch more than its processing and be billed by CloudWatch,
/// so it is `debug` (`RUST_LOG=info,processor=debug` shows it); the batch
/// helper writes one summary line per batch at `info`.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogSink;

impl ElementSink for LogSink {
    async fn accept(
        &self,
        _record: &RecordContext,
        element: &Element<'_>,
    ) -> Result<(), ElementSinkError> {
        tracing::debug!(
            atomic_number = element.atomic_number,
            element = %element.element,
            symbol = %element.symbol,
            atomic_mass = element.atomic_mass,
            "element received"
        );
        Ok(())
    }
}
