//! A scripted record handler and fixture helpers shared by the batch tests.
// Each test binary uses its own subset of these helpers.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::Value;
use streamdlq_core::batch::{KinesisBatch, RecordContext, RecordError, RecordHandler};

pub const VALID: &str = include_str!("../../../../events/kinesis-batch-valid.json");

/// What the scripted handler does at a given position.
#[derive(Clone, Copy)]
pub enum Script {
    Fail { retryable: bool },
    Panic,
}

#[derive(Debug, thiserror::Error)]
#[error("scripted failure")]
pub struct ScriptedError {
    retryable: bool,
}

impl RecordError for ScriptedError {
    fn is_retryable(&self) -> bool {
        self.retryable
    }
}

/// Records every call, then fails or panics where its script says.
#[derive(Default)]
pub struct ScriptedHandler {
    script: HashMap<usize, Script>,
    pub seen: Mutex<Vec<(String, Vec<u8>)>>,
}

impl ScriptedHandler {
    pub fn at(position: usize, script: Script) -> Self {
        Self {
            script: HashMap::from([(position, script)]),
            ..Self::default()
        }
    }

    /// A handler that follows each `(position, script)` pair.
    pub fn scripted(scripts: &[(usize, Script)]) -> Self {
        Self {
            script: scripts.iter().copied().collect(),
            ..Self::default()
        }
    }

    pub fn seen_sequence_numbers(&self) -> Vec<String> {
        self.seen
            .lock()
            .expect("not poisoned")
            .iter()
            .map(|(sequence_number, _)| sequence_number.clone())
            .collect()
    }
}

impl RecordHandler for ScriptedHandler {
    type Error = ScriptedError;

    async fn handle(&self, record: &RecordContext, data: &[u8]) -> Result<(), ScriptedError> {
        self.seen
            .lock()
            .expect("not poisoned")
            .push((record.sequence_number.to_string(), data.to_vec()));
        match self.script.get(&record.position) {
            None => Ok(()),
            Some(Script::Fail { retryable }) => Err(ScriptedError {
                retryable: *retryable,
            }),
            Some(Script::Panic) => panic!("scripted panic"),
        }
    }
}

pub fn event(json: &str) -> Value {
    serde_json::from_str(json).expect("fixture is JSON")
}

pub fn batch(event: Value) -> KinesisBatch {
    serde_json::from_value(event).expect("fixture is a Kinesis event")
}

pub fn sequence_numbers(event: &Value) -> Vec<String> {
    event["Records"]
        .as_array()
        .expect("Records")
        .iter()
        .map(|record| {
            record["kinesis"]["sequenceNumber"]
                .as_str()
                .expect("sequence number")
                .to_owned()
        })
        .collect()
}
