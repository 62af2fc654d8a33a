//! The state of a running local stack, `.streamdlq/state.json`: what
//! `streamdlq local up` started, so that every other command finds the
//! endpoints, names and URLs, and `local down` stops exactly those processes.
//!
//! The JSON is camelCase and versioned; other commands read it, so a change
//! of shape is a new `version`. Fields it does not know are ignored, so that
//! the file can grow within a version. [`LocalState`] is the file's only
//! reader and writer: `local up/down/status/env` and every command that
//! discovers its resources from the local stack use it.
//!
//! # Layout
//!
//! - this module: [`LocalState`], where the file is, reading and writing it,
//!   the exports and SDK configurations it gives.
//! - [`liveness`](mod@liveness): whether a process it names still runs and is
//!   still the stack's (the reused-pid guard), and so whether the stack runs.

pub mod liveness;

use std::path::{Path, PathBuf};

use aws_config::{Region, SdkConfig};
use serde::{Deserialize, Serialize};

use crate::project::project_root;
use streamdlq_emulators::local_sdk_config;
use streamdlq_emulators::sdk::{ACCESS_KEY_ID, SECRET_ACCESS_KEY};

pub use liveness::{Liveness, SERVE, liveness, port_of};

/// The only version this code reads and writes.
pub const STATE_VERSION: u32 = 1;

/// Overrides the state directory (tests use a temporary one).
pub const STATE_DIR_ENV: &str = "STREAMDLQ_STATE_DIR";

/// The state file's name inside the state directory.
pub const STATE_FILE: &str = "state.json";

/// A running local stack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalState {
    /// Always [`STATE_VERSION`].
    pub version: u32,
    pub region: String,
    pub endpoints: Endpoints,
    pub stack_name: String,
    pub stream: StreamState,
    pub topic_arn: String,
    pub dlq_url: String,
    pub hydrate_failure_queue_url: String,
    /// The queue subscribed to the topic that feeds the hydrate function.
    pub delivery_queue_url: String,
    /// Every process `up` started, the stack's own process first.
    pub processes: Vec<ProcessEntry>,
    /// When the stack became ready, ISO-8601 UTC.
    pub started_at: String,
    /// The demo table and its stream, when the template has one (absent
    /// from the state of a stack without a table).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<TableState>,
}

/// The table's name and its stream's ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TableState {
    pub name: String,
    pub stream_arn: String,
}

/// Where the emulators answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    /// kinesis-local, e.g. `http://127.0.0.1:41234`.
    pub kinesis: String,
    /// moto (SNS and SQS).
    pub moto: String,
}

/// The stream's name and ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamState {
    pub name: String,
    pub arn: String,
}

/// One process of the stack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessEntry {
    /// `serve`, `kinesis-local` or `moto`.
    pub name: String,
    pub pid: u32,
    /// The process group that is signalled to stop it.
    pub pgid: u32,
}

