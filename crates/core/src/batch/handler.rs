//! [`RecordHandler`]: the per-record logic a consumer plugs into
//! [`process_batch`](super::process_batch), and [`RecordError`], how its
//! errors say whether they are worth retrying.

use std::convert::Infallible;
use std::future::Future;

use super::context::RecordContext;

/// Handles one Kinesis record at a time.
///
/// [`process_batch`](super::process_batch) calls it in sequence order and
/// stops at the first error or panic, so a handler may rely on having seen
/// every earlier record of the shard in this invocation. Records are
/// delivered at least once: use the [`RecordContext`] to make side effects
/// idempotent.
pub trait RecordHandler {
    /// The handler's error; it decides whether the record is poison.
    type Error: RecordError;

    /// Handles the record's bytes, exactly as the producer put them. The
    /// bytes are borrowed from the batch, which decodes every record once
    /// into one buffer; copy them if the handler must keep them.
    fn handle(
        &self,
        record: &RecordContext,
        data: &[u8],
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// An error from a [`RecordHandler`].
///
/// The event source mapping retries a failed record either way (until its
/// retry or age limit, then OnFailure and the DLQ take over); the distinction
/// tells the operator reading the logs whether waiting can help.
pub trait RecordError: std::error::Error {
    /// `true` if the same record may succeed later (a dependency was down,
    /// a call was throttled); `false` if the record itself is bad (poison)
    /// and will fail every time until the code or the data changes.
    fn is_retryable(&self) -> bool;
}

/// For handlers that cannot fail.
impl RecordError for Infallible {
    fn is_retryable(&self) -> bool {
        match *self {}
    }
}
