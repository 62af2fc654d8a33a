//! [`InProcessProcessor`]: the demo processor's Lambda handler called in
//! this process, the local stack's stand-in for invoking the function.
//!
//! It goes through the same JSON as a real invocation: the event is
//! deserialised the way the Lambda runtime does, and the handler's answer
//! (or error) is serialised back, so replay reads it like a Lambda answer.

use lambda_runtime::{Context, LambdaEvent};
use processor::{Config, ElementHandler, ElementSink, LogSink, SchemaMode};
use streamdlq_core::batch::KinesisBatch;

use super::port::{FunctionInvoker, Invocation, InvokeError};

/// The name `--to-function` takes for the in-process processor.
pub const LOCAL_PROCESSOR: &str = "processor";

/// The processor handler, with its own sink and schema mode.
#[derive(Debug)]
pub struct InProcessProcessor<S = LogSink> {
    handler: ElementHandler<S>,
}

impl InProcessProcessor<LogSink> {
    /// The processor as its Lambda would be configured by this process's
    /// environment (`PROCESSOR_SCHEMA_MODE`).
    pub fn from_env() -> anyhow::Result<Self> {
        let config = Config::from_env()?;
        Ok(Self::new(LogSink, config.schema_mode))
    }
}

impl<S> InProcessProcessor<S> {
    pub fn new(sink: S, schema_mode: SchemaMode) -> Self {
        Self {
            handler: ElementHandler::new(sink, schema_mode),
        }
    }

    pub fn handler(&self) -> &ElementHandler<S> {
        &self.handler
    }
}

impl<S: ElementSink + Send + Sync> FunctionInvoker for InProcessProcessor<S> {
    fn name(&self) -> &str {
        LOCAL_PROCESSOR
    }

    async fn invoke(&self, event: String) -> Result<Invocation, InvokeError> {
        let batch: KinesisBatch = match serde_json::from_str(&event) {
            Ok(batch) => batch,
            Err(error) => return Ok(thrown("Runtime.UnmarshalError", &error.to_string())),
        };
        match processor::handle(&self.handler, LambdaEvent::new(batch, Context::default())).await {
            Ok(response) => {
                let payload = serde_json::to_vec(&response)
                    .map_err(|error| InvokeError::Other(error.to_string()))?;
                Ok(Invocation {
                    function_error: None,
                    payload,
                })
            }
            Err(error) => Ok(thrown("Unhandled", &error.to_string())),
        }
    }
}

/// The answer of a function that threw, as Lambda gives it.
fn thrown(kind: &str, message: &str) -> Invocation {
    let payload = serde_json::json!({"errorType": kind, "errorMessage": message});
    Invocation {
        function_error: Some("Unhandled".to_owned()),
        payload: payload.to_string().into_bytes(),
    }
}
