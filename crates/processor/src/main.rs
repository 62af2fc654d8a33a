//! The processor Lambda: configuration and tracing once, then the runtime
//! loop around [`processor::handle`].

use lambda_runtime::{Error, Runtime, layers::TracingLayer, service_fn};
use processor::{
    ElementHandler, EventBodyLayer, LogSink, ProcessorConfig, handle_body,
    timing::InvocationTimingLayer,
};

// One thread: the function handles one invocation at a time, and the
// Runtime API client's connection then runs on the thread that waits for it
// (no hand-off of the 6 MB event between threads) with one malloc arena.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    streamdlq_core::lambda_logs::init_json_logs();
    let config = ProcessorConfig::from_env()?;
    tracing::info!(schema_mode = %config.schema_mode, "processor configured");
    let handler = ElementHandler::new(LogSink, config.schema_mode)
        .with_metrics(std::sync::Arc::new(streamdlq_core::StdoutMetrics));
    // What `lambda_runtime::run` builds, plus the event's bytes handed to
    // the handler and the invocation timing (outermost: it sees the event).
    Runtime::new(service_fn(|event| handle_body(&handler, event)))
        .layer(TracingLayer::new())
        .layer(EventBodyLayer)
        .layer(InvocationTimingLayer)
        .run()
        .await
}
