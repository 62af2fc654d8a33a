//! [`InProcessFunction`]: a `lambda_runtime` handler called in this process,
//! seeing exactly what it would see deployed.
//!
//! What the deployed runtime does, and this adapter repeats:
//! - the event arrives as JSON bytes and is deserialised into the
//!   handler's payload type (a failure is a function error, reported with
//!   the runtime's `errorType` and message);
//! - the handler gets a `Context` with a fresh request id, the function ARN,
//!   a deadline of now + the function timeout, and the function's name,
//!   memory and version (`$LATEST`);
//! - `Ok` is serialised to the JSON the Invoke API returns; `Err` becomes a
//!   `lambda_runtime::Diagnostic` (its `errorType` and `errorMessage`) with
//!   `X-Amz-Function-Error: Unhandled`; a panic is caught and reported the
//!   way the runtime reports it; running past the timeout is the
//!   `Sandbox.Timedout` error Lambda reports.

use std::any::type_name;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::FutureExt as _;
use lambda_runtime::{Context, Diagnostic, LambdaEvent};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::clock::request_id;
use super::function::{FunctionError, Invocation, StreamFunction};

/// The deployed function's settings that a handler can observe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionSettings {
    pub function_arn: String,
    /// `Timeout` (Lambda's default is 3 s).
    pub timeout: Duration,
    /// `MemorySize` in MB (Lambda's default is 128).
    pub memory_size_mb: i32,
}

impl FunctionSettings {
    /// Lambda's defaults for the function `function_arn`.
    pub fn new(function_arn: impl Into<String>) -> Self {
        Self {
            function_arn: function_arn.into(),
            timeout: Duration::from_secs(3),
            memory_size_mb: 128,
        }
    }

    /// The function name: the ARN's resource part, or the ARN itself.
    pub fn function_name(&self) -> &str {
        self.function_arn
            .split_once(":function:")
            .map_or(self.function_arn.as_str(), |(_, rest)| {
                rest.split(':').next().unwrap_or(rest)
            })
    }
}

/// A `lambda_runtime` handler `Fn(LambdaEvent<E>) -> Future<Result<R, Err>>`
/// as a [`StreamFunction`].
pub struct InProcessFunction<H, E> {
    handler: H,
    settings: FunctionSettings,
    config: Arc<lambda_runtime::Config>,
    payload: PhantomData<fn(E)>,
}

impl<H, E> fmt::Debug for InProcessFunction<H, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InProcessFunction")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl<H, E> InProcessFunction<H, E> {
    pub fn new(handler: H, settings: FunctionSettings) -> Self {
        let config = Arc::new(lambda_runtime::Config {
            function_name: settings.function_name().to_owned(),
            memory: settings.memory_size_mb,
            version: "$LATEST".to_owned(),
            log_stream: String::new(),
            log_group: format!("/aws/lambda/{}", settings.function_name()),
        });
        Self {
            handler,
            settings,
            config,
            payload: PhantomData,
        }
    }

    /// The `Context` the runtime would build for one invocation.
    fn context(&self) -> Context {
        let deadline = SystemTime::now()
            .checked_add(self.settings.timeout)
            .and_then(|at| at.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |since| {
                u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
            });
        // `Context` is non-exhaustive: start from its default, fill in what
        // the Runtime API's headers and the environment would give.
        let mut context = Context::default();
        context.request_id = request_id();
        context.deadline = deadline;
        context.invoked_function_arn = self.settings.function_arn.clone();
        context.env_config = Arc::clone(&self.config);
        context
    }
}

impl<H, E, Fut, R, Err> StreamFunction for InProcessFunction<H, E>
where
    H: Fn(LambdaEvent<E>) -> Fut + Send + Sync,
    Fut: Future<Output = Result<R, Err>> + Send,
    E: DeserializeOwned + Send,
    R: Serialize,
    Err: Into<Diagnostic>,
{
    async fn invoke(&self, event: Value) -> Invocation {
        // The runtime reads the payload from the bytes Lambda sent.
        let bytes = match serde_json::to_vec(&event) {
            Ok(bytes) => bytes,
            Err(error) => return serialisation_error(&error),
        };
        let payload: E = match serde_json::from_slice(&bytes) {
            Ok(payload) => payload,
            Err(error) => {
                return Invocation::FunctionError(FunctionError::unhandled(
                    "&lambda_runtime::deserializer::DeserializeError",
                    format!(
                        "failed to deserialize the incoming data into the function's payload type: {error}\n"
                    ),
                ));
            }
        };
        let event = LambdaEvent::new(payload, self.context());
        let call = std::panic::catch_unwind(AssertUnwindSafe(|| (self.handler)(event)));
        let running = match call {
            Ok(future) => AssertUnwindSafe(future).catch_unwind(),
            Err(panic) => return panicked(&panic),
        };
        let outcome = match tokio::time::timeout(self.settings.timeout, running).await {
            Ok(outcome) => outcome,
            Err(_) => {
                return Invocation::FunctionError(FunctionError::unhandled(
                    "Sandbox.Timedout",
                    format!(
                        "Task timed out after {:.2} seconds",
                        self.settings.timeout.as_secs_f64()
                    ),
                ));
            }
        };
        match outcome {
            Ok(Ok(response)) => match serde_json::to_vec(&response)
                .and_then(|bytes| serde_json::from_slice::<Value>(&bytes))
            {
                Ok(value) => Invocation::Ok(Some(value)),
                Err(error) => serialisation_error(&error),
            },
            Ok(Err(error)) => {
                let diagnostic: Diagnostic = error.into();
                Invocation::FunctionError(FunctionError::unhandled(
                    diagnostic.error_type,
                    diagnostic.error_message,
                ))
            }
            Err(panic) => panicked(&panic),
        }
    }
}

