//! One emulator process: its process group, watchdog, log file, readiness
//! and shutdown.
//!
//! # Why a watchdog
//!
//! Emulators must never outlive whoever started them, including a test binary
//! that exits without dropping a `static`, panics with `panic = "abort"`, or is
//! killed with SIGKILL. Each emulator therefore joins the process group of a
//! tiny `sh` watchdog that blocks reading a pipe whose only writer is this
//! process. The kernel closes that writer when this process lets go of it in
//! any way — [`EmulatorProcess::stop`], `Drop`, normal exit or a kill — so
//! `read` returns and the watchdog kills its whole group (the emulator and
//! anything it spawned). `stop` and `Drop` use the very same path, so the path
//! that runs when this process dies is exercised by every test. (A
//! parent-death signal via `prctl` would need `unsafe` in `pre_exec`, which the
//! workspace forbids.)

use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use std::os::unix::process::CommandExt;

use crate::error::EmulatorError;
use crate::ready::{accepts_tcp, answers_http};

/// Blocks until stdin reaches end of file, then kills its own process group.
const WATCHDOG: &str = "read -r _; kill -KILL 0";

/// Variables an emulator inherits; everything else is cleared so that the
/// caller's AWS or Node settings cannot change how the emulator behaves.
const INHERITED_ENV: [&str; 3] = ["PATH", "HOME", "TMPDIR"];

/// How often start-up and shutdown look at the process.
const POLL: Duration = Duration::from_millis(20);

