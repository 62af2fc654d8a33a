//! What can go wrong while starting or stopping an emulator.

use std::path::PathBuf;
use std::time::Duration;

/// Starting or stopping an emulator failed.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// No `.tools` directory was found at all.
    #[error(
        "the emulators are not installed (no .tools directory in {searched}): run `scripts/install-tools.sh`"
    )]
    ToolsNotFound {
        /// The directories whose ancestors were searched.
        searched: String,
    },

    /// The tools directory exists but one emulator is missing from it.
    #[error("{tool} is not installed (missing {}): run `scripts/install-tools.sh`", .path.display())]
    ToolMissing {
        /// The emulator's name.
        tool: &'static str,
        /// The file that should be there.
        path: PathBuf,
    },

    /// Local I/O needed to start an emulator failed (ports, log files, files
    /// the emulator reads).
    #[error("could not prepare {what}")]
    Setup {
        /// What was being prepared.
        what: String,
        /// The underlying failure.
        #[source]
        source: std::io::Error,
    },

    /// The emulator's process could not be started at all.
    #[error("could not start {name} (`{program}`)")]
    Spawn {
        /// The emulator's name.
        name: &'static str,
        /// The program that was run.
        program: String,
        /// The underlying failure.
        #[source]
        source: std::io::Error,
    },

    /// Another process took the free port between reservation and bind.
    #[error("{name} could not bind its port, another process took it; log {}", .log.display())]
    PortTaken {
        /// The emulator's name.
        name: &'static str,
        /// The emulator's log file.
        log: PathBuf,
    },

    /// The emulator exited before it answered.
    #[error("{name} exited during start-up ({status}); log {}:\n{tail}", .log.display())]
    Exited {
        /// The emulator's name.
        name: &'static str,
        /// How it exited.
        status: std::process::ExitStatus,
        /// The emulator's log file.
        log: PathBuf,
        /// The end of that log.
        tail: String,
    },

    /// The emulator kept running but did not answer in time.
    #[error("{name} did not answer on port {port} within {timeout:?}; log {}:\n{tail}", .log.display())]
    NotReady {
        /// The emulator's name.
        name: &'static str,
        /// The port that was probed.
        port: u16,
        /// How long start-up waited.
        timeout: Duration,
        /// The emulator's log file.
        log: PathBuf,
        /// The end of that log.
        tail: String,
    },

    /// Waiting for a stopped emulator failed.
    #[error("could not stop {name}")]
    Stop {
        /// The emulator's name.
        name: &'static str,
        /// The underlying failure.
        #[source]
        source: std::io::Error,
    },
}

impl EmulatorError {
    /// Whether starting again (on new free ports) may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::PortTaken { .. })
    }
}
