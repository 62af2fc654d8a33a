//! `moto` in server mode: the SNS and SQS emulator.
//!
//! Moto binds the host it is given, 127.0.0.1. Publishing to a topic with an
//! SQS subscription delivers into the queue inside the same server, so the
//! SNS -> SQS fan-out is real. Moto's own Kinesis is never used: its
//! sequence numbers are "1", "2"… and its iterators never expire.

use std::path::Path;

use aws_config::SdkConfig;

use crate::error::EmulatorError;
use crate::options::EmulatorOptions;
use crate::port::free_loopback_ports;
use crate::process::{EmulatorProcess, Launch};
use crate::sdk::{ACCOUNT_ID, local_sdk_config};

/// The emulator's name in logs and errors.
pub const NAME: &str = "moto";

/// How many times a start is retried when another process takes the port.
const ATTEMPTS: usize = 3;

/// A running moto server.
#[derive(Debug)]
pub struct Moto {
    process: EmulatorProcess,
    endpoint_url: String,
}

impl Moto {
    /// Starts moto on a free loopback port and waits until it answers.
    pub async fn start(options: &EmulatorOptions) -> Result<Self, EmulatorError> {
        let python = options.tools.moto_python()?;
        let mut attempt = 1;
        loop {
            match Self::start_once(options, &python).await {
                Err(error) if error.is_retryable() && attempt < ATTEMPTS => attempt += 1,
                result => return result,
            }
        }
    }

    async fn start_once(options: &EmulatorOptions, python: &Path) -> Result<Self, EmulatorError> {
        let port = free_loopback_ports(1).map_err(|source| EmulatorError::Setup {
            what: format!("a free port for {NAME}"),
            source,
        })?[0];
        let process = EmulatorProcess::start(Launch {
            name: NAME,
            program: python.to_path_buf(),
            args: [
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ]
            .map(Into::into)
            .to_vec(),
            env: vec![
                ("MOTO_ACCOUNT_ID", ACCOUNT_ID.into()),
                ("PYTHONUNBUFFERED", "1".into()),
            ],
            ports: vec![port],
            log_dir: options.log_dir.clone(),
            startup_timeout: options.startup_timeout,
        })
        .await?;
        Ok(Self {
            process,
            endpoint_url: format!("http://127.0.0.1:{port}"),
        })
    }

    /// The endpoint, e.g. `http://127.0.0.1:41235`.
    pub fn endpoint_url(&self) -> &str {
        &self.endpoint_url
    }

    /// SDK configuration for aws-sdk-sns and aws-sdk-sqs clients of this emulator.
    pub fn sdk_config(&self) -> SdkConfig {
        local_sdk_config(&self.endpoint_url)
    }

    /// The process, its port and its log.
    pub fn process(&self) -> &EmulatorProcess {
        &self.process
    }

    /// Stops the emulator and waits until it is gone.
    pub async fn stop(self) -> Result<(), EmulatorError> {
        self.process.stop().await
    }
}
