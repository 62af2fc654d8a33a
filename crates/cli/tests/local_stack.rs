//! `streamdlq local up | status | down` as a user runs them, each test on
//! its own state directory: what `up` starts is exactly what `down` stops,
//! and a stale state never leads to signalling a stranger.

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const STREAMDLQ: &str = env!("CARGO_BIN_EXE_streamdlq");

/// A fresh state directory, removed (after a `down`) when the test ends.
struct StateDir(PathBuf);

impl StateDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("streamdlq-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("state dir");
        Self(dir.canonicalize().expect("canonical"))
    }

    fn streamdlq(&self, args: &[&str]) -> Output {
        Command::new(STREAMDLQ)
            .args(args)
            .env("STREAMDLQ_STATE_DIR", &self.0)
            .current_dir(workspace_root())
            .stdin(Stdio::null())
            .output()
            .expect("streamdlq runs")
    }

    fn state_file(&self) -> PathBuf {
        self.0.join("state.json")
    }

    fn state(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.state_file()).expect("state file"))
            .expect("state JSON")
    }
}

impl Drop for StateDir {
    /// A failed test still leaves nothing running: `down`, and if the
    /// state survived that, the serving process group is killed directly.
    fn drop(&mut self) {
        if self.state_file().exists() {
            let _ = self.streamdlq(&["local", "down"]);
        }
        if let Ok(text) = std::fs::read_to_string(self.state_file())
            && let Ok(state) = serde_json::from_str::<Value>(&text)
            && let Some(pgid) = state["processes"][0]["pgid"].as_u64()
            && state["processes"][0]["name"] == "serve"
        {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{pgid}")])
                .status();
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("workspace root")
        .to_path_buf()
}

fn success(output: &Output) -> String {
    assert!(
        output.status.success(),
        "status {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Running and not a zombie.
fn is_running(pid: u64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let state = stat.rsplit_once(") ")?.1.chars().next()?;
            Some(!matches!(state, 'Z' | 'X'))
        })
        .unwrap_or(false)
}

fn listening(port: u16) -> bool {
    TcpStream::connect_timeout(
        &SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        Duration::from_millis(500),
    )
    .is_ok()
}

fn eventually(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while !condition() {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    true
}

fn pids(state: &Value) -> Vec<u64> {
    state["processes"]
        .as_array()
        .expect("processes")
        .iter()
        .map(|process| process["pid"].as_u64().expect("pid"))
        .collect()
}

fn ports(state: &Value) -> Vec<u16> {
    ["kinesis", "moto"]
        .iter()
        .map(|name| {
            let url = state["endpoints"][name].as_str().expect("endpoint");
            url.rsplit_once(':').expect("port").1.parse().expect("port")
        })
        .collect()
}

/// `up` prints the exports and leaves a healthy stack; `status` sees it;
/// `down` stops it: afterwards no process of the state runs, no port of the
/// state listens, and the state file is gone.
#[test]
fn up_status_down_leaves_nothing_behind() {
    let dir = StateDir::new("lifecycle");
    let exports = success(&dir.streamdlq(&["local", "up"]));
    for name in [
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_KINESIS",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "STREAMDLQ_STREAM_NAME",
        "STREAMDLQ_STREAM_ARN",
        "STREAMDLQ_TOPIC_ARN",
        "STREAMDLQ_DLQ_URL",
        "STREAMDLQ_HYDRATE_FAILURE_QUEUE_URL",
    ] {
        assert!(
            exports.contains(&format!("export {name}='")),
            "{name} in\n{exports}"
        );
    }
    let state = dir.state();
    let (pids, ports) = (pids(&state), ports(&state));
    assert_eq!(pids.len(), 3, "serve, kinesis-local and moto");
    assert!(pids.iter().all(|pid| is_running(*pid)));
    assert!(ports.iter().all(|port| listening(*port)));

    let status: Value =
        serde_json::from_str(&success(&dir.streamdlq(&["local", "status", "--json"])))
            .expect("status JSON");
    assert!(
        status["processes"]
            .as_array()
            .expect("processes")
            .iter()
            .all(|p| p["running"] == true),
        "{status}"
    );
    assert_eq!(status["queues"][0]["visible"], 0, "{status}");
    assert_eq!(success(&dir.streamdlq(&["local", "env"])), exports);

    success(&dir.streamdlq(&["local", "down"]));
    assert!(!dir.state_file().exists());
    assert!(
        eventually(Duration::from_secs(10), || {
            pids.iter().all(|pid| !is_running(*pid)) && ports.iter().all(|port| !listening(*port))
        }),
        "still running: {:?}, still listening: {:?}",
        pids.iter()
            .filter(|pid| is_running(**pid))
            .collect::<Vec<_>>(),
        ports
            .iter()
            .filter(|port| listening(**port))
            .collect::<Vec<_>>()
    );
}

/// A second `up` starts nothing new: it reports the running stack and
/// prints the same exports.
#[test]
fn second_up_reports_the_running_stack() {
    let dir = StateDir::new("idempotent");
    let first = success(&dir.streamdlq(&["local", "up"]));
    let state = dir.state();
    let again = dir.streamdlq(&["local", "up"]);
    assert_eq!(success(&again), first);
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already running"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(dir.state(), state, "the state is unchanged");
}

/// A state file left behind by a stack that died: one pid is gone, one now
/// belongs to an unrelated process. `down` reports both, signals neither
/// (the stranger keeps running) and removes the state.
#[test]
fn down_survives_stale_pids_and_spares_strangers() {
    let dir = StateDir::new("stale");
    let mut exited = Command::new("true").spawn().expect("true");
    let gone = exited.id();
    exited.wait().expect("true exits");
    let mut stranger = Command::new("sleep")
        .arg("30")
        .process_group(0)
        .spawn()
        .expect("sleep");
    let state = serde_json::json!({
        "version": 1,
        "region": "us-east-1",
        "endpoints": {"kinesis": "http://127.0.0.1:9", "moto": "http://127.0.0.1:9"},
        "stackName": "streamdlq",
        "stream": {"name": "streamdlq-Stream", "arn": "arn:aws:kinesis:us-east-1:000000000000:stream/streamdlq-Stream"},
        "topicArn": "arn:aws:sns:us-east-1:000000000000:streamdlq-FailureTopic",
        "dlqUrl": "http://127.0.0.1:9/000000000000/streamdlq-DeadLetterQueue",
        "hydrateFailureQueueUrl": "http://127.0.0.1:9/000000000000/streamdlq-HydrateFailureQueue",
        "deliveryQueueUrl": "http://127.0.0.1:9/000000000000/streamdlq-HydrateDelivery",
        "processes": [
            {"name": "serve", "pid": gone, "pgid": gone},
            {"name": "moto", "pid": stranger.id(), "pgid": stranger.id()}
        ],
        "startedAt": "2025-01-01T00:00:00.000Z"
    });
    std::fs::write(dir.state_file(), state.to_string()).expect("state");

    let output = dir.streamdlq(&["local", "down", "--grace", "1"]);
    success(&output);
    let report = String::from_utf8_lossy(&output.stderr);
    assert!(report.contains("serve (pid"), "{report}");
    assert!(report.contains("another process"), "{report}");
    assert!(!dir.state_file().exists());
    assert!(
        is_running(u64::from(stranger.id())),
        "the stranger was not signalled"
    );
    stranger.kill().expect("kill sleep");
    stranger.wait().expect("reap sleep");
}

/// `up` over the state of a stack that died cleans it up and starts anew.
#[test]
fn up_replaces_a_dead_stack() {
    let dir = StateDir::new("replace");
    success(&dir.streamdlq(&["local", "up"]));
    let old = dir.state();
    let serve = old["processes"][0]["pgid"].as_i64().expect("pgid");
    // The owner dies without cleaning up; its emulators die with it.
    Command::new("kill")
        .args(["-KILL", "--", &format!("-{serve}")])
        .status()
        .expect("kill");
    assert!(eventually(Duration::from_secs(10), || pids(&old)
        .iter()
        .all(|pid| !is_running(*pid))));

    let output = dir.streamdlq(&["local", "up"]);
    success(&output);
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("no longer running"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let new = dir.state();
    assert_ne!(new["processes"][0]["pid"], old["processes"][0]["pid"]);
    assert!(pids(&new).iter().all(|pid| is_running(*pid)));
}

/// A mapping setting AWS would refuse stops `up` before anything starts,
/// with the setting, the value and the allowed range on the terminal.
#[test]
fn up_refuses_a_setting_aws_would_refuse() {
    let dir = StateDir::new("refuse");
    let template = std::fs::read_to_string(workspace_root().join("infra/template.yaml"))
        .expect("the template");
    assert!(template.contains("BatchSize: 100"), "the template changed");
    let bad = dir.0.join("template.yaml");
    std::fs::write(&bad, template.replace("BatchSize: 100", "BatchSize: 0")).expect("write");
    // The hydrator it nests, found beside it as on AWS.
    std::fs::copy(
        workspace_root().join("infra/hydrator.yaml"),
        dir.0.join("hydrator.yaml"),
    )
    .expect("copy the nested hydrator");

    let output = dir.streamdlq(&["local", "up", "--template", bad.to_str().expect("utf-8")]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("BatchSize must be between 1 and 10000, not 0"),
        "{stderr}"
    );
    assert!(!dir.state_file().exists(), "nothing was started");
}

/// `local invoke processor` runs the processor in-process with an event
/// file and prints its response: the golden partial batch failure.
#[test]
fn invoke_prints_the_processor_response() {
    let dir = StateDir::new("invoke");
    let output = dir.streamdlq(&[
        "local",
        "invoke",
        "processor",
        "--event",
        "events/kinesis-batch-poison-pill.json",
    ]);
    let response: Value = serde_json::from_str(&success(&output)).expect("response JSON");
    let golden: Value = serde_json::from_str(
        &std::fs::read_to_string(
            workspace_root().join("events/kinesis-batch-response-poison-pill.json"),
        )
        .expect("golden response"),
    )
    .expect("golden JSON");
    assert_eq!(response, golden);
}

/// `up --template` runs a template whose mapping sends failures to an SQS
/// queue (hydrate behind an SQS event source): the poison pill put with the
/// CLI reaches the DLQ through that queue, and `down` stops the stack.
#[test]
fn up_runs_a_template_with_an_sqs_destination() {
    let dir = StateDir::new("sqs-destination");
    let template =
        workspace_root().join("crates/local/tests/fixtures/template-sqs-destination.yaml");
    let template = template.to_str().expect("utf-8");

    success(&dir.streamdlq(&["local", "up", "--template", template]));
    let state = dir.state();
    assert!(
        state["deliveryQueueUrl"]
            .as_str()
            .expect("delivery queue")
            .ends_with("-FailureQueue"),
        "hydrate reads the destination queue itself: {state}"
    );

    success(&dir.streamdlq(&["put-records", "--count", "10", "--poison-pill", "3"]));
    let mut lines = String::new();
    assert!(
        eventually(Duration::from_secs(30), || {
            lines = success(&dir.streamdlq(&["read-dlq", "--json"]));
            !lines.trim().is_empty()
        }),
        "nothing reached the DLQ"
    );
    let failure: Value = serde_json::from_str(lines.trim()).expect("one failure");
    assert_eq!(failure["status"], "complete", "{failure}");
    assert_eq!(failure["found"], 1, "only the pill: {failure}");
    assert_eq!(failure["recordsFrom"], "stream", "{failure}");

    success(&dir.streamdlq(&["local", "down"]));
    assert!(!dir.state_file().exists());
}
