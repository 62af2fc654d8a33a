//! `streamdlq local status`: processes, endpoints and queue depths.

use clap::Args;
use streamdlq_local::stack::{StackStatus, status};

use super::StateDir;

/// Arguments of `streamdlq local status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print JSON instead of text
    #[arg(long)]
    json: bool,
}

impl StatusArgs {
    pub async fn run(self, dir: &StateDir) -> anyhow::Result<()> {
        let state = dir.load()?;
        let status = status(&state, dir.path()).await;
        if self.json {
            println!("{}", serde_json::to_string_pretty(&status)?);
        } else {
            print!("{}", render(&status));
        }
        Ok(())
    }
}

fn render(status: &StackStatus) -> String {
    let mut out = format!(
        "local stack {} ({}), started {}\n",
        status.stack_name,
        if status.is_healthy() {
            "healthy"
        } else {
            "NOT healthy"
        },
        status.started_at
    );
    out.push_str("processes:\n");
    for process in &status.processes {
        let state = match (process.running, process.pid_reused) {
            (true, _) => "running",
            (false, true) => "gone (pid reused by another process)",
            (false, false) => "gone",
        };
        out.push_str(&format!(
            "  {:<14} pid {:<8} {state}\n",
            process.process.name, process.process.pid
        ));
    }
    out.push_str("endpoints:\n");
    for endpoint in &status.endpoints {
        let state = if endpoint.listening {
            "listening"
        } else {
            "not listening"
        };
        out.push_str(&format!(
            "  {:<14} {:<26} {state}\n",
            endpoint.name, endpoint.url
        ));
    }
    out.push_str("queues (visible / in flight):\n");
    let count = |n: Option<u64>| n.map_or_else(|| "?".to_owned(), |n| n.to_string());
    for queue in &status.queues {
        out.push_str(&format!(
            "  {:<22} {:>4} / {:<4} {}\n",
            queue.name,
            count(queue.visible),
            count(queue.in_flight),
            queue.url
        ));
    }
    out
}
