//! Whether a process of a state file still runs and is still the stack's:
//! seen from the outside through Linux `/proc`, because pids are reused once
//! a process is gone.
//!
//! A pid from a state file is trusted only when `/proc/<pid>` shows the same
//! process group and a command line (and, for kinesis-local, the port in its
//! environment) that only this stack's process has. Anything else is a
//! stranger that happens to have the pid: it is never signalled, and a state
//! whose processes are all gone or strangers describes no running stack.

use std::path::Path;

use super::{LocalState, ProcessEntry};

/// The name of the stack's own (serving) process in the state.
pub const SERVE: &str = "serve";

/// What a pid from the state file is now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    /// The stack's process, still running.
    Running,
    /// No process with that pid is running (or it is a zombie).
    Gone,
    /// Another process has the pid now.
    Reused,
}

/// Whether the state's process `entry` still runs, and is still the same
/// process.
pub fn liveness(entry: &ProcessEntry, state: &LocalState, state_dir: &Path) -> Liveness {
    let Some(stat) = Stat::read(entry.pid) else {
        return Liveness::Gone;
    };
    if stat.zombie {
        return Liveness::Gone;
    }
    if stat.pgid == entry.pgid && is_ours(entry, state, state_dir) {
        Liveness::Running
    } else {
        Liveness::Reused
    }
}

/// The parts of `/proc/<pid>/stat` that matter here.
struct Stat {
    zombie: bool,
    pgid: u32,
}

impl Stat {
    fn read(pid: u32) -> Option<Self> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // "pid (comm) state ppid pgrp …"; comm may hold spaces and parens.
        let mut fields = stat.rsplit_once(") ")?.1.split_whitespace();
        let state = fields.next()?.chars().next()?;
        let pgid = fields.nth(1)?.parse().ok()?;
        Some(Self {
            zombie: matches!(state, 'Z' | 'X'),
            pgid,
        })
    }
}

/// Whether the running process `entry.pid` is the one the state describes.
fn is_ours(entry: &ProcessEntry, state: &LocalState, state_dir: &Path) -> bool {
    let args = nul_separated(&format!("/proc/{}/cmdline", entry.pid));
    let has = |needle: &str| args.iter().any(|arg| arg == needle);
    let mentions = |needle: &str| args.iter().any(|arg| arg.contains(needle));
    match entry.name.as_str() {
        SERVE => has("serve") && has(&state_dir.display().to_string()),
        "moto" => mentions("moto.server") && has(&port_of(&state.endpoints.moto)),
        "kinesis-local" => {
            mentions("kinesis-local")
                && nul_separated(&format!("/proc/{}/environ", entry.pid)).contains(&format!(
                    "KINESIS_MOCK_PLAIN_PORT={}",
                    port_of(&state.endpoints.kinesis)
                ))
        }
        _ => false,
    }
}

fn nul_separated(path: &str) -> Vec<String> {
    std::fs::read(path)
        .map(|bytes| {
            bytes
                .split(|byte| *byte == 0)
                .filter(|part| !part.is_empty())
                .map(|part| String::from_utf8_lossy(part).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The port of `http://127.0.0.1:PORT`.
pub fn port_of(endpoint: &str) -> String {
    endpoint
        .rsplit_once(':')
        .map(|(_, port)| port.trim_end_matches('/').to_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{Endpoints, STATE_VERSION, StreamState};

    fn state(processes: Vec<ProcessEntry>) -> LocalState {
        LocalState {
            version: STATE_VERSION,
            region: "us-east-1".to_owned(),
            endpoints: Endpoints {
                kinesis: "http://127.0.0.1:1".to_owned(),
                moto: "http://127.0.0.1:2".to_owned(),
            },
            stack_name: "s".to_owned(),
            stream: StreamState {
                name: "s".to_owned(),
                arn: "a".to_owned(),
            },
            topic_arn: String::new(),
            dlq_url: String::new(),
            hydrate_failure_queue_url: String::new(),
            delivery_queue_url: String::new(),
            processes,
            started_at: String::new(),
            table: None,
        }
    }

    /// This very process has a live pid, but it is no stack process: a
    /// reused pid is told apart from the stack's own.
    #[test]
    fn a_live_stranger_is_reused_not_ours() {
        let pid = std::process::id();
        let pgid = Stat::read(pid).expect("own stat").pgid;
        for name in [SERVE, "moto", "kinesis-local"] {
            let entry = ProcessEntry {
                name: name.to_owned(),
                pid,
                pgid,
            };
            let state = state(vec![entry.clone()]);
            assert_eq!(
                liveness(&entry, &state, Path::new("/nowhere/.streamdlq")),
                Liveness::Reused,
                "{name}"
            );
        }
    }

    /// A pid that no process has is gone.
    #[test]
    fn a_missing_pid_is_gone() {
        let entry = ProcessEntry {
            name: SERVE.to_owned(),
            pid: u32::MAX - 1,
            pgid: u32::MAX - 1,
        };
        let state = state(vec![entry.clone()]);
        assert_eq!(
            liveness(&entry, &state, Path::new("/nowhere")),
            Liveness::Gone
        );
    }

    /// Ports are read from endpoint URLs.
    #[test]
    fn reads_ports_from_endpoints() {
        assert_eq!(port_of("http://127.0.0.1:4566"), "4566");
        assert_eq!(port_of("http://127.0.0.1:4566/"), "4566");
    }
}
