//! Stopping a stack from its state file: exactly the processes `up`
//! started, nothing else, whatever became of them since.
//!
//! The serving process is asked first (SIGTERM to its process group): it
//! stops its loops and emulators in order. Emulators also die on their own
//! when it is gone (their watchdogs), and anything still running after the
//! grace period is killed by process group. Pids that are gone or now belong
//! to another process are reported and left alone.

use std::path::Path;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

use crate::state::{Liveness, LocalState, ProcessEntry, SERVE, liveness};

/// How often processes are looked at while waiting.
const POLL: Duration = Duration::from_millis(25);

/// What `down` did to one process of the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// It stopped after SIGTERM (or with the process that owns it).
    Terminated,
    /// It ignored SIGTERM for the grace period and was killed.
    Killed,
    /// It was not running any more.
    AlreadyGone,
    /// Its pid belongs to another process now; that process was left alone.
    PidReused,
    /// It was still running after SIGKILL (it could not be signalled).
    StillRunning,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopReport {
    pub process: ProcessEntry,
    pub outcome: Stopped,
}

/// Stops every process of `state` (whose file is in `state_dir`).
pub async fn stop_processes(
    state: &LocalState,
    state_dir: &Path,
    grace: Duration,
) -> Vec<StopReport> {
    let running = |entry: &ProcessEntry| liveness(entry, state, state_dir) == Liveness::Running;
    let initial: Vec<(ProcessEntry, Liveness)> = state
        .processes
        .iter()
        .map(|entry| (entry.clone(), liveness(entry, state, state_dir)))
        .collect();
    let ours: Vec<&ProcessEntry> = initial
        .iter()
        .filter(|(_, liveness)| *liveness == Liveness::Running)
        .map(|(entry, _)| entry)
        .collect();

    // The owner stops the rest in order; without one, each is asked itself.
    let owner = ours.iter().find(|entry| entry.name == SERVE);
    let asked: Vec<&&ProcessEntry> = match owner {
        Some(owner) => vec![owner],
        None => ours.iter().collect(),
    };
    for entry in asked {
        if let Err(error) = signal_group(entry, Signal::SIGTERM) {
            tracing::debug!(process = %entry.name, pid = entry.pid, %error, "SIGTERM failed");
        }
    }

    let mut killed = Vec::new();
    if !wait_until(grace, || ours.iter().all(|entry| !running(entry))).await {
        for entry in ours.iter().filter(|entry| running(entry)) {
            // Checked just before: the pid still belongs to the stack.
            if signal_group(entry, Signal::SIGKILL).is_ok() {
                killed.push(entry.pid);
            }
        }
        wait_until(grace, || ours.iter().all(|entry| !running(entry))).await;
    }

    initial
        .into_iter()
        .map(|(process, before)| {
            let outcome = match before {
                Liveness::Gone => Stopped::AlreadyGone,
                Liveness::Reused => Stopped::PidReused,
                Liveness::Running if running(&process) => Stopped::StillRunning,
                Liveness::Running if killed.contains(&process.pid) => Stopped::Killed,
                Liveness::Running => Stopped::Terminated,
            };
            StopReport { process, outcome }
        })
        .collect()
}

/// Sends `signal` to the process group of `entry`; only ever called right
/// after [`liveness`] said the pid is still the stack's.
fn signal_group(entry: &ProcessEntry, signal: Signal) -> nix::Result<()> {
    let pgid = i32::try_from(entry.pgid).map_err(|_| nix::errno::Errno::EINVAL)?;
    killpg(Pid::from_raw(pgid), signal)
}

/// Polls `condition` until it holds (true) or `timeout` passes (false).
async fn wait_until(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(POLL).await;
    }
}
