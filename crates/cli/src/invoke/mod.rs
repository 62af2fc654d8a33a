//! The function `replay --to-function` invokes, built on core's invocation
//! contract (`streamdlq_core::invocation`): the Kinesis event, the function
//! port and the verdict on its answer all come from there; this module only
//! chooses the adapter.
//!
//! - On the local stack, `processor` is the demo processor in this process
//!   ([`local_processor`]): core's in-process adapter, with the template's
//!   timeout and panics as function errors, and the same execution role in
//!   `invokeIdentityArn` as the local ESM gives it; `table-processor` is the
//!   demo table's consumer ([`local_table_processor`]), for DynamoDB
//!   Streams failures.
//! - Elsewhere, any function by name or ARN through the Lambda Invoke API
//!   ([`deployed_function`]), its execution role read with
//!   `GetFunctionConfiguration` when the caller may.

use std::path::Path;

use aws_sdk_lambda::Client;
use processor::{ElementHandler, LogSink};
use streamdlq_core::invocation::{FunctionSettings, LambdaFunction};
use streamdlq_emulators::sdk::{ACCOUNT_ID, REGION};
use streamdlq_local::esm::{EsmTarget, processor_function, table_processor_function};
use streamdlq_local::stack::DEFAULT_STACK_NAME;
use streamdlq_local::template::ids;
use streamdlq_local::{InvokeApiFunction, LocalState, StackTemplate, project};

/// The name `--to-function` takes for the in-process processor.
pub const LOCAL_PROCESSOR: &str = "processor";

/// The name `--to-function` takes for the in-process table processor, the
/// demo table stream's consumer.
pub const LOCAL_TABLE_PROCESSOR: &str = "table-processor";

/// A function to replay into, and the role its events name.
pub struct ReplayFunction {
    /// The function as the summary names it.
    pub name: String,
    pub function: Box<dyn LambdaFunction>,
    /// `invokeIdentityArn` of the events: the function's execution role,
    /// when it is known.
    pub invoke_identity_arn: Option<String>,
}

impl std::fmt::Debug for ReplayFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplayFunction")
            .field("name", &self.name)
            .field("invoke_identity_arn", &self.invoke_identity_arn)
            .finish()
    }
}

/// The demo processor of the local stack whose state file is `state_file`
/// and whose stream is `stream_arn`, configured by this process's
/// environment (`PROCESSOR_SCHEMA_MODE`), with the template's timeout.
pub fn local_processor(state_file: &Path, stream_arn: &str) -> anyhow::Result<ReplayFunction> {
    let config = processor::ProcessorConfig::from_env()?;
    let stack_name = LocalState::load_from(state_file)
        .map_or_else(|_| DEFAULT_STACK_NAME.to_owned(), |state| state.stack_name);
    let function_arn = format!(
        "arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{stack_name}-{}",
        ids::PROCESSOR_FUNCTION
    );
    let mut settings = FunctionSettings::new(function_arn.clone());
    match StackTemplate::load(&project::default_template()) {
        Ok(template) => settings.timeout = template.processor.timeout,
        Err(error) => tracing::warn!(
            %error,
            timeout_s = settings.timeout.as_secs(),
            "no template for the processor's timeout; using Lambda's default"
        ),
    }
    let invoke_identity_arn = EsmTarget::new(stream_arn, &function_arn)
        .ok()
        .map(|target| target.invoke_identity_arn);
    let handler = ElementHandler::new(LogSink, config.schema_mode);
    Ok(ReplayFunction {
        name: LOCAL_PROCESSOR.to_owned(),
        function: Box::new(processor_function(handler, settings)),
        invoke_identity_arn,
    })
}

/// The demo table processor of the local stack whose state file is
/// `state_file`, configured like [`local_processor`]. Its events carry no
/// `invokeIdentityArn` (DynamoDB Streams events have none).
pub fn local_table_processor(state_file: &Path) -> anyhow::Result<ReplayFunction> {
    let config = processor::ProcessorConfig::from_env()?;
    let stack_name = LocalState::load_from(state_file)
        .map_or_else(|_| DEFAULT_STACK_NAME.to_owned(), |state| state.stack_name);
    let function_arn = format!(
        "arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{stack_name}-{}",
        ids::TABLE_PROCESSOR_FUNCTION
    );
    let mut settings = FunctionSettings::new(function_arn);
    if let Ok(template) = StackTemplate::load(&project::default_template())
        && let Some(table) = template.table
    {
        settings.timeout = table.processor_timeout;
    }
    let handler = ElementHandler::new(LogSink, config.schema_mode);
    Ok(ReplayFunction {
        name: LOCAL_TABLE_PROCESSOR.to_owned(),
        function: Box::new(table_processor_function(handler, settings)),
        invoke_identity_arn: None,
    })
}

/// The function `name` (or ARN) behind the Lambda Invoke API of `client`.
/// Its execution role comes from `GetFunctionConfiguration`; without the
/// permission the events go without `invokeIdentityArn` (a warning says so),
/// which no consumer needs to process records.
pub async fn deployed_function(client: Client, name: String) -> ReplayFunction {
    let role = client
        .get_function_configuration()
        .function_name(&name)
        .send()
        .await;
    let invoke_identity_arn = match role {
        Ok(configuration) => configuration.role,
        Err(error) => {
            tracing::warn!(
                function = %name,
                error = %crate::aws_error::describe(&error),
                "cannot read the function's execution role; events go without invokeIdentityArn"
            );
            None
        }
    };
    ReplayFunction {
        function: Box::new(InvokeApiFunction::new(client, name.clone())),
        name,
        invoke_identity_arn,
    }
}
