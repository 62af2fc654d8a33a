//! `streamdlq local invoke`: one in-process invocation of a function with an
//! event file, its response printed as JSON (like `sam local invoke -e`).
//! The function sees what it would see deployed: a Lambda context with its
//! timeout, and for hydrate the running stack's stream and queues through
//! the environment the template declares. Its own logs go to stderr.
//!
//! For the processor, stderr also gets the verdict on its answer: core's
//! [`AnswerVerdict`], the reading the local ESM and replay share, so a
//! processor's answer is judged here exactly as it will be there.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::{Args, ValueEnum};
use processor::{ElementHandler, LogSink};
use serde_json::Value;
use streamdlq_core::KinesisBatch;
use streamdlq_core::invocation::{
    AnswerVerdict, FunctionAnswer, FunctionSettings, LambdaFunction, PayloadReading,
};
use streamdlq_local::esm::processor_function;
use streamdlq_local::function_env::{FunctionContext, lookup};
use streamdlq_local::stack::DEFAULT_STACK_NAME;
use streamdlq_local::template::ids;
use streamdlq_local::{StackResources, StackTemplate, delivery, project};

use super::StateDir;

/// Which function to invoke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Function {
    /// The processor: a Kinesis event in, a partial batch failure response out.
    Processor,
    /// The hydrate function: an SNS event of OnFailure records in, DLQ
    /// messages written to the running stack's DLQ, a summary out.
    Hydrate,
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

    /// The SAM template that configures the function [default: infra/template.yaml in the project root]
    #[arg(long, value_name = "PATH")]
    template: Option<PathBuf>,
}

impl InvokeArgs {
    pub async fn run(self, dir: &StateDir) -> anyhow::Result<()> {
        let text = std::fs::read_to_string(&self.event)
            .with_context(|| format!("could not read the event file {}", self.event.display()))?;
        serde_json::from_str::<Value>(&text)
            .with_context(|| format!("{} is not JSON", self.event.display()))?;
        let event = text.into_bytes();
        let template_path = self.template.unwrap_or_else(project::default_template);
        let template = StackTemplate::load(&template_path)?;
        let answer = match self.function {
            Function::Processor => {
                let stack_name = dir
                    .load_state()
                    .map_or_else(|_| DEFAULT_STACK_NAME.to_owned(), |state| state.stack_name);
                let config =
                    processor::ProcessorConfig::from_lookup(|name| std::env::var(name).ok())?;
                let settings = FunctionSettings {
                    timeout: template.processor.timeout,
                    ..FunctionSettings::new(format!(
                        "arn:aws:lambda:us-east-1:000000000000:function:{stack_name}-{}",
                        ids::PROCESSOR_FUNCTION
                    ))
                };
                let handler = ElementHandler::new(LogSink, config.schema_mode);
                let answer = processor_function(handler, settings)
                    .invoke(event.clone())
                    .await;
                print_verdict(&event, &answer);
                answer
            }
            Function::Hydrate => {
                let state = dir.load().context(
                    "the hydrate function reads the running stack's stream and writes its DLQ",
                )?;
                let resources = StackResources::from_state(&state, &template);
                let environment =
                    resources.environment(ids::HYDRATE_FUNCTION, &template.hydrate.environment)?;
                let context = FunctionContext {
                    environment,
                    function_arn: resources.function_arn(ids::HYDRATE_FUNCTION),
                    timeout: template.hydrate.timeout,
                    kinesis: state.kinesis_config(),
                    moto: state.moto_config(),
                };
                // Fail here, with the variable named, rather than in the handler.
                hydrate::HydrateConfig::from_lookup(|name| lookup(&context.environment, name))?;
                delivery::hydrate_handler(&context)?.invoke(event).await
            }
        };
        match answer {
            FunctionAnswer::Returned(payload) => {
                let response: Value = if payload.is_empty() {
                    Value::Null
                } else {
                    serde_json::from_slice(&payload)
                        .context("the function answered something that is not JSON")?
                };
                println!("{}", serde_json::to_string_pretty(&response)?);
                Ok(())
            }
            FunctionAnswer::Thrown(error) => {
                println!("{}", serde_json::to_string_pretty(&error.payload())?);
                bail!("the function failed ({})", error.error_type)
            }
            FunctionAnswer::NotInvoked(reason) => bail!("the function was not invoked: {reason}"),
        }
    }
}

/// The verdict on the processor's answer to a Kinesis `event`, on stderr;
/// nothing when the event is not one (the function's own answer says why).
fn print_verdict(event: &[u8], answer: &FunctionAnswer) {
    let Ok(batch) = serde_json::from_slice::<KinesisBatch>(event) else {
        return;
    };
    let sequence_numbers: Vec<_> = batch
        .records()
        .map(|record| &record.sequence_number)
        .collect();
    let verdict = AnswerVerdict::judge(
        answer,
        sequence_numbers.iter().copied(),
        PayloadReading::BatchItemFailures,
    );
    match &verdict {
        AnswerVerdict::PartialFailure { index } => eprintln!(
            "verdict: partial batch failure; the ESM resumes at sequence number {}",
            sequence_numbers[*index]
        ),
        other => eprintln!("verdict: {other}"),
    }
}
