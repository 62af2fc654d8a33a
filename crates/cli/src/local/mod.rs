//! `streamdlq local`: the local stack. `up` starts a detached `serve`
//! process that owns the emulators, the resources and the pipeline, and
//! writes `.streamdlq/state.json` when everything is ready; the other
//! commands read that file.
//!
//! - `up.rs`: start (or report) the stack, print the shell environment.
//! - `serve.rs`: the long-running owner of the stack (hidden).
//! - `down.rs`: stop exactly what `up` started.
//! - `status.rs`, `env.rs`: look at a running stack.
//! - `invoke.rs`: one in-process invocation with an event file.

mod down;
mod env;
mod invoke;
mod serve;
mod status;
mod up;

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Subcommand};
use streamdlq_local::LocalState;
use streamdlq_local::state::{STATE_DIR_ENV, STATE_FILE};

/// Arguments of `streamdlq local`.
#[derive(Debug, Args)]
pub struct LocalArgs {
    /// Where the stack keeps its state and logs [default: .streamdlq in the project root]
    #[arg(long, global = true, env = STATE_DIR_ENV, value_name = "DIR")]
    state_dir: Option<PathBuf>,

    #[command(subcommand)]
    command: LocalCommand,
}

#[derive(Debug, Subcommand)]
enum LocalCommand {
    /// Start the emulators, the template's resources and the pipeline, and
    /// print `export` lines for the shell (`eval "$(streamdlq local up)"`).
    Up(up::UpArgs),
    /// Print the `export` lines of the running stack again.
    Env(env::EnvArgs),
    /// Show the stack's processes, endpoints and queue depths.
    Status(status::StatusArgs),
    /// Stop everything `up` started.
    Down(down::DownArgs),
    /// Invoke a function once with an event file and print its response.
    Invoke(invoke::InvokeArgs),
    /// Own the stack until SIGTERM (started by `up`).
    #[command(hide = true)]
    Serve(serve::ServeArgs),
}

impl LocalArgs {
    pub async fn run(self) -> anyhow::Result<()> {
        let dir = StateDir::new(self.state_dir)?;
        match self.command {
            LocalCommand::Up(args) => args.run(&dir).await,
            LocalCommand::Env(args) => args.run(&dir),
            LocalCommand::Status(args) => args.run(&dir).await,
            LocalCommand::Down(args) => args.run(&dir).await,
            LocalCommand::Invoke(args) => args.run(&dir).await,
            LocalCommand::Serve(args) => args.run(&dir).await,
        }
    }

    /// The serving process logs what it does; other commands only problems.
    pub fn default_log_level(&self) -> &'static str {
        match self.command {
            LocalCommand::Serve(_) | LocalCommand::Invoke(_) => "info",
            _ => "warn",
        }
    }
}

/// The state directory, absolute: `serve` is recognised by it in its command
/// line, so every command must spell it the same way.
#[derive(Debug, Clone)]
pub struct StateDir {
    path: PathBuf,
}

impl StateDir {
    fn new(explicit: Option<PathBuf>) -> anyhow::Result<Self> {
        let path = explicit.unwrap_or_else(LocalState::dir);
        let path = if path.is_absolute() {
            path
        } else {
            std::env::current_dir()
                .context("could not read the current directory")?
                .join(path)
        };
        // Canonical when it exists; `up` creates it and canonicalises again.
        let path = path.canonicalize().unwrap_or(path);
        Ok(Self { path })
    }

    fn path(&self) -> &Path {
        &self.path
    }

    fn state_file(&self) -> PathBuf {
        self.path.join(STATE_FILE)
    }

    /// Where the emulators write their logs.
    fn logs(&self) -> PathBuf {
        self.path.join("logs")
    }

    /// The serving process's stdout and stderr.
    fn serve_log(&self) -> PathBuf {
        self.path.join("serve.log")
    }

    fn load_state(&self) -> Result<LocalState, streamdlq_local::StateError> {
        LocalState::load_from(&self.state_file())
    }

    /// The state of the running stack, or an error that says how to start one.
    fn load(&self) -> anyhow::Result<LocalState> {
        Ok(self.load_state()?)
    }
}
