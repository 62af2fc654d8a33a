//! The `streamdlq` command: parses the command line, runs one subcommand,
//! prints an error with its whole chain on one line and exits with 2.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use streamdlq_cli::commands::put_records::PutRecordsArgs;
use streamdlq_cli::commands::read_dlq::ReadDlqArgs;
use streamdlq_cli::commands::replay::ReplayArgs;
use tracing_subscriber::EnvFilter;

/// Lose nothing when Kinesis consumers fail: put test records, inspect the
/// hydrated DLQ, replay failed records into their stream or a function.
///
/// Every command finds its stream and queue from flags, environment
/// variables, `--stack NAME` (CloudFormation outputs) or the local stack
/// (`.streamdlq/state.json`).
#[derive(Debug, Parser)]
#[command(name = "streamdlq", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    PutRecords(PutRecordsArgs),
    ReadDlq(ReadDlqArgs),
    Replay(ReplayArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let result = match cli.command {
        Command::PutRecords(args) => args.run().await,
        Command::ReadDlq(args) => args.run().await,
        Command::Replay(args) => args.run().await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// Logs to stderr: warnings, and the elements the in-process processor
/// takes during `replay --to-function processor`; `RUST_LOG` overrides.
fn init_tracing() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn,processor=info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}