/// Reading or writing the state failed.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// No stack is running here.
    #[error("no local stack is running (no {}): run `streamdlq local up`", .path.display())]
    NotRunning { path: PathBuf },

    #[error("could not read {}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{} is not a local stack state file; remove it and run `streamdlq local up`", .path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },

    #[error("{} has state version {found}, this streamdlq reads version {STATE_VERSION}; run `streamdlq local down` with the streamdlq that started it", .path.display())]
    UnsupportedVersion { path: PathBuf, found: u32 },

    #[error("could not write {}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl LocalState {
    /// The state directory: `$STREAMDLQ_STATE_DIR`, else `.streamdlq` under
    /// the project root (see [`project_root`]).
    pub fn dir() -> PathBuf {
        std::env::var_os(STATE_DIR_ENV)
            .map(PathBuf::from)
            .unwrap_or_else(|| project_root().join(".streamdlq"))
    }

    /// `state.json` in [`Self::dir`].
    pub fn path() -> PathBuf {
        Self::dir().join(STATE_FILE)
    }

    /// The first `.streamdlq/state.json` in `start` or its ancestors: how a
    /// command run anywhere inside the project finds the stack.
    pub fn find_from(start: &Path) -> Option<PathBuf> {
        start
            .ancestors()
            .map(|dir| dir.join(".streamdlq").join(STATE_FILE))
            .find(|candidate| candidate.is_file())
    }

    /// The running stack's state; [`StateError::NotRunning`] when there is none.
    pub fn load() -> Result<Self, StateError> {
        Self::load_from(&Self::path())
    }

    /// Reads a state file.
    pub fn load_from(path: &Path) -> Result<Self, StateError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(StateError::NotRunning {
                    path: path.to_path_buf(),
                });
            }
            Err(source) => {
                return Err(StateError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        // The version is checked before the shape, so that a newer file says
        // so instead of failing on a field it renamed.
        #[derive(Deserialize)]
        struct Versioned {
            version: u32,
        }
        let parse = |source| StateError::Parse {
            path: path.to_path_buf(),
            source,
        };
        let Versioned { version } = serde_json::from_str(&text).map_err(parse)?;
        if version != STATE_VERSION {
            return Err(StateError::UnsupportedVersion {
                path: path.to_path_buf(),
                found: version,
            });
        }
        serde_json::from_str(&text).map_err(parse)
    }

    /// Writes the state to [`Self::path`].
    pub fn save(&self) -> Result<(), StateError> {
        self.save_to(&Self::path())
    }

    /// Writes the state atomically (a temporary file renamed over the old
    /// one), so a reader never sees half a file.
    pub fn save_to(&self, path: &Path) -> Result<(), StateError> {
        let write = |source| StateError::Write {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(write)?;
        }
        let mut text = serde_json::to_string_pretty(self)
            .map_err(std::io::Error::other)
            .map_err(write)?;
        text.push('\n');
        let staging = path.with_extension(format!("json.{}", std::process::id()));
        std::fs::write(&staging, text)
            .and_then(|()| std::fs::rename(&staging, path))
            .map_err(write)
    }

    /// Removes a state file; a missing one is not an error.
    pub fn remove_at(path: &Path) -> Result<(), StateError> {
        match std::fs::remove_file(path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(StateError::Write {
                path: path.to_path_buf(),
                source: error,
            }),
            _ => Ok(()),
        }
    }

    /// The shell environment that points AWS SDKs and CLIs, and streamdlq's
    /// own commands, at this stack.
    pub fn exports(&self) -> Vec<(&'static str, String)> {
        let mut exports = vec![
            ("AWS_ENDPOINT_URL", self.endpoints.moto.clone()),
            ("AWS_ENDPOINT_URL_KINESIS", self.endpoints.kinesis.clone()),
            ("AWS_REGION", self.region.clone()),
            // The AWS CLI and boto3 read this one, not AWS_REGION.
            ("AWS_DEFAULT_REGION", self.region.clone()),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY.to_owned()),
            ("STREAMDLQ_STREAM_NAME", self.stream.name.clone()),
            ("STREAMDLQ_STREAM_ARN", self.stream.arn.clone()),
            ("STREAMDLQ_TOPIC_ARN", self.topic_arn.clone()),
            ("STREAMDLQ_DLQ_URL", self.dlq_url.clone()),
            (
                "STREAMDLQ_HYDRATE_FAILURE_QUEUE_URL",
                self.hydrate_failure_queue_url.clone(),
            ),
        ];
        if let Some(table) = &self.table {
            exports.push(("STREAMDLQ_TABLE_NAME", table.name.clone()));
            exports.push(("STREAMDLQ_TABLE_STREAM_ARN", table.stream_arn.clone()));
        }
        exports
    }

    /// [`Self::exports`] as `export NAME='value'` lines for a POSIX shell.
    pub fn export_lines(&self) -> String {
        self.exports()
            .iter()
            .map(|(name, value)| format!("export {name}={}\n", shell_quote(value)))
            .collect()
    }

    /// SDK configuration for aws-sdk-kinesis clients of this stack.
    pub fn kinesis_config(&self) -> SdkConfig {
        self.sdk_config(&self.endpoints.kinesis)
    }

    /// SDK configuration for aws-sdk-sns and aws-sdk-sqs clients of this stack.
    pub fn moto_config(&self) -> SdkConfig {
        self.sdk_config(&self.endpoints.moto)
    }

    fn sdk_config(&self, endpoint: &str) -> SdkConfig {
        local_sdk_config(endpoint)
            .to_builder()
            .region(Region::new(self.region.clone()))
            .build()
    }

    /// The process that owns the stack (`serve`).
    pub fn owner(&self) -> Option<&ProcessEntry> {
        self.processes.first()
    }

    /// Whether the stack whose state file is in `state_dir` still runs: at
    /// least one of its processes is running and is still the stack's own
    /// (see [`liveness()`]). A state whose pids are all gone, or now belong
    /// to other processes, describes a stack that died without cleaning up.
    pub fn is_running(&self, state_dir: &Path) -> bool {
        self.processes
            .iter()
            .any(|process| liveness(process, self, state_dir) == Liveness::Running)
    }
}

