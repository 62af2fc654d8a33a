//! `streamdlq local down`: stops exactly what `up` started and removes the
//! state. Stale pids (processes gone, pids reused) are reported, never
//! signalled.

use std::time::Duration;

use anyhow::bail;
use clap::Args;
use streamdlq_local::stack::{Stopped, stop_processes};
use streamdlq_local::{LocalState, StateError};

use super::StateDir;

/// Arguments of `streamdlq local down`.
#[derive(Debug, Args)]
pub struct DownArgs {
    /// Seconds to wait after SIGTERM before killing what still runs
    #[arg(long, default_value_t = 10, value_name = "SECONDS")]
    grace: u64,
}

impl DownArgs {
    pub async fn run(self, dir: &StateDir) -> anyhow::Result<()> {
        let state = match dir.load_state() {
            Ok(state) => state,
            Err(StateError::NotRunning { .. }) => {
                eprintln!("no local stack is running");
                return Ok(());
            }
            Err(error) => return Err(error.into()),
        };
        let report = stop_processes(&state, dir.path(), Duration::from_secs(self.grace)).await;
        let mut still_running = Vec::new();
        for line in &report {
            let process = &line.process;
            let what = match line.outcome {
                Stopped::Terminated => "stopped",
                Stopped::Killed => "killed after the grace period",
                Stopped::AlreadyGone => "was not running",
                Stopped::PidReused => {
                    "was not running (its pid belongs to another process now, left alone)"
                }
                Stopped::StillRunning => {
                    still_running
                        .push(format!("{} (process group {})", process.name, process.pgid));
                    "still running"
                }
            };
            eprintln!("{} (pid {}): {what}", process.name, process.pid);
        }
        if !still_running.is_empty() {
            bail!(
                "could not stop {}; the state is kept in {}: stop them with `kill -KILL -- -<process group>` and run `streamdlq local down` again",
                still_running.join(", "),
                dir.state_file().display()
            );
        }
        LocalState::remove_at(&dir.state_file())?;
        eprintln!("local stack {} is down", state.stack_name);
        Ok(())
    }
}
