//! The hydrate Lambda's own handler in this process, as core's
//! [`InProcessFunction`] (the same request id, deadline, timeout and panic
//! handling as deployed), configured from the template's environment and
//! reading and writing the emulators.

use std::sync::Arc;

use hydrate::{HydrateConfig, Hydrator, clients};
use lambda_runtime::LambdaEvent;
use streamdlq_core::invocation::{FunctionSettings, InProcessFunction, LambdaFunction};
use streamdlq_core::{KinesisShardReader, SqsDlqSink};

use crate::function_env::{FunctionContext, lookup};

/// The hydrate function as the delivery loop's function.
pub fn hydrate_function(
    context: &FunctionContext,
) -> Result<Arc<dyn LambdaFunction>, hydrate::HydrateConfigError> {
    Ok(Arc::new(hydrate_handler(context)?))
}

/// The hydrate Lambda's handler as a function that answers invocations
/// (for one-off invocations such as `streamdlq local invoke hydrate`).
pub fn hydrate_handler(
    context: &FunctionContext,
) -> Result<impl LambdaFunction + std::fmt::Debug + 'static, hydrate::HydrateConfigError> {
    let config = HydrateConfig::from_lookup(|name| lookup(&context.environment, name))?;
    let reader = KinesisShardReader::new(clients::kinesis(&context.kinesis));
    let sink = SqsDlqSink::new(clients::sqs(&context.moto), config.dlq_url.clone());
    let hydrator = Arc::new(Hydrator::new(reader, sink, config));
    let settings = FunctionSettings {
        timeout: context.timeout,
        ..FunctionSettings::new(context.function_arn.clone())
    };
    Ok(InProcessFunction::new(
        move |event: LambdaEvent<Box<serde_json::value::RawValue>>| {
            let hydrator = Arc::clone(&hydrator);
            async move { hydrate::handler(&hydrator, event).await }
        },
        settings,
    ))
}
