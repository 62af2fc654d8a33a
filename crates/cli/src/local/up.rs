//! `streamdlq local up`: starts the stack in a detached process and waits
//! until it is ready.
//!
//! The emulators die with the process that started them (their watchdogs),
//! so they cannot belong to this short-lived command. `up` starts
//! `streamdlq local serve` in its own process group, with its output in
//! `<state dir>/serve.log`, and waits until it has written the state file.

use std::fs::File;
use std::os::fd::AsFd as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::Args;
use streamdlq_emulators::ToolsDir;
use streamdlq_local::stack::{DEFAULT_STACK_NAME, stop_processes};
use streamdlq_local::state::{Liveness, liveness};
use streamdlq_local::{LocalState, StackTemplate, StateError, project};

use super::StateDir;

/// How often the state file is looked for.
const POLL: Duration = Duration::from_millis(50);

/// Lines of the serve log shown when start-up fails.
const LOG_TAIL_LINES: usize = 30;

/// Arguments of `streamdlq local up`.
#[derive(Debug, Args)]
pub struct UpArgs {
    /// The SAM template to read [default: infra/template.yaml in the project root]
    #[arg(long, value_name = "PATH")]
    template: Option<PathBuf>,

    /// The prefix of every resource name
    #[arg(long, default_value = DEFAULT_STACK_NAME)]
    stack_name: String,

    /// Drive this function instead of the in-process processor: any endpoint
    /// of the Lambda Invoke API (`cargo lambda watch`, `sam local start-lambda`)
    #[arg(long, value_name = "URL")]
    processor_endpoint: Option<String>,

    /// The function name to invoke at --processor-endpoint (`sam local
    /// start-lambda` knows the logical id, `cargo lambda watch` the binary name)
    #[arg(
        long,
        value_name = "NAME",
        default_value = "ProcessorFunction",
        requires = "processor_endpoint"
    )]
    processor_function: String,

    /// Seconds to wait for the stack to be ready
    #[arg(long, default_value_t = 120, value_name = "SECONDS")]
    timeout: u64,
}

impl UpArgs {
    pub async fn run(self, dir: &StateDir) -> anyhow::Result<()> {
        if let Some(state) = running_stack(dir).await? {
            eprintln!(
                "the local stack {} is already running since {} (pid {}); `streamdlq local down` stops it",
                state.stack_name,
                state.started_at,
                state.owner().map_or(0, |owner| owner.pid),
            );
            print!("{}", state.export_lines());
            return Ok(());
        }
        let root = project::project_root();
        let template = self
            .template
            .clone()
            .unwrap_or_else(|| root.join(project::TEMPLATE_PATH));
        let template = template.canonicalize().with_context(|| {
            format!(
                "no template at {}: pass --template or run from the project's checkout",
                template.display()
            )
        })?;
        // Read here, before anything starts, so that a setting AWS would
        // refuse is reported on this terminal, not in the stack's log.
        StackTemplate::load(&template)
            .with_context(|| format!("cannot run the stack of {}", template.display()))?;
        ensure_emulators(&root)?;

        std::fs::create_dir_all(dir.path())
            .with_context(|| format!("could not create {}", dir.path().display()))?;
        let dir = StateDir::new(Some(dir.path().to_path_buf()))?;
        let started = Instant::now();
        let mut serve = spawn_serve(&dir, &root, &template, &self)?;
        let state = wait_ready(&dir, &mut serve, Duration::from_secs(self.timeout)).await?;

        eprintln!(
            "local stack {} is up in {:.1}s: kinesis-local {}, moto {}; logs in {}; `streamdlq local down` stops it",
            state.stack_name,
            started.elapsed().as_secs_f64(),
            state.endpoints.kinesis,
            state.endpoints.moto,
            dir.path().display(),
        );
        print!("{}", state.export_lines());
        Ok(())
    }
}

