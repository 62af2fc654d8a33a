//! `kinesis-local`: the Kinesis emulator, pinned to loopback.
//!
//! The package hardcodes its listen address to 0.0.0.0 for both its plain
//! HTTP and TLS ports. It is not edited: `node --require` loads
//! `assets/loopback-preload.js` first, which rewrites the host of every
//! `listen` call to 127.0.0.1 (see the test `emulators_listen_on_loopback_only`).
//!
//! Settings, all by environment variable:
//! - both ports are free loopback ports (the TLS one is unused but must not
//!   clash with another instance);
//! - stream and shard state changes (`CREATE_STREAM_DURATION` and friends)
//!   take no time instead of 500 ms, so tests do not wait for `ACTIVE`;
//! - shard iterators keep the real 5-minute expiry, which the package hard
//!   codes, so iterator-refresh code meets the real contract;
//! - nothing is persisted or loaded from disk.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use aws_config::SdkConfig;

use crate::error::EmulatorError;
use crate::options::EmulatorOptions;
use crate::port::free_loopback_ports;
use crate::process::{EmulatorProcess, Launch};
use crate::sdk::{ACCOUNT_ID, REGION, local_sdk_config};

/// The emulator's name in logs and errors.
pub const NAME: &str = "kinesis-local";

/// How many times a start is retried when another process takes a port.
const ATTEMPTS: usize = 3;

/// The Node preload that pins every server to 127.0.0.1.
const LOOPBACK_PRELOAD: &str = include_str!("../assets/loopback-preload.js");

/// Operations that kinesis-local delays to mimic AWS; zero keeps tests fast.
const INSTANT_OPERATIONS: [&str; 10] = [
    "CREATE_STREAM_DURATION",
    "DELETE_STREAM_DURATION",
    "REGISTER_STREAM_CONSUMER_DURATION",
    "DEREGISTER_STREAM_CONSUMER_DURATION",
    "START_STREAM_ENCRYPTION_DURATION",
    "STOP_STREAM_ENCRYPTION_DURATION",
    "MERGE_SHARDS_DURATION",
    "SPLIT_SHARD_DURATION",
    "UPDATE_SHARD_COUNT_DURATION",
    "UPDATE_STREAM_MODE_DURATION",
];

/// A running kinesis-local.
#[derive(Debug)]
pub struct KinesisLocal {
    process: EmulatorProcess,
    endpoint_url: String,
}

impl KinesisLocal {
    /// Starts kinesis-local on free loopback ports and waits until it answers.
    pub async fn start(options: &EmulatorOptions) -> Result<Self, EmulatorError> {
        let package = options.tools.kinesis_local_package()?;
        let preload = write_preload(options.tools.path())?;
        let mut attempt = 1;
        loop {
            match Self::start_once(options, &package, &preload).await {
                Err(error) if error.is_retryable() && attempt < ATTEMPTS => attempt += 1,
                result => return result,
            }
        }
    }

    async fn start_once(
        options: &EmulatorOptions,
        package: &Path,
        preload: &Path,
    ) -> Result<Self, EmulatorError> {
        let ports = free_loopback_ports(2).map_err(|source| EmulatorError::Setup {
            what: format!("free ports for {NAME}"),
            source,
        })?;
        let (plain, tls) = (ports[0], ports[1]);
        let mut env: Vec<(&'static str, OsString)> = vec![
            ("KINESIS_MOCK_PLAIN_PORT", plain.to_string().into()),
            ("KINESIS_MOCK_TLS_PORT", tls.to_string().into()),
            // Read relative to the working directory unless absolute.
            (
                "KINESIS_MOCK_CERT_PATH",
                package.join("server.json").into_os_string(),
            ),
            ("AWS_REGION", REGION.into()),
            ("AWS_ACCOUNT_ID", ACCOUNT_ID.into()),
            ("SHOULD_PERSIST_DATA", "false".into()),
            ("LOAD_DATA_IF_EXISTS", "false".into()),
        ];
        env.extend(INSTANT_OPERATIONS.map(|name| (name, OsString::from("0ms"))));
        let process = EmulatorProcess::start(Launch {
            name: NAME,
            program: PathBuf::from("node"),
            args: vec![
                "--require".into(),
                preload.as_os_str().to_owned(),
                package.join("main.js").into_os_string(),
            ],
            env,
            ports,
            log_dir: options.log_dir.clone(),
            startup_timeout: options.startup_timeout,
        })
        .await?;
        Ok(Self {
            process,
            endpoint_url: format!("http://127.0.0.1:{plain}"),
        })
    }

    /// The plain-HTTP endpoint, e.g. `http://127.0.0.1:41234`.
    pub fn endpoint_url(&self) -> &str {
        &self.endpoint_url
    }

    /// SDK configuration for aws-sdk-kinesis clients of this emulator.
    pub fn sdk_config(&self) -> SdkConfig {
        local_sdk_config(&self.endpoint_url)
    }

    /// The process, its ports (plain first, then TLS) and its log.
    pub fn process(&self) -> &EmulatorProcess {
        &self.process
    }

    /// Stops the emulator and waits until it is gone.
    pub async fn stop(self) -> Result<(), EmulatorError> {
        self.process.stop().await
    }
}

/// Writes the preload next to the installed package, replacing it atomically
/// only when its content changed, so concurrent starts never read half a file.
fn write_preload(tools: &Path) -> Result<PathBuf, EmulatorError> {
    let path = tools.join("npm/streamdlq-loopback-preload.js");
    if std::fs::read(&path).is_ok_and(|current| current == LOOPBACK_PRELOAD.as_bytes()) {
        return Ok(path);
    }
    let staging = path.with_extension(format!("js.{}", std::process::id()));
    std::fs::write(&staging, LOOPBACK_PRELOAD)
        .and_then(|()| std::fs::rename(&staging, &path))
        .map_err(|source| EmulatorError::Setup {
            what: format!("the loopback preload {}", path.display()),
            source,
        })?;
    Ok(path)
}
