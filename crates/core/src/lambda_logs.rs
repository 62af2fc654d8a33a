//! Logs for a Lambda function configured with `LoggingConfig: LogFormat:
//! JSON`: one JSON object per line, no colour codes, each carrying the
//! current span (shard, sequence number, failure id).

use tracing_subscriber::EnvFilter;

/// Installs the process-wide JSON subscriber. The level comes from
/// `RUST_LOG`, else from Lambda's `AWS_LAMBDA_LOG_LEVEL` (set by the
/// function's `ApplicationLogLevel`), else `info`.
pub fn init_json_logs() {
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
