//! [`Esm`] and [`EsmHandle`]: the running event source mapping — shard
//! discovery, one poller task per shard, stop, and stats.

use std::sync::Arc;
use std::time::Duration;

use streamdlq_core::{Arn, ShardLister, ShardReader};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tracing::{Instrument, error, info, info_span, warn};

use super::batch::RetryPolicy;
use super::clock::{Clock, SystemClock};
use super::config::{EsmConfig, EsmConfigError};
use super::destination::FailureDestination;
use super::event::EventSource;
use super::function::StreamFunction;
use super::lineage::Lineage;
use super::poller::{PollerExit, or_stop, poll_shard};
use super::stats::{EsmStats, ShardState};

/// What the mapping connects: a stream, a function, and the role the
/// function runs as (it appears in every record as `invokeIdentityArn`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EsmTarget {
    pub stream_arn: String,
    pub function_arn: String,
    pub invoke_identity_arn: String,
    region: String,
}

impl EsmTarget {
    /// The mapping from `stream_arn` to `function_arn`, the function
    /// running as the role `<function name>-role` of the stream's account.
    pub fn new(
        stream_arn: impl Into<String>,
        function_arn: impl Into<String>,
    ) -> Result<Self, EsmConfigError> {
        let (stream_arn, function_arn) = (stream_arn.into(), function_arn.into());
        let stream = Arn::parse_kinesis_stream(&stream_arn)?;
        let function = Arn::parse_lambda_function(&function_arn)?;
        // Present in both: the parse_* checks require them.
        let (region, account) = (
            stream.region().unwrap_or_default(),
            stream.account().unwrap_or_default(),
        );
        let function_name = function
            .lambda_function()
            .map(|function| function.name)
            .unwrap_or_default();
        let invoke_identity_arn = format!(
            "arn:{}:iam::{account}:role/{function_name}-role",
            stream.partition()
        );
        let region = region.to_owned();
        Ok(Self {
            region,
            stream_arn,
            function_arn,
            invoke_identity_arn,
        })
    }

    /// The region of the stream, from its ARN.
    pub fn region(&self) -> &str {
        &self.region
    }
}

/// A configured event source mapping, ready to start.
#[derive(Debug, Clone)]
pub struct Esm {
    config: EsmConfig,
    target: EsmTarget,
    clock: Arc<dyn Clock>,
}

/// Everything the pollers share.
#[derive(Debug)]
pub(crate) struct Shared<R, F, D> {
    pub config: EsmConfig,
    pub policy: RetryPolicy,
    pub target: EsmTarget,
    pub event_source: EventSource,
    pub reader: R,
    pub function: F,
    pub destination: D,
    pub clock: Arc<dyn Clock>,
    pub stats: watch::Sender<EsmStats>,
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
    /// discovery now, one poller per shard as its parents finish.
    pub fn start<R, F, D>(self, reader: R, function: F, destination: D) -> EsmHandle
    where
        R: ShardReader + ShardLister + Send + Sync + 'static,
        F: StreamFunction + 'static,
        D: FailureDestination + 'static,
    {
        let (stop_sender, stop) = watch::channel(false);
        let (stats, stats_receiver) = watch::channel(EsmStats::default());
        let event_source = EventSource {
            region: self.target.region().to_owned(),
            stream_arn: self.target.stream_arn.clone(),
            invoke_identity_arn: self.target.invoke_identity_arn.clone(),
        };
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
async fn coordinate<R, F, D>(shared: Arc<Shared<R, F, D>>, mut stop: watch::Receiver<bool>)
where
    R: ShardReader + ShardLister + Send + Sync + 'static,
    F: StreamFunction + 'static,
    D: FailureDestination + 'static,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The target takes region and account from the stream ARN and names
    /// the role after the function.
    #[test]
    fn derives_region_and_role_from_the_arns() {
        let target = EsmTarget::new(
            "arn:aws:kinesis:eu-west-1:123456789012:stream/orders",
            "arn:aws:lambda:eu-west-1:123456789012:function:processor:live",
        )
        .expect("valid ARNs");
        assert_eq!(target.region(), "eu-west-1");
        assert_eq!(
            target.invoke_identity_arn,
            "arn:aws:iam::123456789012:role/processor-role"
        );
    }

    /// Anything but a Kinesis stream ARN and a function ARN is refused.
    #[test]
    fn refuses_arns_of_the_wrong_kind() {
        let function = "arn:aws:lambda:eu-west-1:123456789012:function:processor";
        for stream in [
            "orders",
            "arn:aws:sqs:eu-west-1:123456789012:orders",
            "arn:aws:kinesis:eu-west-1:123456789012:table/orders",
            "arn:aws:kinesis::123456789012:stream/orders",
        ] {
            assert!(
                matches!(
                    EsmTarget::new(stream, function),
                    Err(EsmConfigError::Arn(_))
                ),
                "{stream}"
            );
        }
        assert!(EsmTarget::new("arn:aws:kinesis:eu-west-1:1:stream/o", "processor").is_err());
    }
}