/// The running stack of this state dir, if any. A state whose owner is gone
/// is cleaned up (anything of it still running is stopped) and forgotten.
async fn running_stack(dir: &StateDir) -> anyhow::Result<Option<LocalState>> {
    let state = match dir.load_state() {
        Ok(state) => state,
        Err(StateError::NotRunning { .. }) => return Ok(None),
        Err(error) => return Err(error.into()),
    };
    let owner_runs = state
        .owner()
        .is_some_and(|owner| liveness(owner, &state, dir.path()) == Liveness::Running);
    if owner_runs {
        return Ok(Some(state));
    }
    eprintln!("the previous local stack is no longer running; cleaning up its state");
    stop_processes(&state, dir.path(), Duration::from_secs(5)).await;
    LocalState::remove_at(&dir.state_file())?;
    Ok(None)
}

/// Installs the emulators with `scripts/install-tools.sh` unless they are
/// there (the same pinned installs as the test command).
fn ensure_emulators(root: &Path) -> anyhow::Result<()> {
    let installed = ToolsDir::locate().and_then(|tools| {
        tools.kinesis_local_package()?;
        tools.moto_python()
    });
    if installed.is_ok() {
        return Ok(());
    }
    let script = root.join("scripts/install-tools.sh");
    if !script.is_file() {
        bail!(
            "the emulators are not installed and {} is missing: run `streamdlq local up` from the project's checkout",
            script.display()
        );
    }
    eprintln!("installing the emulators (scripts/install-tools.sh)…");
    // The installer's output goes to stderr: stdout carries only the exports.
    let stderr = std::io::stderr().as_fd().try_clone_to_owned()?;
    let status = Command::new(&script)
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(Stdio::from(stderr))
        .status()
        .with_context(|| format!("could not run {}", script.display()))?;
    if !status.success() {
        bail!(
            "{} failed ({status}); see its output above",
            script.display()
        );
    }
    Ok(())
}

fn spawn_serve(
    dir: &StateDir,
    root: &Path,
    template: &Path,
    args: &UpArgs,
) -> anyhow::Result<Child> {
    let log_path = dir.serve_log();
    let log = File::create(&log_path)
        .with_context(|| format!("could not create {}", log_path.display()))?;
    let errors = log.try_clone()?;
    let program = std::env::current_exe().context("could not find the streamdlq executable")?;
    let mut command = Command::new(program);
    command
        .arg("local")
        .arg("--state-dir")
        .arg(dir.path())
        .arg("serve")
        .arg("--template")
        .arg(template)
        .arg("--stack-name")
        .arg(&args.stack_name);
    if let Some(endpoint) = &args.processor_endpoint {
        command
            .arg("--processor-endpoint")
            .arg(endpoint)
            .arg("--processor-function")
            .arg(&args.processor_function);
    }
    command
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(errors)
        // Its own group: a Ctrl-C in this terminal does not reach it, and
        // `down` stops the whole group.
        .process_group(0)
        .spawn()
        .context("could not start the local stack process")
}

/// Waits until `serve` wrote its state, or fails with the end of its log.
async fn wait_ready(
    dir: &StateDir,
    serve: &mut Child,
    timeout: Duration,
) -> anyhow::Result<LocalState> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(state) = dir.load_state()
            && state.owner().is_some_and(|owner| owner.pid == serve.id())
        {
            return Ok(state);
        }
        if let Some(status) = serve.try_wait()? {
            bail!(
                "the local stack did not start ({status}); {}:\n{}",
                dir.serve_log().display(),
                log_tail(&dir.serve_log())
            );
        }
        if Instant::now() >= deadline {
            let _ = serve.kill();
            let _ = serve.wait();
            bail!(
                "the local stack was not ready within {timeout:?} (pass --timeout to wait longer); {}:\n{}",
                dir.serve_log().display(),
                log_tail(&dir.serve_log())
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

fn log_tail(path: &Path) -> String {
    let text = std::fs::read(path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n")
}
