//! What a running stack looks like: its processes, whether its endpoints
//! answer, and how many messages wait in its queues.

use std::path::Path;
use std::time::Duration;

use aws_sdk_sqs::types::QueueAttributeName;
use serde::Serialize;

use streamdlq_emulators::ready::accepts_tcp;

use crate::state::{Liveness, LocalState, ProcessEntry, liveness, port_of};

/// How long one queue-depth call may take before it is reported unknown.
const QUEUE_TIMEOUT: Duration = Duration::from_secs(3);

/// One process of the stack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessStatus {
    #[serde(flatten)]
    pub process: ProcessEntry,
    pub running: bool,
    /// The pid runs, but as another process.
    pub pid_reused: bool,
}

/// One emulator endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointStatus {
    pub name: &'static str,
    pub url: String,
    pub listening: bool,
}

/// One queue's depth; `None` when it could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueStatus {
    pub name: &'static str,
    pub url: String,
    /// Messages available to receive.
    pub visible: Option<u64>,
    /// Messages received and not yet deleted.
    pub in_flight: Option<u64>,
}

/// The whole picture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StackStatus {
    pub stack_name: String,
    pub started_at: String,
    pub processes: Vec<ProcessStatus>,
    pub endpoints: Vec<EndpointStatus>,
    pub queues: Vec<QueueStatus>,
}

impl StackStatus {
    /// Every process runs and every endpoint listens.
    pub fn is_healthy(&self) -> bool {
        self.processes.iter().all(|process| process.running)
            && self.endpoints.iter().all(|endpoint| endpoint.listening)
    }
}

/// Looks at the stack of `state` (whose file is in `state_dir`).
pub async fn status(state: &LocalState, state_dir: &Path) -> StackStatus {
    let processes = state
        .processes
        .iter()
        .map(|process| {
            let liveness = liveness(process, state, state_dir);
            ProcessStatus {
                process: process.clone(),
                running: liveness == Liveness::Running,
                pid_reused: liveness == Liveness::Reused,
            }
        })
        .collect();
    let mut endpoints = Vec::new();
    for (name, url) in [
        ("kinesis-local", &state.endpoints.kinesis),
        ("moto", &state.endpoints.moto),
    ] {
        let listening = match port_of(url).parse() {
            Ok(port) => accepts_tcp(port).await,
            Err(_) => false,
        };
        endpoints.push(EndpointStatus {
            name,
            url: url.clone(),
            listening,
        });
    }
    let moto_up = endpoints.iter().any(|e| e.name == "moto" && e.listening);
    let sqs = aws_sdk_sqs::Client::new(&state.moto_config());
    let mut queues = Vec::new();
    for (name, url) in [
        ("dead-letter queue", &state.dlq_url),
        ("hydrate failure queue", &state.hydrate_failure_queue_url),
        ("delivery queue", &state.delivery_queue_url),
    ] {
        let (visible, in_flight) = if moto_up {
            depth(&sqs, url).await
        } else {
            (None, None)
        };
        queues.push(QueueStatus {
            name,
            url: url.clone(),
            visible,
            in_flight,
        });
    }
    StackStatus {
        stack_name: state.stack_name.clone(),
        started_at: state.started_at.clone(),
        processes,
        endpoints,
        queues,
    }
}

async fn depth(sqs: &aws_sdk_sqs::Client, url: &str) -> (Option<u64>, Option<u64>) {
    let request = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send();
    let Ok(Ok(answer)) = tokio::time::timeout(QUEUE_TIMEOUT, request).await else {
        return (None, None);
    };
    let attributes = answer.attributes.unwrap_or_default();
    let number =
        |name: QueueAttributeName| attributes.get(&name).and_then(|value| value.parse().ok());
    (
        number(QueueAttributeName::ApproximateNumberOfMessages),
        number(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
    )
}
