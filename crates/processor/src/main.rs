//! The processor Lambda: configuration and tracing once, then the runtime
//! loop around [`processor::handle`].

use lambda_runtime::{Error, run, service_fn};
use processor::{Config, ElementHandler, LogSink, handle};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let config = Config::from_env()?;
    tracing::info!(schema_mode = %config.schema_mode, "processor configured");
    let handler = ElementHandler::new(LogSink, config.schema_mode);
    run(service_fn(|event| handle(&handler, event))).await
}

/// JSON logs for the function's `LoggingConfig: LogFormat: JSON`, each line
/// carrying the current span (shard and sequence number). The level comes
/// from `RUST_LOG`, else from Lambda's `AWS_LAMBDA_LOG_LEVEL`, else `info`.
fn init_tracing() {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| {
            let level = std::env::var("AWS_LAMBDA_LOG_LEVEL").unwrap_or_else(|_| "info".to_owned());
            EnvFilter::try_new(level.to_ascii_lowercase())
        })
        .unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_target(false)
        .with_current_span(true)
        .with_span_list(false)
        .init();
}
