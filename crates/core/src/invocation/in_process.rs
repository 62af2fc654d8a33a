//! [`InProcessFunction`]: a `lambda_runtime` handler called in this process,
//! seeing exactly what it would see deployed — the adapter of the
//! [`LambdaFunction`] port used by the local ESM, the local SNS → hydrate
//! delivery, `local invoke` and `replay --to-function` on the local stack.
//!
//! What the deployed runtime does, and this adapter repeats:
//! - the event arrives as JSON bytes and is deserialised into the handler's
//!   payload type (a failure is a function error, reported with the
//!   runtime's `errorType` and message);
//! - the handler gets a `Context` with a fresh request id (a UUID v4), the
//!   function ARN, a deadline of now + the function timeout, and the
//!   function's name, memory and version (`$LATEST`);
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
use futures::future::BoxFuture;
use lambda_runtime::{Context, Diagnostic, LambdaEvent};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::answer::{FunctionAnswer, FunctionError};
use super::port::LambdaFunction;
use crate::Arn;

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

    /// The function name: the name in a Lambda function ARN (without its
    /// qualifier), or the whole text when it is not such an ARN (a bare name).
    pub fn function_name(&self) -> &str {
        Arn::parse(&self.function_arn)
            .ok()
            .and_then(|arn| arn.lambda_function())
            .map_or(self.function_arn.as_str(), |function| function.name)
    }
}

/// A `lambda_runtime` handler `Fn(LambdaEvent<E>) -> Future<Result<R, Err>>`
/// as a [`LambdaFunction`].
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

    pub fn settings(&self) -> &FunctionSettings {
        &self.settings
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
        context.request_id = uuid::Uuid::new_v4().to_string();
        context.deadline = deadline;
        context.invoked_function_arn = self.settings.function_arn.clone();
        context.env_config = Arc::clone(&self.config);
        context
    }
}

impl<H, E, Fut, R, Err> LambdaFunction for InProcessFunction<H, E>
where
    H: Fn(LambdaEvent<E>) -> Fut + Send + Sync,
    Fut: Future<Output = Result<R, Err>> + Send + 'static,
    E: DeserializeOwned + Send + 'static,
    R: Serialize + 'static,
    Err: Into<Diagnostic> + 'static,
{
    fn name(&self) -> &str {
        self.settings.function_name()
    }

    fn invoke(&self, event: Vec<u8>) -> BoxFuture<'_, FunctionAnswer> {
        Box::pin(self.run(event))
    }
}

impl<H, E, Fut, R, Err> InProcessFunction<H, E>
where
    H: Fn(LambdaEvent<E>) -> Fut + Send + Sync,
    Fut: Future<Output = Result<R, Err>> + Send + 'static,
    E: DeserializeOwned + Send + 'static,
    R: Serialize + 'static,
    Err: Into<Diagnostic> + 'static,
{
    async fn run(&self, event: Vec<u8>) -> FunctionAnswer {
        let payload: E = match serde_json::from_slice(&event) {
            Ok(payload) => payload,
            Err(error) => {
                return FunctionAnswer::Thrown(FunctionError::new(
                    "&lambda_runtime::deserializer::DeserializeError",
                    format!(
                        "failed to deserialize the incoming data into the function's payload type: {error}\n"
                    ),
                ));
            }
        };
        let event = LambdaEvent::new(payload, self.context());
        // The call itself is guarded too: a handler may panic before it
        // returns its future.
        let call = std::panic::catch_unwind(AssertUnwindSafe(|| (self.handler)(event)));
        let running = match call {
            Ok(future) => AssertUnwindSafe(future).catch_unwind(),
            Err(panic) => return panicked(panic.as_ref()),
        };
        let outcome = match tokio::time::timeout(self.settings.timeout, running).await {
            Ok(outcome) => outcome,
            Err(_) => {
                return FunctionAnswer::Thrown(FunctionError::new(
                    "Sandbox.Timedout",
                    format!(
                        "Task timed out after {:.2} seconds",
                        self.settings.timeout.as_secs_f64()
                    ),
                ));
            }
        };
        match outcome {
            Ok(Ok(response)) => match serde_json::to_vec(&response) {
                Ok(bytes) => FunctionAnswer::Returned(bytes),
                Err(error) => FunctionAnswer::Thrown(FunctionError::new(
                    type_name::<serde_json::Error>(),
                    error.to_string(),
                )),
            },
            Ok(Err(error)) => {
                let diagnostic: Diagnostic = error.into();
                FunctionAnswer::Thrown(FunctionError::new(
                    diagnostic.error_type,
                    diagnostic.error_message,
                ))
            }
            Err(panic) => panicked(panic.as_ref()),
        }
    }
}

/// A panic, reported as lambda_runtime's panic layer reports it.
fn panicked(panic: &(dyn std::any::Any + Send)) -> FunctionAnswer {
    let message = if let Some(text) = panic.downcast_ref::<&str>() {
        format!("Lambda panicked: {text}")
    } else if let Some(text) = panic.downcast_ref::<String>() {
        format!("Lambda panicked: {text}")
    } else {
        "Lambda panicked".to_owned()
    };
    FunctionAnswer::Thrown(FunctionError::new(
        type_name::<&Box<dyn std::any::Any + Send>>(),
        message,
    ))
}

#[cfg(test)]
mod tests;