/// How long shutdown waits for the watchdog before killing directly.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// How to start one emulator.
#[derive(Debug)]
pub(crate) struct Launch {
    pub name: &'static str,
    pub program: PathBuf,
    pub args: Vec<OsString>,
    pub env: Vec<(&'static str, OsString)>,
    /// Every port the emulator listens on; the first one must answer HTTP.
    pub ports: Vec<u16>,
    /// Log files go here; it is also the emulator's working directory, so
    /// nothing it writes lands in the caller's directory.
    pub log_dir: PathBuf,
    pub startup_timeout: Duration,
}

/// A running emulator, stopped by [`Self::stop`] or on drop.
#[derive(Debug)]
pub struct EmulatorProcess {
    name: &'static str,
    emulator: Child,
    watchdog: Child,
    /// The write end of the watchdog's pipe: dropping it stops the emulator.
    lifeline: Option<ChildStdin>,
    ports: Vec<u16>,
    log: PathBuf,
    startup: Duration,
    stopped: bool,
}

impl EmulatorProcess {
    /// Starts the emulator and waits until it answers on its ports.
    pub(crate) async fn start(launch: Launch) -> Result<Self, EmulatorError> {
        let started = Instant::now();
        let log = launch.log_dir.join(format!(
            "{}-{}.log",
            launch.name,
            launch.ports.first().copied().unwrap_or_default()
        ));
        let setup = |what: String| move |source| EmulatorError::Setup { what, source };
        std::fs::create_dir_all(&launch.log_dir)
            .map_err(setup(format!("log dir {}", launch.log_dir.display())))?;
        let output = File::create(&log).map_err(setup(format!("log {}", log.display())))?;
        let errors = output
            .try_clone()
            .map_err(setup(format!("log {}", log.display())))?;

        let mut watchdog = Command::new("sh")
            .args(["-c", WATCHDOG, "streamdlq-watchdog"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(|source| EmulatorError::Spawn {
                name: launch.name,
                program: "sh (watchdog)".to_owned(),
                source,
            })?;
        let lifeline = watchdog.stdin.take();
        // The watchdog leads the group, so the emulator is covered from the
        // moment it exists.
        let group = i32::try_from(watchdog.id()).map_err(std::io::Error::other);

        let spawned = group.and_then(|group| {
            Command::new(&launch.program)
                .args(&launch.args)
                .env_clear()
                .envs(
                    INHERITED_ENV
                        .iter()
                        .filter_map(|key| Some((key, std::env::var_os(key)?))),
                )
                .envs(launch.env.iter().map(|(key, value)| (key, value)))
                .current_dir(&launch.log_dir)
                .stdin(Stdio::null())
                .stdout(output)
                .stderr(errors)
                .process_group(group)
                .spawn()
        });
        let emulator = match spawned {
            Ok(emulator) => emulator,
            Err(source) => {
                drop(lifeline);
                let _ = watchdog.kill();
                let _ = watchdog.wait();
                return Err(EmulatorError::Spawn {
                    name: launch.name,
                    program: launch.program.display().to_string(),
                    source,
                });
            }
        };

        let mut process = Self {
            name: launch.name,
            emulator,
            watchdog,
            lifeline,
            ports: launch.ports,
            log,
            startup: Duration::ZERO,
            stopped: false,
        };
        // On error `process` is dropped here, which stops the emulator.
        process.wait_ready(launch.startup_timeout).await?;
        process.startup = started.elapsed();
        tracing::info!(
            emulator = process.name,
            pid = process.pid(),
            ports = ?process.ports,
            startup_ms = process.startup.as_millis() as u64,
            log = %process.log.display(),
            "emulator ready"
        );
        Ok(process)
    }

    /// The emulator's name, as used in errors and log file names.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The emulator's process id.
    pub fn pid(&self) -> u32 {
        self.emulator.id()
    }

    /// The process group the emulator runs in (led by its watchdog).
    pub fn process_group(&self) -> u32 {
        self.watchdog.id()
    }

    /// Every port the emulator listens on, all on 127.0.0.1.
    pub fn ports(&self) -> &[u16] {
        &self.ports
    }

    /// The file that holds the emulator's stdout and stderr.
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// From spawning to the first answer.
    pub fn startup_time(&self) -> Duration {
        self.startup
    }

    /// Stops the emulator and everything in its process group, and waits
    /// until the processes are gone and so its ports are closed.
    pub async fn stop(mut self) -> Result<(), EmulatorError> {
        self.lifeline = None;
        let forced_at = Instant::now() + STOP_GRACE;
        while !self.reaped().map_err(|source| EmulatorError::Stop {
            name: self.name,
            source,
        })? {
            if Instant::now() >= forced_at {
                self.force_kill();
            }
            tokio::time::sleep(POLL).await;
        }
        self.stopped = true;
        tracing::debug!(emulator = self.name, pid = self.pid(), "emulator stopped");
        Ok(())
    }

    async fn wait_ready(&mut self, timeout: Duration) -> Result<(), EmulatorError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) =
                self.emulator
                    .try_wait()
                    .map_err(|source| EmulatorError::Setup {
                        what: format!("a status check of {}", self.name),
                        source,
                    })?
            {
                return Err(self.exit_error(status));
            }
            if self.answers().await {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(EmulatorError::NotReady {
                    name: self.name,
                    port: self.ports.first().copied().unwrap_or_default(),
                    timeout,
                    log: self.log.clone(),
                    tail: log_tail(&self.log),
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn answers(&self) -> bool {
        let Some((first, rest)) = self.ports.split_first() else {
            return false;
        };
        if !answers_http(*first).await {
            return false;
        }
        for port in rest {
            if !accepts_tcp(*port).await {
                return false;
            }
        }
        true
    }

    fn exit_error(&self, status: ExitStatus) -> EmulatorError {
        let tail = log_tail(&self.log);
        // Node says EADDRINUSE, Python "Address already in use".
        if tail.contains("EADDRINUSE") || tail.contains("Address already in use") {
            EmulatorError::PortTaken {
                name: self.name,
                log: self.log.clone(),
            }
        } else {
            EmulatorError::Exited {
                name: self.name,
                status,
                log: self.log.clone(),
                tail,
            }
        }
    }

    /// Whether both the emulator and its watchdog have exited (and been reaped).
    fn reaped(&mut self) -> std::io::Result<bool> {
        let emulator = self.emulator.try_wait()?.is_some();
        let watchdog = self.watchdog.try_wait()?.is_some();
        Ok(emulator && watchdog)
    }

    /// The fallback when the watchdog did not do its job in time.
    fn force_kill(&mut self) {
        let _ = self.emulator.kill();
        let _ = self.watchdog.kill();
    }
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        if self.stopped {
            return;
        }
        self.lifeline = None;
        let forced_at = Instant::now() + STOP_GRACE;
        loop {
            match self.reaped() {
                Ok(true) => return,
                Ok(false) if Instant::now() < forced_at => std::thread::sleep(POLL),
                _ => {
                    self.force_kill();
                    let _ = self.emulator.wait();
                    let _ = self.watchdog.wait();
                    return;
                }
            }
        }
    }
}

/// The last lines of a log, for error messages.
fn log_tail(log: &Path) -> String {
    const LINES: usize = 20;
    let text = std::fs::read(log)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(LINES)..].join("\n")
}
