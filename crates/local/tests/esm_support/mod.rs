//! A scripted function for ESM tests: it records every invocation and
//! answers as a test tells it to.
#![allow(dead_code)] // each test binary uses a different part

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use futures::future::BoxFuture;
use serde_json::{Value, json};
use streamdlq_core::invocation::{FunctionAnswer, FunctionError, LambdaFunction};

/// One invocation as the function saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub shard_id: String,
    pub sequence_numbers: Vec<String>,
    pub data: Vec<Vec<u8>>,
}

impl Call {
    fn from_event(event: &Value) -> Self {
        let records = event["Records"].as_array().cloned().unwrap_or_default();
        let shard_id = records
            .first()
            .and_then(|record| record["eventID"].as_str())
            .and_then(|id| id.split_once(':'))
            .map(|(shard, _)| shard.to_owned())
            .unwrap_or_default();
        Self {
            shard_id,
            sequence_numbers: records
                .iter()
                .map(|r| {
                    r["kinesis"]["sequenceNumber"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned()
                })
                .collect(),
            data: records
                .iter()
                .map(|r| {
                    STANDARD
                        .decode(r["kinesis"]["data"].as_str().unwrap_or_default())
                        .unwrap_or_default()
                })
                .collect(),
        }
    }

    /// Whether any record's data equals `data`.
    pub fn holds(&self, data: &[u8]) -> bool {
        self.data.iter().any(|d| d == data)
    }

    /// The position of the first record whose data equals `data`.
    pub fn position(&self, data: &[u8]) -> Option<usize> {
        self.data.iter().position(|d| d == data)
    }
}

type Behaviour = dyn Fn(&Call, usize) -> FunctionAnswer + Send + Sync;

/// A function that answers each call with `behaviour(call, number)`
/// (numbered from 0) after `latency`, and keeps every call.
#[derive(Clone)]
pub struct ScriptedFunction {
    calls: Arc<Mutex<Vec<Call>>>,
    in_flight: Arc<Mutex<BTreeMap<String, usize>>>,
    max_in_flight: Arc<Mutex<usize>>,
    behaviour: Arc<Behaviour>,
    latency: Duration,
}

impl std::fmt::Debug for ScriptedFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ScriptedFunction")
    }
}

impl ScriptedFunction {
    pub fn new(behaviour: impl Fn(&Call, usize) -> FunctionAnswer + Send + Sync + 'static) -> Self {
        Self {
            calls: Arc::default(),
            in_flight: Arc::default(),
            max_in_flight: Arc::default(),
            behaviour: Arc::new(behaviour),
            latency: Duration::ZERO,
        }
    }

    /// Every call succeeds.
    pub fn succeeding() -> Self {
        Self::new(|_, _| success())
    }

    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The calls for one shard, in order.
    pub fn calls_of(&self, shard_id: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.shard_id == shard_id)
            .collect()
    }

    /// Most invocations of one shard that were running at the same time.
    pub fn max_in_flight_per_shard(&self) -> usize {
        *self
            .max_in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl LambdaFunction for ScriptedFunction {
    fn name(&self) -> &str {
        "scripted"
    }

    fn invoke(&self, event: Vec<u8>) -> BoxFuture<'_, FunctionAnswer> {
        Box::pin(self.answer(event))
    }
}

impl ScriptedFunction {
    async fn answer(&self, event: Vec<u8>) -> FunctionAnswer {
        let event: Value = serde_json::from_slice(&event).unwrap_or(Value::Null);
        let call = Call::from_event(&event);
        {
            let mut in_flight = self
                .in_flight
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let count = in_flight.entry(call.shard_id.clone()).or_default();
            *count += 1;
            let mut max = self
                .max_in_flight
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            *max = (*max).max(*count);
        }
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        let number = {
            let mut calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
            calls.push(call.clone());
            calls.len() - 1
        };
        let answer = (self.behaviour)(&call, number);
        *self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(call.shard_id.clone())
            .or_default() -= 1;
        answer
    }
}

pub fn success() -> FunctionAnswer {
    FunctionAnswer::json(&json!({ "batchItemFailures": [] }))
}

pub fn threw() -> FunctionAnswer {
    FunctionAnswer::Thrown(FunctionError::new("PoisonPill", "cannot process record"))
}

/// The answer reporting the record at `position` of `call` as failed.
pub fn failed_at(call: &Call, position: usize) -> FunctionAnswer {
    FunctionAnswer::json(&json!({
        "batchItemFailures": [{ "itemIdentifier": call.sequence_numbers[position] }]
    }))
}
