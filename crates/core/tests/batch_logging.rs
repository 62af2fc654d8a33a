//! What the batch helper logs about failed records. Alone in its own test
//! binary: a process-wide subscriber is the only reliable way to capture
//! tracing output (a thread-local one misses events whose callsites other
//! tests registered first).

mod batch_support;

use batch_support::{Script, ScriptedHandler, VALID, batch, event, sequence_numbers};
use serde_json::Value;
use streamdlq_core::batch::process_batch;
use streamdlq_core::fake::{LogCapture, LogFormat};

/// Failure logs say poison or transient, name the shard and sequence
/// number, and never contain the record's payload.
#[tokio::test]
async fn logs_failure_kind_with_shard_and_sequence_number_but_no_payload() {
    let all = sequence_numbers(&event(VALID));
    let capture = LogCapture::install(LogFormat::Json);

    let poison = ScriptedHandler::at(1, Script::Fail { retryable: false });
    process_batch(batch(event(VALID)), &poison).await;
    let transient = ScriptedHandler::at(2, Script::Fail { retryable: true });
    process_batch(batch(event(VALID)), &transient).await;

    let logs = capture.text();
    let failures: Vec<Value> = logs
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).expect("json log line"))
        .filter(|line| line["fields"]["failure"].is_string())
        .collect();
    assert_eq!(failures.len(), 2, "{logs}");
    assert_eq!(failures[0]["fields"]["failure"], "poison");
    assert_eq!(failures[0]["fields"]["sequence_number"], all[1].as_str());
    assert_eq!(failures[0]["fields"]["shard"], "shardId-000000000000");
    assert_eq!(failures[1]["fields"]["failure"], "transient");
    assert_eq!(failures[1]["fields"]["sequence_number"], all[2].as_str());
    for payload_word in ["Hydrogen", "AtomicNumber", "eyJBdG9taWNOdW1iZXIi"] {
        assert!(!logs.contains(payload_word), "payload leaked: {logs}");
    }
}