/// A panic, reported as lambda_runtime's panic layer reports it.
fn panicked(panic: &Box<dyn std::any::Any + Send>) -> Invocation {
    let message = if let Some(text) = panic.downcast_ref::<&str>() {
        format!("Lambda panicked: {text}")
    } else if let Some(text) = panic.downcast_ref::<String>() {
        format!("Lambda panicked: {text}")
    } else {
        "Lambda panicked".to_owned()
    };
    Invocation::FunctionError(FunctionError::unhandled(
        type_name::<&Box<dyn std::any::Any + Send>>(),
        message,
    ))
}

fn serialisation_error(error: &serde_json::Error) -> Invocation {
    Invocation::FunctionError(FunctionError::unhandled(
        type_name::<serde_json::Error>(),
        error.to_string(),
    ))
}

/// The demo processor (`processor::handle`) in process, as the local stack
/// runs it by default.
pub fn processor_function<S>(
    handler: processor::ElementHandler<S>,
    settings: FunctionSettings,
) -> impl StreamFunction + fmt::Debug
where
    S: processor::ElementSink + Send + Sync + 'static,
{
    let handler = Arc::new(handler);
    InProcessFunction::new(
        move |event: LambdaEvent<streamdlq_core::KinesisBatch>| {
            let handler = Arc::clone(&handler);
            async move { processor::handle(&handler, event).await }
        },
        settings,
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const POISON: &str = include_str!("../../../../events/kinesis-batch-poison-pill.json");
    const POISON_RESPONSE: &str =
        include_str!("../../../../events/kinesis-batch-response-poison-pill.json");
    const VALID: &str = include_str!("../../../../events/kinesis-batch-valid.json");
    const ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:streamdlq-processor";

    fn event(text: &str) -> Value {
        serde_json::from_str(text).expect("fixture")
    }

    /// The processor in process answers the poison-pill event with the
    /// golden response, as deployed.
    #[tokio::test]
    async fn runs_the_processor_handler_as_deployed() {
        let function = processor_function(
            processor::ElementHandler::<processor::LogSink>::default(),
            FunctionSettings::new(ARN),
        );

        let answer = function.invoke(event(POISON)).await;

        assert_eq!(answer, Invocation::Ok(Some(event(POISON_RESPONSE))));
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

        let Invocation::Ok(Some(seen)) = function.invoke(event(VALID)).await else {
            panic!("expected a response");
        };

        assert_eq!(seen["requestId"].as_str().map(str::len), Some(36));
        assert_eq!(seen["arn"], format!("{ARN}:live"));
        assert_eq!(seen["name"], "streamdlq-processor");
        assert_eq!(seen["version"], "$LATEST");
        assert_eq!(seen["memory"], 128);
        assert_eq!(seen["remainingAboutTimeout"], true);
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
            function.invoke(event(VALID)).await,
            Invocation::FunctionError(FunctionError::unhandled(
                "PoisonPill",
                "record 3 is not an element"
            ))
        );
    }

    /// A panic is caught and reported as the runtime reports it.
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

        let Invocation::FunctionError(error) = function.invoke(event(VALID)).await else {
            panic!("expected a function error");
        };
        assert_eq!(error.kind, "Unhandled");
        assert_eq!(error.message, "Lambda panicked: boom");
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

        let Invocation::FunctionError(error) = function.invoke(event(VALID)).await else {
            panic!("expected a function error");
        };
        assert!(
            error
                .message
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
            function.invoke(event(VALID)).await,
            Invocation::FunctionError(FunctionError::unhandled(
                "Sandbox.Timedout",
                "Task timed out after 3.00 seconds"
            ))
        );
    }
}
