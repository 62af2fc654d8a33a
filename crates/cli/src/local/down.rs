//! `streamdlq local down`: stops exactly what `up` started, removes the
//! state, and prints the `unset` line for the exports `up` printed, so that
//! `eval "$(streamdlq local down)"` leaves the shell clean. Stale pids
//! (processes gone, pids reused) are reported, never signalled.

use std::time::Duration;

use anyhow::bail;
use clap::Args;
use streamdlq_local::stack::{Stopped, stop_processes};
use streamdlq_local::{LocalState, StateError};

use super::StateDir;

/// `unset NAME …` for every variable the stack's exports set.
fn unset_line(state: &LocalState) -> String {
    let names: Vec<&str> = state.exports().iter().map(|(name, _)| *name).collect();
    format!("unset {}", names.join(" "))
}

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
        // On stdout, the one line `eval` runs; a person sees it too.
        println!("{}", unset_line(&state));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The unset line names exactly the variables `up` exported.
    #[test]
    fn unsets_every_exported_variable() {
        let state: LocalState = serde_json::from_value(serde_json::json!({
            "version": 1,
            "region": "us-east-1",
            "endpoints": {"kinesis": "http://127.0.0.1:4001", "moto": "http://127.0.0.1:4002"},
            "stackName": "streamdlq",
            "stream": {"name": "streamdlq-Stream",
                       "arn": "arn:aws:kinesis:us-east-1:000000000000:stream/streamdlq-Stream"},
            "topicArn": "arn:aws:sns:us-east-1:000000000000:streamdlq-FailureTopic",
            "dlqUrl": "http://127.0.0.1:4002/000000000000/streamdlq-DeadLetterQueue",
            "hydrateFailureQueueUrl": "http://127.0.0.1:4002/000000000000/streamdlq-HydrateFailureQueue",
            "deliveryQueueUrl": "http://127.0.0.1:4002/000000000000/streamdlq-HydrateDelivery",
            "processes": [],
            "startedAt": "2025-01-01T00:00:00.000Z"
        }))
        .expect("state");
        let line = unset_line(&state);
        let exported: Vec<String> = state
            .export_lines()
            .lines()
            .filter_map(|line| line.strip_prefix("export "))
            .filter_map(|line| line.split_once('=').map(|(name, _)| name.to_owned()))
            .collect();
        assert_eq!(line, format!("unset {}", exported.join(" ")));
        assert!(line.contains(" AWS_ENDPOINT_URL "), "{line}");
    }
}
