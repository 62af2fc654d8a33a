//! What the ESM's coordinator ([`runtime`](super::runtime)) and its shard
//! pollers ([`poller`](super::poller)) share: the settings, the ports, the
//! stats and the stop signal. A module of its own below both, so that the
//! two never import each other.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::watch;

use super::batch::RetryPolicy;
use super::clock::Clock;
use super::config::EsmConfig;
use super::source::EsmRecord;
use super::stats::EsmStats;
use super::target::EsmTarget;

/// Everything the pollers share, for a stream of `T` records.
#[derive(Debug)]
pub(crate) struct Shared<R, F, D, T: EsmRecord> {
    pub config: EsmConfig,
    pub policy: RetryPolicy,
    pub target: EsmTarget,
    pub event_source: T::EventSource,
    pub reader: R,
    pub function: F,
    pub destination: D,
    pub clock: Arc<dyn Clock>,
    pub stats: watch::Sender<EsmStats>,
}

/// Runs `future` unless the ESM is stopped first (or its handle dropped).
pub(crate) async fn or_stop<T>(
    stop: &mut watch::Receiver<bool>,
    future: impl Future<Output = T>,
) -> Option<T> {
    tokio::select! {
        biased;
        _ = stop.wait_for(|stopped| *stopped) => None,
        value = future => Some(value),
    }
}
