//! The `streamdlq` command: parses the command line, runs one subcommand,
//! prints an error with its whole chain on one line and exits with 2
//! (`audit` exits with 1 when it has findings at or above `--fail-on`).
//!
//! # Layout
//!
//! - [`local`]: `streamdlq local …`, the whole pipeline on this machine.
//! - the other subcommands live in the `streamdlq_cli` library
//!   (`streamdlq_cli::commands`).

mod local;

use std::io::IsTerminal as _;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use streamdlq_cli::commands::audit::AuditArgs;
use streamdlq_cli::commands::delete::DeleteArgs;
use streamdlq_cli::commands::export::ExportArgs;
use streamdlq_cli::commands::hydrate::HydrateArgs;
use streamdlq_cli::commands::move_failures::MoveArgs;
use streamdlq_cli::commands::put_items::PutItemsArgs;
use streamdlq_cli::commands::put_records::PutRecordsArgs;
use streamdlq_cli::commands::read_dlq::ReadDlqArgs;
use streamdlq_cli::commands::replay::ReplayArgs;
use streamdlq_cli::view::style;
use tracing_subscriber::EnvFilter;

/// Lose nothing when Kinesis consumers fail: run the pipeline locally, put
/// test records, inspect the hydrated DLQ, replay failed records into their
/// stream or a function, hydrate a queue of metadata-only OnFailure records.
///
/// Every command finds its stream and queue from flags, environment
/// variables, `--stack NAME` (CloudFormation outputs) or the local stack
/// (`.streamdlq/state.json`).
#[derive(Debug, Parser)]
#[command(name = "streamdlq", version)]
struct Cli {
    /// Show more logs on stderr: -v adds the AWS SDK's warnings and this
    /// tool's progress, -vv everything (RUST_LOG overrides both)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the whole pipeline on this machine, with no AWS account.
    Local(local::LocalArgs),
    PutRecords(PutRecordsArgs),
    PutItems(PutItemsArgs),
    ReadDlq(ReadDlqArgs),
    Replay(ReplayArgs),
    Audit(AuditArgs),
    Delete(DeleteArgs),
    Move(MoveArgs),
    Export(ExportArgs),
    Hydrate(HydrateArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(&cli);
    let result = match cli.command {
        Command::Local(args) => args.run().await.map(|()| ExitCode::SUCCESS),
        Command::PutRecords(args) => args.run().await.map(|()| ExitCode::SUCCESS),
        Command::PutItems(args) => args.run().await.map(|()| ExitCode::SUCCESS),
        Command::ReadDlq(args) => args.run().await.map(|()| ExitCode::SUCCESS),
        Command::Replay(args) => args.run().await.map(|()| ExitCode::SUCCESS),
        Command::Delete(args) => args.run().await.map(|()| ExitCode::SUCCESS),
        Command::Move(args) => args.run().await.map(|()| ExitCode::SUCCESS),
        Command::Export(args) => args.run().await.map(|()| ExitCode::SUCCESS),
        Command::Hydrate(args) => args.run().await.map(|()| ExitCode::SUCCESS),
        // 0 clean, 1 findings at or above --fail-on.
        Command::Audit(args) => args.run().await,
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            // `{:#}` prints the whole chain: "what failed: because: because".
            anstream::eprintln!("{} {error:#}", style::error("error:"));
            ExitCode::from(2)
        }
    }
}

/// Logs go to stderr, so that stdout stays for results (`eval "$(streamdlq
/// local up)"`, `--json`). `RUST_LOG` overrides each command's default:
/// this tool's warnings and the elements the in-process processor takes
/// during `replay --to-function processor`, and nothing of the AWS SDK,
/// whose warnings (a region looked up on EC2 metadata, a retried
/// connection) are kilobytes of internals before the one-line error that
/// says what to do; `-v` brings them back.
fn init_tracing(cli: &Cli) {
    let default = match (&cli.command, cli.verbose) {
        (Command::Local(args), 0) if args.default_log_level() != "warn" => args.default_log_level(),
        (_, 0) => QUIET,
        (_, 1) => VERBOSE,
        _ => "debug",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
}

/// Default logs: this tool's warnings, the in-process processor's elements.
const QUIET: &str = "off,streamdlq=warn,streamdlq_cli=warn,streamdlq_core=warn,streamdlq_local=warn,\
                     processor=info,hydrate=warn";

/// `-v`: every warning, the SDK's included, and this tool's progress.
const VERBOSE: &str = "warn,streamdlq=info,streamdlq_cli=info,streamdlq_local=info,processor=info";
