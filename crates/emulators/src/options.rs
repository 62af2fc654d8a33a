//! Where the emulators come from, where their logs go, and how long they may
//! take to start.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::EmulatorError;
use crate::tools::ToolsDir;

/// Where the emulators come from and where their logs go.
#[derive(Debug, Clone)]
pub struct EmulatorOptions {
    /// The directory `scripts/install-tools.sh` installed into.
    pub tools: ToolsDir,
    /// Emulator output goes to files here, never to the caller's output.
    pub log_dir: PathBuf,
    /// How long an emulator may take to answer before start-up fails.
    pub startup_timeout: Duration,
}

impl EmulatorOptions {
    /// Tools found by [`ToolsDir::locate`], logs under the system temp dir,
    /// 30 s to start.
    pub fn from_env() -> Result<Self, EmulatorError> {
        Ok(Self {
            tools: ToolsDir::locate()?,
            log_dir: std::env::temp_dir().join("streamdlq-emulators"),
            startup_timeout: Duration::from_secs(30),
        })
    }
}
