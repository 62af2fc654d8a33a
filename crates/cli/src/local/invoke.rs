//! `streamdlq local invoke`: one in-process invocation of a function with an
//! event file, its response printed as JSON (like `sam local invoke -e`).
//! The function's own logs go to stderr.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use lambda_runtime::{Context, LambdaEvent};
use processor::{Config, ElementHandler, LogSink};
use streamdlq_core::KinesisBatch;
use streamdlq_local::StackTemplate;
use streamdlq_local::delivery::invoke::request_id;
use streamdlq_local::emulator::sdk::{ACCOUNT_ID, REGION};
use streamdlq_local::project;
use streamdlq_local::stack::DEFAULT_STACK_NAME;
use streamdlq_local::template::ids;

use super::StateDir;

/// Which function to invoke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Function {
    /// The processor: a Kinesis event in, a partial batch failure response out.
    Processor,
}

/// Arguments of `streamdlq local invoke`.
#[derive(Debug, Args)]
pub struct InvokeArgs {
    /// The function to invoke
    #[arg(value_enum)]
    function: Function,

    /// The event, a JSON file (see `events/`)
    #[arg(long, short = 'e', value_name = "FILE")]
    event: PathBuf,

    /// The SAM template that sets the function's timeout [default: infra/template.yaml in the project root]
    #[arg(long, value_name = "PATH")]
    template: Option<PathBuf>,
}

impl InvokeArgs {
    pub async fn run(self, dir: &StateDir) -> anyhow::Result<()> {
        let text = std::fs::read_to_string(&self.event)
            .with_context(|| format!("could not read the event file {}", self.event.display()))?;
        let template_path = self.template.unwrap_or_else(project::default_template);
        let template = StackTemplate::load(&template_path)?;
        let response = match self.function {
            Function::Processor => {
                let event: KinesisBatch = serde_json::from_str(&text)
                    .with_context(|| format!("{} is not a Kinesis event", self.event.display()))?;
                let config = Config::from_env()?;
                let handler = ElementHandler::new(LogSink, config.schema_mode);
                let context = context(dir, ids::PROCESSOR_FUNCTION, template.processor.timeout);
                let response = processor::handle(&handler, LambdaEvent::new(event, context))
                    .await
                    .map_err(|error| anyhow::anyhow!("the processor failed: {error}"))?;
                serde_json::to_value(response)?
            }
        };
        println!("{}", serde_json::to_string_pretty(&response)?);
        Ok(())
    }
}

/// A Lambda context with a fresh request id, the function's ARN (named
/// after the running stack, if any) and its deadline.
fn context(dir: &StateDir, logical_id: &str, timeout: Duration) -> Context {
    let stack_name = dir
        .load_state()
        .map_or_else(|_| DEFAULT_STACK_NAME.to_owned(), |state| state.stack_name);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let mut context = Context::default();
    context.request_id = request_id();
    context.deadline = u64::try_from((now + timeout).as_millis()).unwrap_or(u64::MAX);
    context.invoked_function_arn =
        format!("arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{stack_name}-{logical_id}");
    context
}
