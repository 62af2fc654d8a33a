//! The Lambda Invoke API adapter against a minimal HTTP server on
//! 127.0.0.1 that answers like `cargo lambda watch` / `sam local
//! start-lambda`: the request it sends, and how each answer is read.

mod esm_support;

use serde_json::{Value, json};
use streamdlq_core::invocation::{FunctionAnswer, FunctionError, LambdaFunction};
use streamdlq_emulators::invoke_server::{Answer, InvokeServer};
use streamdlq_local::InvokeApiFunction;
use tokio::net::TcpListener;

fn event() -> Value {
    serde_json::from_str(include_str!("../../../events/kinesis-batch-valid.json")).expect("fixture")
}

fn event_bytes() -> Vec<u8> {
    include_bytes!("../../../events/kinesis-batch-valid.json").to_vec()
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

    let answer = function.invoke(event_bytes()).await;
    let received = server.received();
    server.stop().await;

    assert_eq!(
        answer,
        FunctionAnswer::json(&json!({"batchItemFailures": [{
            "itemIdentifier": "49656959252094532447391178218389898075865384020637696002"
        }]}))
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

    let answer = function.invoke(event_bytes()).await;
    server.stop().await;

    assert_eq!(
        answer,
        FunctionAnswer::Thrown(FunctionError::new(
            "PoisonPill",
            "record 3 is not an element"
        ))
    );
}

/// An empty payload is a zero-byte answer (success for the ESM), not an
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

    let answer = function.invoke(event_bytes()).await;
    server.stop().await;

    assert_eq!(answer, FunctionAnswer::Returned(Vec::new()));
}

/// An unknown function never ran: the ESM retries it without counting.
#[tokio::test]
async fn reads_service_errors_as_not_invoked() {
    let server = InvokeServer::start(Answer {
        status: 404,
        headers: vec![("x-amzn-ErrorType", "ResourceNotFoundException")],
        body: r#"{"Type":"User","message":"Function not found: processor"}"#,
    })
    .await;
    let function = InvokeApiFunction::local(&server.endpoint, "processor");

    let answer = function.invoke(event_bytes()).await;
    server.stop().await;

    assert!(
        matches!(&answer, FunctionAnswer::NotInvoked(reason) if reason.contains("does not exist")),
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

    let answer = function.invoke(event_bytes()).await;

    assert!(
        matches!(answer, FunctionAnswer::NotInvoked(_)),
        "{answer:?}"
    );
}