/// Single quotes, with any `'` closed, escaped and reopened.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> LocalState {
        LocalState {
            version: STATE_VERSION,
            region: "us-east-1".to_owned(),
            endpoints: Endpoints {
                kinesis: "http://127.0.0.1:4001".to_owned(),
                moto: "http://127.0.0.1:4002".to_owned(),
            },
            stack_name: "streamdlq".to_owned(),
            stream: StreamState {
                name: "streamdlq-Stream".to_owned(),
                arn: "arn:aws:kinesis:us-east-1:000000000000:stream/streamdlq-Stream".to_owned(),
            },
            topic_arn: "arn:aws:sns:us-east-1:000000000000:streamdlq-FailureTopic".to_owned(),
            dlq_url: "http://127.0.0.1:4002/000000000000/streamdlq-DeadLetterQueue".to_owned(),
            hydrate_failure_queue_url:
                "http://127.0.0.1:4002/000000000000/streamdlq-HydrateFailureQueue".to_owned(),
            delivery_queue_url: "http://127.0.0.1:4002/000000000000/streamdlq-HydrateDelivery"
                .to_owned(),
            processes: vec![ProcessEntry {
                name: "serve".to_owned(),
                pid: 10,
                pgid: 10,
            }],
            started_at: "2025-01-01T00:00:00.000Z".to_owned(),
            table: None,
        }
    }

    fn temp_path(name: &str) -> PathBuf {
        std::env::temp_dir()
            .join(format!(
                "streamdlq-state-test-{}-{name}",
                std::process::id()
            ))
            .join(STATE_FILE)
    }

    /// The file has exactly the camelCase shape other commands read.
    #[test]
    fn serialises_the_documented_camel_case_shape() {
        let value = serde_json::to_value(sample()).expect("serialises");
        // Sorted: serde_json may keep insertion order or sort, by feature.
        let mut keys: Vec<&str> = value
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        let mut expected = [
            "version",
            "region",
            "endpoints",
            "stackName",
            "stream",
            "topicArn",
            "dlqUrl",
            "hydrateFailureQueueUrl",
            "deliveryQueueUrl",
            "processes",
            "startedAt",
        ];
        expected.sort_unstable();
        assert_eq!(keys, expected);
        assert_eq!(value["endpoints"]["kinesis"], "http://127.0.0.1:4001");
        assert_eq!(value["stream"]["arn"], sample().stream.arn);
        assert_eq!(value["processes"][0]["pgid"], 10);
    }

    /// What is saved is loaded back unchanged.
    #[test]
    fn round_trips_through_the_file() {
        let path = temp_path("round-trip");
        sample().save_to(&path).expect("saves");
        assert_eq!(LocalState::load_from(&path).expect("loads"), sample());
        LocalState::remove_at(&path).expect("removes");
        LocalState::remove_at(&path).expect("removing twice is fine");
    }

    /// No file means no stack, with the command that starts one.
    #[test]
    fn missing_file_says_how_to_start_a_stack() {
        let error = LocalState::load_from(&temp_path("missing")).expect_err("missing");
        assert!(matches!(error, StateError::NotRunning { .. }));
        assert!(error.to_string().contains("streamdlq local up"), "{error}");
    }

    /// Another version is refused by number, not by a confusing field error.
    #[test]
    fn refuses_other_versions() {
        let path = temp_path("version");
        std::fs::create_dir_all(path.parent().expect("dir")).expect("dir");
        std::fs::write(&path, r#"{"version": 2, "somethingElse": true}"#).expect("writes");
        let error = LocalState::load_from(&path).expect_err("version 2");
        assert!(
            matches!(error, StateError::UnsupportedVersion { found: 2, .. }),
            "{error}"
        );
        LocalState::remove_at(&path).expect("removes");
    }

    /// Fields a newer streamdlq adds within the same version are ignored.
    #[test]
    fn ignores_fields_it_does_not_know() {
        let path = temp_path("unknown-field");
        let mut value = serde_json::to_value(sample()).expect("serialises");
        value["somethingNew"] = serde_json::json!(true);
        std::fs::create_dir_all(path.parent().expect("dir")).expect("dir");
        std::fs::write(&path, value.to_string()).expect("writes");
        assert_eq!(LocalState::load_from(&path).expect("loads"), sample());
        LocalState::remove_at(&path).expect("removes");
    }

    /// A state whose pids are gone or belong to strangers (here this test
    /// process, which is no stack process) is not a running stack.
    #[test]
    fn a_state_of_gone_or_reused_pids_is_not_running() {
        let mut state = sample();
        let pgid = std::process::id();
        state.processes = vec![
            ProcessEntry {
                name: SERVE.to_owned(),
                pid: u32::MAX - 1,
                pgid: u32::MAX - 1,
            },
            ProcessEntry {
                name: "moto".to_owned(),
                pid: std::process::id(),
                pgid,
            },
        ];
        assert!(!state.is_running(Path::new("/nowhere/.streamdlq")));
        state.processes.clear();
        assert!(!state.is_running(Path::new("/nowhere/.streamdlq")));
    }

    /// The state file is found from any directory below the project's.
    #[test]
    fn finds_the_state_file_from_a_subdirectory() {
        let root = temp_path("find").parent().expect("dir").to_path_buf();
        let path = root.join(".streamdlq").join(STATE_FILE);
        sample().save_to(&path).expect("saves");
        let nested = root.join("a/b");
        std::fs::create_dir_all(&nested).expect("nested");
        assert_eq!(LocalState::find_from(&nested), Some(path));
        assert_eq!(LocalState::find_from(Path::new("/nonexistent-dir")), None);
        std::fs::remove_dir_all(&root).expect("cleans up");
    }

    /// The SDK configurations use the state's region.
    #[test]
    fn sdk_configs_use_the_state_region() {
        let mut state = sample();
        state.region = "eu-west-1".to_owned();
        assert_eq!(
            state.kinesis_config().region().map(|r| r.as_ref()),
            Some("eu-west-1")
        );
    }

    /// Export lines quote values so any shell reads them back verbatim.
    #[test]
    fn export_lines_are_shell_quoted() {
        let mut state = sample();
        state.stream.name = "it's".to_owned();
        let lines = state.export_lines();
        assert!(
            lines.contains("export STREAMDLQ_STREAM_NAME='it'\\''s'\n"),
            "{lines}"
        );
        assert!(lines.contains("export AWS_ENDPOINT_URL='http://127.0.0.1:4002'\n"));
        assert!(lines.contains("export AWS_ENDPOINT_URL_KINESIS='http://127.0.0.1:4001'\n"));
        assert_eq!(lines.lines().count(), 11);
    }
}
