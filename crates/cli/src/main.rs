//! `streamdlq`: the command line of streamdlq.
//!
//! # Layout
//!
//! - [`local`]: `streamdlq local …`, the whole pipeline on this machine.

mod local;

use std::io::IsTerminal as _;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

/// Make AWS stream consumers lose nothing when they fail.
#[derive(Debug, Parser)]
#[command(name = "streamdlq", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the whole pipeline on this machine, with no AWS account.
    Local(local::LocalArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(&cli);
    let result = match cli.command {
        Command::Local(args) => args.run().await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // `{:#}` prints the whole chain: "what failed: because: because".
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// Logs go to stderr, so that stdout stays for results (`eval "$(streamdlq
/// local up)"`). `RUST_LOG` overrides each command's default level.
fn init_tracing(cli: &Cli) {
    let default = match &cli.command {
        Command::Local(args) => args.default_log_level(),
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
}
