//! Functions run in this process as asynchronous (SNS) invocations: any
//! `lambda_runtime` handler through the ESM's [`InProcessFunction`] (the
//! same request id, deadline, timeout and panic handling as deployed), and
//! [`hydrate_function`], the hydrate Lambda's own handler.

use std::sync::Arc;

use aws_lambda_events::sns::SnsEvent;
use futures::future::BoxFuture;
use hydrate::{Config, Hydrator, clients};
use lambda_runtime::LambdaEvent;
use streamdlq_core::{KinesisShardReader, SqsDlqSink};

use super::function::{FunctionError, SnsFunction};
use crate::esm::{FunctionSettings, InProcessFunction, Invocation, StreamFunction};
use crate::stack::FunctionContext;

/// A function that answers Lambda invocations (the ESM's port), invoked
/// with SNS events. Its response is ignored, as an async invocation's is.
#[derive(Debug)]
pub struct AsyncFunction<F>(F);

impl<F> AsyncFunction<F> {
    pub fn new(function: F) -> Self {
        Self(function)
    }
}

impl<F: StreamFunction> SnsFunction for AsyncFunction<F> {
    fn invoke(&self, event: SnsEvent) -> BoxFuture<'_, Result<(), FunctionError>> {
        Box::pin(async move {
            let event = serde_json::to_value(&event)
                .map_err(|error| FunctionError::new("SerializationError", error.to_string()))?;
            match self.0.invoke(event).await {
                Invocation::Ok(_) => Ok(()),
                Invocation::FunctionError(error) => {
                    Err(FunctionError::new(error.error_type, error.message))
                }
                // Counted as an attempt here; AWS retries throttled async
                // invocations for up to six hours without counting them.
                Invocation::NotInvoked(reason) => {
                    Err(FunctionError::new("Lambda.NotInvoked", reason))
                }
            }
        })
    }
}

/// The hydrate Lambda's handler, configured from the template's environment
/// and reading and writing the emulators, as the delivery loop's function.
pub fn hydrate_function(
    context: &FunctionContext,
) -> Result<Arc<dyn SnsFunction>, hydrate::ConfigError> {
    Ok(Arc::new(AsyncFunction::new(hydrate_handler(context)?)))
}

/// The hydrate Lambda's handler as a function that answers invocations
/// (for one-off invocations such as `streamdlq local invoke hydrate`).
pub fn hydrate_handler(
    context: &FunctionContext,
) -> Result<impl StreamFunction + std::fmt::Debug + 'static, hydrate::ConfigError> {
    let config = Config::from_lookup(|name| crate::stack::lookup(&context.environment, name))?;
    let reader = KinesisShardReader::new(clients::kinesis(&context.kinesis));
    let sink = SqsDlqSink::new(clients::sqs(&context.moto), config.dlq_url.clone());
    let hydrator = Arc::new(Hydrator::new(reader, sink, config));
    let settings = FunctionSettings {
        timeout: context.timeout,
        ..FunctionSettings::new(context.function_arn.clone())
    };
    Ok(InProcessFunction::new(
        move |event: LambdaEvent<SnsEvent>| {
            let hydrator = Arc::clone(&hydrator);
            async move { hydrate::handler(&hydrator, event).await }
        },
        settings,
    ))
}
