//! streamdlq-emulators: the AWS emulators that the local stack and the
//! tests run against, `kinesis-local` for Kinesis and `moto` for SNS and
//! SQS, each a child process bound to 127.0.0.1 on a free port.
//!
//! This crate depends on no other crate of the workspace, so that any crate's
//! tests and benchmarks can start the emulators without depending on a crate
//! above their own (`streamdlq-local` builds the stack on top of it).
//!
//! ```no_run
//! # async fn demo() -> Result<(), streamdlq_emulators::EmulatorError> {
//! use streamdlq_emulators::Emulators;
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
//! - [`options`]: [`EmulatorOptions`], where the emulators come from, where
//!   their logs go, how long they may take to start.
//! - [`port`]: free loopback ports.
//! - [`process`]: [`EmulatorProcess`], one emulator's process group, log file,
//!   readiness and shutdown, and its watchdog.
//! - [`ready`]: the probes that tell when an emulator answers HTTP or
//!   accepts TCP.
//! - [`kinesis`]: [`KinesisLocal`], pinned to loopback by a Node preload
//!   (`assets/loopback-preload.js`).
//! - [`moto`]: [`Moto`], serving SNS and SQS.
//! - [`sdk`]: region, account, test credentials and [`local_sdk_config`], the
//!   `SdkConfig` that points AWS SDK clients at an emulator.
//! - [`invoke_server`]: [`invoke_server::InvokeServer`], a loopback Lambda
//!   Invoke API with a canned answer, for tests.
//! - [`error`]: [`EmulatorError`], what can go wrong and whether to retry.

pub mod error;
pub mod invoke_server;
pub mod kinesis;
pub mod moto;
pub mod options;
pub mod port;
pub mod process;
pub mod ready;
pub mod sdk;
pub mod tools;

use aws_config::SdkConfig;
use tokio::sync::OnceCell;

pub use error::EmulatorError;
pub use kinesis::KinesisLocal;
pub use moto::Moto;
pub use options::EmulatorOptions;
pub use process::EmulatorProcess;
pub use sdk::local_sdk_config;
pub use tools::ToolsDir;

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
