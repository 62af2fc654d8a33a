//! The in-process adapter behaves like the deployed runtime.

use serde_json::{Value, json};

use super::*;

const VALID: &[u8] = include_bytes!("../../../../../events/kinesis-batch-valid.json");
const ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:streamdlq-processor";

fn returned_json(answer: FunctionAnswer) -> Value {
    let FunctionAnswer::Returned(bytes) = answer else {
        panic!("expected a response, got {answer:?}");
    };
    serde_json::from_slice(&bytes).expect("json")
}

/// The handler sees a Context like the deployed one: a request id, the
/// function ARN, a deadline one timeout away, name and version.
#[tokio::test]
async fn gives_the_handler_a_deployed_context() {
    let function = InProcessFunction::new(
        |event: LambdaEvent<Value>| async move {
            let context = event.context;
            let remaining = context.deadline().duration_since(SystemTime::now());
            Ok::<_, lambda_runtime::Error>(json!({
                "requestId": context.request_id,
                "arn": context.invoked_function_arn,
                "name": context.env_config.function_name,
                "version": context.env_config.version,
                "memory": context.env_config.memory,
                "remainingAboutTimeout": remaining.is_ok_and(|left| left > Duration::from_secs(8)),
            }))
        },
        FunctionSettings {
            timeout: Duration::from_secs(10),
            ..FunctionSettings::new(format!("{ARN}:live"))
        },
    );

    let seen = returned_json(function.invoke(VALID.to_vec()).await);

    let request_id = seen["requestId"].as_str().expect("request id");
    assert_eq!(
        uuid::Uuid::parse_str(request_id).map(|id| id.get_version_num()),
        Ok(4)
    );
    assert_eq!(seen["arn"], format!("{ARN}:live"));
    assert_eq!(seen["name"], "streamdlq-processor");
    assert_eq!(seen["version"], "$LATEST");
    assert_eq!(seen["memory"], 128);
    assert_eq!(seen["remainingAboutTimeout"], true);
    assert_eq!(function.name(), "streamdlq-processor");
}

/// An `Err` is a function error with the runtime's Diagnostic.
#[tokio::test]
async fn reports_handler_errors_as_unhandled_function_errors() {
    let function = InProcessFunction::new(
        |_: LambdaEvent<Value>| async {
            Err::<Value, _>(Diagnostic {
                error_type: "PoisonPill".to_owned(),
                error_message: "record 3 is not an element".to_owned(),
            })
        },
        FunctionSettings::new(ARN),
    );

    assert_eq!(
        function.invoke(VALID.to_vec()).await,
        FunctionAnswer::Thrown(FunctionError::new(
            "PoisonPill",
            "record 3 is not an element"
        ))
    );
}

/// A panic in the handler's future is caught and reported as the runtime
/// reports it.
#[tokio::test]
async fn reports_panics_as_function_errors() {
    let function = InProcessFunction::new(
        |_: LambdaEvent<Value>| async {
            if true {
                panic!("boom");
            }
            Ok::<Value, lambda_runtime::Error>(Value::Null)
        },
        FunctionSettings::new(ARN),
    );

    let FunctionAnswer::Thrown(error) = function.invoke(VALID.to_vec()).await else {
        panic!("expected a function error");
    };
    assert_eq!(error.kind, "Unhandled");
    assert_eq!(error.error_message, "Lambda panicked: boom");
}

/// A handler that panics before returning its future is caught as well.
#[tokio::test]
async fn reports_panics_before_the_future_as_function_errors() {
    fn eager(_: LambdaEvent<Value>) -> std::future::Ready<Result<Value, lambda_runtime::Error>> {
        panic!("eager boom")
    }
    let function = InProcessFunction::new(eager, FunctionSettings::new(ARN));

    let FunctionAnswer::Thrown(error) = function.invoke(VALID.to_vec()).await else {
        panic!("expected a function error");
    };
    assert_eq!(error.error_message, "Lambda panicked: eager boom");
}

/// An event the payload type cannot read is a function error, as the
/// runtime's deserialisation failure is.
#[tokio::test]
async fn reports_unreadable_events_as_function_errors() {
    #[derive(Debug, serde::Deserialize)]
    struct Strict {
        #[allow(dead_code)]
        required: String,
    }
    let function = InProcessFunction::new(
        |_: LambdaEvent<Strict>| async { Ok::<Value, lambda_runtime::Error>(Value::Null) },
        FunctionSettings::new(ARN),
    );

    let FunctionAnswer::Thrown(error) = function.invoke(VALID.to_vec()).await else {
        panic!("expected a function error");
    };
    assert!(
        error
            .error_message
            .starts_with("failed to deserialize the incoming data")
    );
}

/// Running past the timeout is Lambda's timeout error.
#[tokio::test(start_paused = true)]
async fn times_out_like_lambda() {
    let function = InProcessFunction::new(
        |_: LambdaEvent<Value>| async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok::<Value, lambda_runtime::Error>(Value::Null)
        },
        FunctionSettings::new(ARN),
    );

    assert_eq!(
        function.invoke(VALID.to_vec()).await,
        FunctionAnswer::Thrown(FunctionError::new(
            "Sandbox.Timedout",
            "Task timed out after 3.00 seconds"
        ))
    );
}

/// `()` from a handler is the payload `null`, as the runtime sends it.
#[tokio::test]
async fn returns_the_serialised_response() {
    let function = InProcessFunction::new(
        |_: LambdaEvent<Value>| async { Ok::<(), lambda_runtime::Error>(()) },
        FunctionSettings::new(ARN),
    );
    assert_eq!(
        function.invoke(VALID.to_vec()).await,
        FunctionAnswer::Returned(b"null".to_vec())
    );
}

/// The function name is the ARN's name without a version or alias.
#[test]
fn names_the_function_without_its_qualifier() {
    let settings = FunctionSettings::new(format!("{ARN}:live"));
    assert_eq!(settings.function_name(), "streamdlq-processor");
}

/// Text that is not a Lambda function ARN is taken as the name itself.
#[test]
fn takes_a_bare_name_as_the_function_name() {
    assert_eq!(
        FunctionSettings::new("orders-processor").function_name(),
        "orders-processor"
    );
    let queue = "arn:aws:sqs:us-east-1:123456789012:function:q";
    assert_eq!(FunctionSettings::new(queue).function_name(), queue);
}
