//! The AWS emulators of the local stack: `kinesis-local` for Kinesis and
//! `moto` for SNS and SQS, each a child process bound to 127.0.0.1.
//!
//! ```no_run
//! # async fn demo() -> Result<(), streamdlq_local::EmulatorError> {
//! use streamdlq_local::Emulators;
//!
//! let emulators = Emulators::start().await?;
//! let kinesis_config = emulators.kinesis_config(); // for aws-sdk-kinesis
//! let moto_config = emulators.moto_config(); // for aws-sdk-sns and aws-sdk-sqs
//! emulators.stop().await?;
//! # Ok(()) }
//! ```
//!
//! # Lifetime
//!
//! Every emulator runs in its own process group together with a small
//! watchdog (see [`process`]) that kills the whole group as soon as this
//! process lets go of it: on [`Emulators::stop`], on `Drop`, and when this
//! process exits or is killed without running any destructor. That is what
//! makes [`Emulators::shared`] safe: a `static` is never dropped, yet its
//! emulators die with the test binary.
//!
//! # Layout
//!
//! - [`tools`]: [`ToolsDir`], where `scripts/install-tools.sh` put the emulators.
//! - [`port`]: free loopback ports.
//! - [`process`]: [`EmulatorProcess`], one emulator's process group, log file,
//!   readiness and shutdown.
//! - [`ready`]: the probe that tells when an emulator answers HTTP.
//! - [`kinesis`]: [`KinesisLocal`], pinned to loopback by a Node preload.
//! - [`moto`]: [`Moto`], serving SNS and SQS.
//! - [`sdk`]: region, test credentials and [`sdk::local_sdk_config`].
//! - [`error`]: [`EmulatorError`], what can go wrong and whether to retry.

pub mod error;
pub mod kinesis;
pub mod moto;
pub mod port;
pub mod process;
pub mod ready;
pub mod sdk;
pub mod tools;

use std::path::PathBuf;
use std::time::Duration;

use aws_config::SdkConfig;
use tokio::sync::OnceCell;

pub use error::EmulatorError;
pub use kinesis::KinesisLocal;
pub use moto::Moto;
pub use process::EmulatorProcess;
pub use tools::ToolsDir;

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

/// Both emulators of the local stack, started together.
#[derive(Debug)]
pub struct Emulators {
    kinesis: KinesisLocal,
    moto: Moto,
}

static SHARED: OnceCell<Emulators> = OnceCell::const_new();

impl Emulators {
    /// Starts both emulators with [`EmulatorOptions::from_env`].
    pub async fn start() -> Result<Self, EmulatorError> {
        Self::start_with(&EmulatorOptions::from_env()?).await
    }

    /// Starts both emulators concurrently; if one fails the other is stopped.
    pub async fn start_with(options: &EmulatorOptions) -> Result<Self, EmulatorError> {
        let (kinesis, moto) = tokio::join!(KinesisLocal::start(options), Moto::start(options));
        // Whichever started is dropped (and so stopped) on the error path.
        Ok(Self {
            kinesis: kinesis?,
            moto: moto?,
        })
    }

    /// One pair of emulators for the whole process, started on first use.
    ///
    /// Meant for test binaries: every test shares the processes and builds
    /// its own SDK clients from [`Self::kinesis_config`] and
    /// [`Self::moto_config`] (an SDK client is bound to the Tokio runtime it
    /// first ran on, and `#[tokio::test]` gives each test its own runtime).
    /// The instance is never dropped; its watchdogs kill the emulators when
    /// the process exits, however it exits. Tests sharing it must use unique
    /// resource names.
    pub async fn shared() -> Result<&'static Self, EmulatorError> {
        SHARED.get_or_try_init(Self::start).await
    }

    /// The Kinesis emulator.
    pub fn kinesis(&self) -> &KinesisLocal {
        &self.kinesis
    }

    /// The SNS and SQS emulator.
    pub fn moto(&self) -> &Moto {
        &self.moto
    }

    /// SDK configuration for aws-sdk-kinesis clients.
    pub fn kinesis_config(&self) -> SdkConfig {
        self.kinesis.sdk_config()
    }

    /// SDK configuration for aws-sdk-sns and aws-sdk-sqs clients.
    pub fn moto_config(&self) -> SdkConfig {
        self.moto.sdk_config()
    }

    /// Stops both emulators and waits until their processes are gone.
    pub async fn stop(self) -> Result<(), EmulatorError> {
        let (kinesis, moto) = tokio::join!(self.kinesis.stop(), self.moto.stop());
        kinesis.and(moto)
    }
}
