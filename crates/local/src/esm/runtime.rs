//! [`Esm`] and [`EsmHandle`]: the running event source mapping — shard
//! discovery, one poller task per shard, stop, and stats.

use std::sync::Arc;
use std::time::Duration;

use streamdlq_core::invocation::LambdaFunction;
use streamdlq_core::{ShardLister, ShardReader};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tracing::{Instrument, error, info, info_span, warn};

use super::batch::RetryPolicy;
use super::clock::{Clock, SystemClock};
use super::config::{EsmConfig, EsmConfigError};
use super::destination::FailureDestination;
use super::lineage::Lineage;
use super::poller::{PollerExit, poll_shard};
use super::shared::{Shared, or_stop};
use super::source::EsmRecord;
use super::stats::{EsmStats, ShardState};
use super::target::EsmTarget;

/// A configured event source mapping, ready to start.
#[derive(Debug, Clone)]
pub struct Esm {
    config: EsmConfig,
    target: EsmTarget,
    clock: Arc<dyn Clock>,
}

impl Esm {
    /// An ESM for `target` with `config`, whose settings were checked when
    /// read; only the local timing knobs are checked here
    /// ([`EsmConfig::check_timing`]).
    pub fn new(config: EsmConfig, target: EsmTarget) -> Result<Self, EsmConfigError> {
        config.check_timing()?;
        Ok(Self {
            config,
            target,
            clock: Arc::new(SystemClock),
        })
    }

    /// Judges record age and stamps OnFailure records by `clock` instead of
    /// the system clock.
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    pub fn config(&self) -> &EsmConfig {
        &self.config
    }

    pub fn target(&self) -> &EsmTarget {
        &self.target
    }

    /// Starts reading the stream on the current Tokio runtime: shard
    /// discovery now, one poller per shard as its parents finish. The
    /// reader decides the kind of stream: a Kinesis reader yields Kinesis
    /// events, a DynamoDB Streams reader DynamoDB Streams events.
    pub fn start<T, R, F, D>(self, reader: R, function: F, destination: D) -> EsmHandle
    where
        T: EsmRecord,
        R: ShardReader<T> + ShardLister + Send + Sync + 'static,
        F: LambdaFunction + 'static,
        D: FailureDestination + 'static,
    {
        let (stop_sender, stop) = watch::channel(false);
        let (stats, stats_receiver) = watch::channel(EsmStats::default());
        let event_source = T::event_source(&self.target);
        let span = info_span!("esm", stream_arn = %self.target.stream_arn);
        let shared = Arc::new(Shared {
            policy: RetryPolicy::from(&self.config),
            config: self.config,
            target: self.target,
            event_source,
            reader,
            function,
            destination,
            clock: self.clock,
            stats,
        });
        let task = tokio::spawn(coordinate(shared, stop).instrument(span));
        EsmHandle {
            stop: stop_sender,
            stats: stats_receiver,
            task: Some(task),
        }
    }
}

/// Lists shards now and every discovery interval (and whenever a shard
/// ends), starts pollers in lineage order, and on stop waits for them.
async fn coordinate<R, F, D, T>(shared: Arc<Shared<R, F, D, T>>, mut stop: watch::Receiver<bool>)
where
    R: ShardReader<T> + ShardLister + Send + Sync + 'static,
    F: LambdaFunction + 'static,
    D: FailureDestination + 'static,
    T: EsmRecord,
{
    let mut lineage = Lineage::new(shared.config.settings.starting_position());
    let mut pollers: JoinSet<(String, PollerExit)> = JoinSet::new();
    let mut running: Vec<(tokio::task::Id, String)> = Vec::new();
    let mut discover = true;
    loop {
        if discover {
            discover = false;
            let listing = or_stop(
                &mut stop,
                shared.reader.list_shards(&shared.target.stream_arn),
            )
            .await;
            match listing {
                None => break,
                Some(Ok(shards)) => {
                    for (shard_id, start) in lineage.plan(&shards) {
                        info!(shard_id = %shard_id, ?start, "starting shard poller");
                        let task = pollers.spawn(poll_shard(
                            Arc::clone(&shared),
                            shard_id.clone(),
                            start,
                            stop.clone(),
                        ));
                        running.push((task.id(), shard_id));
                    }
                }
                Some(Err(error)) => warn!(%error, "ListShards failed; trying again later"),
            }
        }
        tokio::select! {
            biased;
            _ = stop.wait_for(|stopped| *stopped) => break,
            joined = pollers.join_next_with_id(), if !pollers.is_empty() => match joined {
                Some(Ok((id, (shard_id, exit)))) => {
                    running.retain(|(task, _)| *task != id);
                    if exit == PollerExit::Ended {
                        lineage.finish(&shard_id);
                        discover = true;
                    }
                }
                Some(Err(failure)) => {
                    let id = failure.id();
                    let shard_id = running
                        .iter()
                        .find(|(task, _)| *task == id)
                        .map(|(_, shard)| shard.clone())
                        .unwrap_or_default();
                    running.retain(|(task, _)| *task != id);
                    error!(shard_id = %shard_id, %failure, "shard poller failed; the shard is no longer read");
                    shared.stats.send_modify(|stats| {
                        stats.shards.entry(shard_id).or_default().state = ShardState::Crashed;
                    });
                }
                None => {}
            },
            () = tokio::time::sleep(shared.config.shard_discovery_interval) => discover = true,
        }
    }
    // Pollers see the same stop signal; wait until every one has let go.
    while pollers.join_next().await.is_some() {}
}

/// A running ESM. Dropping it stops the ESM without waiting; prefer
/// [`EsmHandle::stop`].
#[derive(Debug)]
pub struct EsmHandle {
    stop: watch::Sender<bool>,
    stats: watch::Receiver<EsmStats>,
    task: Option<JoinHandle<()>>,
}

impl EsmHandle {
    /// What the ESM has done so far.
    pub fn stats(&self) -> EsmStats {
        self.stats.borrow().clone()
    }

    /// Waits until `condition` holds for the stats, or `timeout` passes;
    /// returns the stats seen last either way, `Ok` if the condition held.
    pub async fn wait_for(
        &self,
        timeout: Duration,
        mut condition: impl FnMut(&EsmStats) -> bool,
    ) -> Result<EsmStats, EsmStats> {
        let mut stats = self.stats.clone();
        let waited =
            tokio::time::timeout(timeout, stats.wait_for(|current| condition(current))).await;
        match waited {
            Ok(Ok(current)) => Ok(current.clone()),
            _ => Err(self.stats()),
        }
    }

    /// Stops every poller (an invocation in flight is abandoned, its batch
    /// not checkpointed) and waits until all have ended.
    pub async fn stop(mut self) {
        self.stop.send_replace(true);
        if let Some(task) = self.task.take()
            && let Err(failure) = task.await
        {
            error!(%failure, "the ESM coordinator failed");
        }
    }
}

impl Drop for EsmHandle {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}
