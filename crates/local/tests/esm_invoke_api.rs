//! The Lambda Invoke API adapter against a minimal HTTP server on
//! 127.0.0.1 that answers like `cargo lambda watch` / `sam local
//! start-lambda`: the request it sends, and how each answer is read.

use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{Value, json};
use streamdlq_local::esm::{FunctionError, Invocation, InvokeApiFunction, StreamFunction};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A request as the server received it.
#[derive(Debug, Clone)]
struct Received {
    request_line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// One canned answer: extra headers and a body.
#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    headers: Vec<(&'static str, &'static str)>,
    body: &'static str,
}

/// Serves `answer` to every request on a free loopback port until dropped.
struct InvokeServer {
    endpoint: String,
    received: Arc<Mutex<Vec<Received>>>,
    task: JoinHandle<()>,
}

impl InvokeServer {
    async fn start(answer: Answer) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&received);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (log, answer) = (Arc::clone(&log), answer.clone());
                tokio::spawn(async move {
                    let (reader, mut writer) = stream.into_split();
                    let mut reader = BufReader::new(reader);
                    let Some(request) = read_request(&mut reader).await else {
                        return;
                    };
                    log.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(request);
                    let mut response = format!(
                        "HTTP/1.1 {} OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\nx-amzn-RequestId: 2b4d1c9e-8f7a-4c53-9a1e-6d0f3b2a7c55\r\n",
                        answer.status,
                        answer.body.len()
                    );
                    for (name, value) in &answer.headers {
                        response.push_str(&format!("{name}: {value}\r\n"));
                    }
                    response.push_str("\r\n");
                    response.push_str(answer.body);
                    let _ = writer.write_all(response.as_bytes()).await;
                    let _ = writer.shutdown().await;
                });
            }
        });
        Self {
            endpoint,
            received,
            task,
        }
    }

    fn received(&self) -> Vec<Received> {
        self.received
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Stops listening; the port is closed when this returns.
    async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

async fn read_request<R: AsyncBufReadExt + Unpin>(reader: &mut R) -> Option<Received> {
    let mut request_line = String::new();
    reader.read_line(&mut request_line).await.ok()?;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).await.ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await.ok()?;
    Some(Received {
        request_line: request_line.trim_end().to_owned(),
        headers,
        body,
    })
}

fn event() -> Value {
    serde_json::from_str(include_str!("../../../events/kinesis-batch-valid.json")).expect("fixture")
}

/// The event goes as a synchronous invocation to the function's path,
/// unchanged; the JSON answer comes back as the response.
#[tokio::test]
async fn posts_the_event_to_the_invocations_path_and_returns_the_payload() {
    let server = InvokeServer::start(Answer {
        status: 200,
        headers: vec![("X-Amz-Executed-Version", "$LATEST")],
        body: r#"{"batchItemFailures":[{"itemIdentifier":"49656959252094532447391178218389898075865384020637696002"}]}"#,
    })
    .await;
    let function = InvokeApiFunction::local(&server.endpoint, "processor");

    let answer = function.invoke(event()).await;
    let received = server.received();
    server.stop().await;

    assert_eq!(
        answer,
        Invocation::Ok(Some(json!({"batchItemFailures": [{
            "itemIdentifier": "49656959252094532447391178218389898075865384020637696002"
        }]})))
    );
    assert_eq!(received.len(), 1);
    assert_eq!(
        received[0].request_line,
        "POST /2015-03-31/functions/processor/invocations HTTP/1.1"
    );
    let header = |name: &str| {
        received[0]
            .headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(
        header("x-amz-invocation-type").as_deref(),
        Some("RequestResponse")
    );
    let sent: Value = serde_json::from_slice(&received[0].body).expect("JSON body");
    assert_eq!(sent, event());
}

/// `X-Amz-Function-Error` makes the answer a function error carrying the
/// payload's errorType and errorMessage.
#[tokio::test]
async fn reads_x_amz_function_error_as_a_function_error() {
    let server = InvokeServer::start(Answer {
        status: 200,
        headers: vec![("X-Amz-Function-Error", "Unhandled")],
        body: r#"{"errorType":"PoisonPill","errorMessage":"record 3 is not an element"}"#,
    })
    .await;
    let function = InvokeApiFunction::local(&server.endpoint, "processor");

    let answer = function.invoke(event()).await;
    server.stop().await;

    assert_eq!(
        answer,
        Invocation::FunctionError(FunctionError::unhandled(
            "PoisonPill",
            "record 3 is not an element"
        ))
    );
}

/// An empty payload is an empty response (success for the ESM), not an
/// error.
#[tokio::test]
async fn reads_an_empty_payload_as_no_response() {
    let server = InvokeServer::start(Answer {
        status: 200,
        headers: Vec::new(),
        body: "",
    })
    .await;
    let function = InvokeApiFunction::local(&server.endpoint, "processor");

    let answer = function.invoke(event()).await;
    server.stop().await;

    assert_eq!(answer, Invocation::Ok(None));
}

/// A throttled invocation never ran: the ESM retries it without counting.
#[tokio::test]
async fn reads_service_errors_as_not_invoked() {
    let server = InvokeServer::start(Answer {
        status: 404,
        headers: vec![("x-amzn-ErrorType", "ResourceNotFoundException")],
        body: r#"{"Type":"User","message":"Function not found: processor"}"#,
    })
    .await;
    let function = InvokeApiFunction::local(&server.endpoint, "processor");

    let answer = function.invoke(event()).await;
    server.stop().await;

    assert!(
        matches!(&answer, Invocation::NotInvoked(reason) if reason.contains("ResourceNotFoundException")),
        "{answer:?}"
    );
}

/// An endpoint that is not listening means the function did not run.
#[tokio::test]
async fn reads_an_unreachable_endpoint_as_not_invoked() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("address"));
    drop(listener);
    let function = InvokeApiFunction::local(&endpoint, "processor");

    let answer = function.invoke(event()).await;

    assert!(matches!(answer, Invocation::NotInvoked(_)), "{answer:?}");
}
