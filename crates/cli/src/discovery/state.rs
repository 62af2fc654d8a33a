//! The local stack's state file, `.streamdlq/state.json`, written by
//! `streamdlq local up`: where the emulators listen and what was created.
//!
//! Only what the commands need is read; unknown fields are ignored so that
//! the file can grow without breaking older readers.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use serde::Deserialize;

/// Where `streamdlq local up` writes the state, relative to the project root.
pub const STATE_FILE: &str = ".streamdlq/state.json";

/// The state file version this reader understands.
pub const STATE_VERSION: u32 = 1;

/// The local stack, as `streamdlq local up` left it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalState {
    pub version: u32,
    pub region: String,
    pub endpoints: Endpoints,
    #[serde(default)]
    pub stack_name: Option<String>,
    pub stream: StreamState,
    #[serde(default)]
    pub topic_arn: Option<String>,
    pub dlq_url: String,
    #[serde(default)]
    pub hydrate_failure_queue_url: Option<String>,
    #[serde(default)]
    pub delivery_queue_url: Option<String>,
    #[serde(default)]
    pub processes: Vec<ProcessState>,
    #[serde(default)]
    pub started_at: Option<String>,
}

/// The emulators' endpoint URLs.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Endpoints {
    /// kinesis-local.
    pub kinesis: String,
    /// moto: SNS and SQS.
    pub moto: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StreamState {
    pub name: String,
    pub arn: String,
}

/// One process of the local stack.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ProcessState {
    pub name: String,
    pub pid: u32,
    #[serde(default)]
    pub pgid: Option<u32>,
}

impl LocalState {
    /// Reads and checks a state file.
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the local stack state {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("bad local stack state {}", path.display()))
    }

    /// Parses the JSON text of a state file.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let state: Self = serde_json::from_str(text).context("not a streamdlq state file")?;
        if state.version != STATE_VERSION {
            bail!(
                "version {} is not the version {STATE_VERSION} this streamdlq understands",
                state.version
            );
        }
        Ok(state)
    }

    /// Whether the stack's processes are gone, when that can be told: on
    /// Linux, none of the recorded pids is alive. `false` when unknown.
    pub fn is_stopped(&self) -> bool {
        let proc = Path::new("/proc");
        !self.processes.is_empty()
            && proc.is_dir()
            && self
                .processes
                .iter()
                .all(|process| !proc.join(process.pid.to_string()).exists())
    }
}

/// The first `.streamdlq/state.json` in `start` or its ancestors.
pub fn find_state_file(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join(STATE_FILE))
        .find(|candidate| candidate.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATE: &str = r#"{
      "version": 1,
      "region": "us-east-1",
      "endpoints": {"kinesis": "http://127.0.0.1:4567", "moto": "http://127.0.0.1:5000"},
      "stackName": "streamdlq",
      "stream": {"name": "streamdlq-demo", "arn": "arn:aws:kinesis:us-east-1:000000000000:stream/streamdlq-demo"},
      "topicArn": "arn:aws:sns:us-east-1:000000000000:streamdlq-failures",
      "dlqUrl": "http://127.0.0.1:5000/000000000000/streamdlq-dlq",
      "hydrateFailureQueueUrl": "http://127.0.0.1:5000/000000000000/streamdlq-hydrate-failures",
      "deliveryQueueUrl": "http://127.0.0.1:5000/000000000000/streamdlq-delivery",
      "processes": [{"name": "kinesis-local", "pid": 4294967290, "pgid": 4294967290}],
      "startedAt": "2026-11-23T10:00:00Z",
      "somethingNew": true
    }"#;

    /// The documented shape is read, unknown fields are ignored.
    #[test]
    fn reads_the_documented_shape() {
        let state = LocalState::parse(STATE).expect("state");
        assert_eq!(state.endpoints.kinesis, "http://127.0.0.1:4567");
        assert_eq!(state.stream.name, "streamdlq-demo");
        assert_eq!(
            state.dlq_url,
            "http://127.0.0.1:5000/000000000000/streamdlq-dlq"
        );
        assert_eq!(state.processes[0].name, "kinesis-local");
    }

    /// Another version is refused with both numbers, not half-read.
    #[test]
    fn refuses_another_version() {
        let error = LocalState::parse(&STATE.replace("\"version\": 1", "\"version\": 2"))
            .expect_err("version 2");
        assert_eq!(
            error.to_string(),
            "version 2 is not the version 1 this streamdlq understands"
        );
    }

    /// A state whose processes are all gone is known to be stopped.
    #[test]
    fn tells_a_stopped_stack() {
        let state = LocalState::parse(STATE).expect("state");
        assert_eq!(state.is_stopped(), Path::new("/proc").is_dir());
        let running = LocalState {
            processes: vec![ProcessState {
                name: "self".into(),
                pid: std::process::id(),
                pgid: None,
            }],
            ..state
        };
        assert!(!running.is_stopped());
    }
}
