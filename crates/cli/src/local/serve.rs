//! `streamdlq local serve` (hidden, started by `up`): owns the stack until
//! SIGTERM or SIGINT, then stops the pipeline and the emulators and removes
//! the state it wrote.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use streamdlq_emulators::{EmulatorOptions, ToolsDir};
use streamdlq_local::stack::{ProcessorTarget, in_process_hydrate};
use streamdlq_local::state::{ProcessEntry, SERVE};
use streamdlq_local::{LocalState, Stack, StackOptions};
use tokio::signal::unix::{SignalKind, signal};

use super::StateDir;

/// How long an emulator may take to answer.
const EMULATOR_STARTUP: Duration = Duration::from_secs(60);

/// The first async retry of the hydrate function waits this long locally
/// (AWS: about a minute), the second twice as long.
const ASYNC_RETRY_DELAY: Duration = Duration::from_millis(200);

/// Long-poll wait of the delivery queue.
const DELIVERY_WAIT: Duration = Duration::from_secs(5);

/// Arguments of `streamdlq local serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The SAM template to read
    #[arg(long, value_name = "PATH")]
    template: PathBuf,

    /// The prefix of every resource name
    #[arg(long)]
    stack_name: String,

    /// A Lambda Invoke API endpoint to drive instead of the in-process processor
    #[arg(long, value_name = "URL")]
    processor_endpoint: Option<String>,

    /// The function name at --processor-endpoint
    #[arg(long, value_name = "NAME", default_value = "ProcessorFunction")]
    processor_function: String,
}

impl ServeArgs {
    pub async fn run(self, dir: &StateDir) -> anyhow::Result<()> {
        let mut terminate = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        // Closing the terminal `up` ran in must not stop the stack.
        let mut hangup = signal(SignalKind::hangup())?;

        let options = StackOptions {
            template: self.template,
            stack_name: self.stack_name,
            emulators: EmulatorOptions {
                tools: ToolsDir::locate()?,
                log_dir: dir.logs(),
                startup_timeout: EMULATOR_STARTUP,
            },
            async_retry_delay: ASYNC_RETRY_DELAY,
            delivery_wait: DELIVERY_WAIT,
            processor: match self.processor_endpoint {
                None => ProcessorTarget::InProcess,
                Some(endpoint_url) => ProcessorTarget::InvokeApi {
                    endpoint_url,
                    function_name: self.processor_function,
                },
            },
            hydrate: Some(in_process_hydrate()),
        };
        let stack = tokio::select! {
            stack = Stack::start(options) => stack.context("could not start the local stack")?,
            // Dropping the start stops whatever had started.
            _ = terminate.recv() => return Ok(()),
            _ = interrupt.recv() => return Ok(()),
        };

        let pid = std::process::id();
        let pgid = nix::unistd::getpgid(None)
            .map(|pgid| pgid.as_raw().unsigned_abs())
            .unwrap_or(pid);
        let state = stack.state(ProcessEntry {
            name: SERVE.to_owned(),
            pid,
            pgid,
        });
        state.save_to(&dir.state_file())?;
        tracing::info!(state = %dir.state_file().display(), "state written; serving until SIGTERM");

        loop {
            tokio::select! {
                _ = terminate.recv() => break,
                _ = interrupt.recv() => break,
                _ = hangup.recv() => tracing::info!("SIGHUP ignored"),
            }
        }
        tracing::info!("stopping");
        let stopped = stack.stop().await;
        // Only our own state: a newer stack may have replaced a stale one.
        if LocalState::load_from(&dir.state_file())
            .is_ok_and(|state| state.owner().is_some_and(|owner| owner.pid == pid))
        {
            LocalState::remove_at(&dir.state_file())?;
        }
        stopped.context("could not stop the emulators")?;
        tracing::info!("stopped");
        Ok(())
    }
}
