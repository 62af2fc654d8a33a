//! The table processor Lambda: the demo's DynamoDB Streams consumer
//! ([`processor::table`]), configured like the Kinesis processor
//! (`PROCESSOR_SCHEMA_MODE`).

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use processor::table::{TableEvent, handle_table_event};
use processor::{ElementHandler, LogSink, ProcessorConfig};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    streamdlq_core::lambda_logs::init_json_logs();
    let config = ProcessorConfig::from_env()?;
    tracing::info!(schema_mode = %config.schema_mode, "table processor configured");
    let handler = ElementHandler::new(LogSink, config.schema_mode);
    run(service_fn(|event: LambdaEvent<TableEvent>| {
        handle_table_event(&handler, event.payload)
    }))
    .await
}
