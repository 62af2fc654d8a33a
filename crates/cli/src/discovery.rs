//! Which stream, queue and function a command works on, and how the AWS SDK
//! reaches them, so the same command works against the local stack and a
//! deployed stack alike.
//!
//! Every value is taken from, in order (see [`precedence`]):
//! 1. its flag (`--stream-name` or `--stream-arn`, `--queue-url`);
//! 2. its environment variable (`STREAMDLQ_STREAM_NAME` or
//!    `STREAMDLQ_STREAM_ARN`, `STREAMDLQ_DLQ_URL`);
//! 3. with `--stack NAME` (or `STREAMDLQ_STACK`), the outputs of that
//!    CloudFormation stack; else the local stack's state file
//!    (`--state-file`, else `STREAMDLQ_STATE_FILE`, else
//!    `$STREAMDLQ_STATE_DIR/state.json`, else `.streamdlq/state.json` in this
//!    directory or above), unless `--aws` is given.
//!
//! A named stack wins over the state file: a command pointed at a deployed
//! stack must never quietly act on the local one. With the state file, the
//! SDK clients go to the local emulators with local credentials, and a state
//! whose processes are gone (or whose pids now belong to other processes) is
//! an error; otherwise they use the standard AWS configuration (`AWS_REGION`,
//! `AWS_PROFILE`, `AWS_ENDPOINT_URL`, …, or `--region` and `--profile`).
//!
//! # Layout
//!
//! - this module: [`DiscoveryArgs`], the flags, and [`Resources`], what they
//!   resolve to.
//! - [`precedence`]: flag over environment over stack or state file.
//! - [`stack`]: a deployed stack's outputs.
//! - The state file is `streamdlq_local`'s [`LocalState`], the one reader
//!   `streamdlq local` uses too.

pub mod precedence;
pub mod stack;

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow, bail};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use clap::Args;
use streamdlq_local::LocalState;

use crate::stream::StreamId;
use precedence::{Backing, Choice};
use stack::StackOutputs;

/// The resource flags every command takes. The environment variables are
/// read by [`precedence`], not by clap, so that a flag always wins.
#[derive(Debug, Clone, Default, Args)]
#[command(
    next_help_heading = "Resources (flags, else environment, else --stack or the local stack)"
)]
pub struct DiscoveryArgs {
    /// Kinesis stream by name [env: STREAMDLQ_STREAM_NAME]
    #[arg(long, value_name = "NAME", conflicts_with = "stream_arn")]
    pub stream_name: Option<String>,

    /// Kinesis stream by ARN [env: STREAMDLQ_STREAM_ARN]
    #[arg(long, value_name = "ARN")]
    pub stream_arn: Option<String>,

    /// URL of the DLQ, the SQS queue the hydrate function writes to [env: STREAMDLQ_DLQ_URL]
    #[arg(long, value_name = "URL")]
    pub queue_url: Option<String>,

    /// Take what is not given from this CloudFormation stack's outputs [env: STREAMDLQ_STACK]
    #[arg(long, value_name = "NAME", conflicts_with_all = ["state_file", "aws"])]
    pub stack: Option<String>,

    /// The local stack's state file [env: STREAMDLQ_STATE_FILE] [default: .streamdlq/state.json here or above]
    #[arg(long, value_name = "PATH", conflicts_with = "aws")]
    pub state_file: Option<PathBuf>,

    /// Ignore the local stack and use the standard AWS configuration
    #[arg(long)]
    pub aws: bool,

    /// AWS region (else the standard AWS configuration)
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// AWS named profile (else AWS_PROFILE)
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
}

/// Where the resources came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The local stack described by this state file.
    Local { state_file: PathBuf },
    /// A deployed CloudFormation stack.
    Stack { name: String },
    /// Flags and environment only, standard AWS configuration.
    Aws,
}

impl Origin {
    pub fn is_local(&self) -> bool {
        matches!(self, Self::Local { .. })
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Local { state_file } => {
                write!(f, "the local stack ({})", state_file.display())
            }
            Self::Stack { name } => write!(f, "stack {name}"),
            Self::Aws => f.write_str("AWS"),
        }
    }
}

/// What a command works on, and the SDK configurations that reach it.
#[derive(Debug, Clone)]
pub struct Resources {
    pub origin: Origin,
    /// For aws-sdk-kinesis.
    pub kinesis_config: SdkConfig,
    /// For aws-sdk-sqs.
    pub sqs_config: SdkConfig,
    /// For aws-sdk-dynamodbstreams: the table streams a failure may name.
    pub dynamodb_streams_config: SdkConfig,
    /// For aws-sdk-lambda; `None` on the local stack, whose processor runs
    /// in this process.
    pub lambda_config: Option<SdkConfig>,
    pub stream: Option<StreamId>,
    pub dlq_url: Option<String>,
    /// The stack's processor function, for `replay --to-function processor`.
    pub processor_function: Option<String>,
}

impl Resources {
    /// Resolves the resources as described in the module docs, with this
    /// process's environment.
    pub async fn discover(args: &DiscoveryArgs) -> anyhow::Result<Self> {
        let choice = precedence::choose(args, &|name| std::env::var(name).ok())?;
        let state_file = match &choice.backing {
            Backing::Stack(stack_name) => {
                let config = aws_config(args).await;
                let client = aws_sdk_cloudformation::Client::new(&config);
                let outputs = StackOutputs::describe(&client, stack_name).await?;
                return Ok(Self::from_stack(config, &outputs, choice));
            }
            Backing::StateFile(path) => Some(path.clone()),
            Backing::FindStateFile => std::env::current_dir()
                .ok()
                .and_then(|dir| LocalState::find_from(&dir)),
            Backing::Aws => None,
        };
        if let Some(path) = state_file {
            let state = running_state(&path)?;
            return Ok(Self::from_state(path, &state, choice));
        }
        let config = aws_config(args).await;
        Ok(Self {
            origin: Origin::Aws,
            kinesis_config: config.clone(),
            sqs_config: config.clone(),
            dynamodb_streams_config: config.clone(),
            lambda_config: Some(config),
            stream: choice.stream,
            dlq_url: choice.queue_url,
            processor_function: None,
        })
    }

    /// Resources of a local stack state, after what flags and environment
    /// chose.
    pub fn from_state(path: PathBuf, state: &LocalState, choice: Choice) -> Self {
        Self {
            origin: Origin::Local { state_file: path },
            kinesis_config: state.kinesis_config(),
            sqs_config: state.moto_config(),
            // moto serves the local stack's table streams.
            dynamodb_streams_config: state.moto_config(),
            lambda_config: None,
            stream: choice
                .stream
                .or_else(|| Some(StreamId::Arn(state.stream.arn.clone()))),
            dlq_url: choice.queue_url.or_else(|| Some(state.dlq_url.clone())),
            processor_function: Some(crate::invoke::LOCAL_PROCESSOR.to_owned()),
        }
    }

    fn from_stack(config: SdkConfig, outputs: &StackOutputs, choice: Choice) -> Self {
        let stack_stream = outputs
            .get(stack::OUTPUT_STREAM_ARN)
            .map(|arn| StreamId::Arn(arn.to_owned()))
            .or_else(|| {
                outputs
                    .get(stack::OUTPUT_STREAM_NAME)
                    .map(|name| StreamId::Name(name.to_owned()))
            });
        Self {
            origin: Origin::Stack {
                name: outputs.stack.clone(),
            },
            kinesis_config: config.clone(),
            sqs_config: config.clone(),
            dynamodb_streams_config: config.clone(),
            lambda_config: Some(config),
            stream: choice.stream.or(stack_stream),
            dlq_url: choice
                .queue_url
                .or_else(|| outputs.get(stack::OUTPUT_DLQ_URL).map(str::to_owned)),
            processor_function: outputs
                .get(stack::OUTPUT_PROCESSOR_FUNCTION_NAME)
                .map(str::to_owned),
        }
    }

    /// The stream, or what to do when there is none.
    pub fn stream(&self) -> anyhow::Result<&StreamId> {
        self.stream.as_ref().ok_or_else(|| match &self.origin {
            Origin::Stack { name } => anyhow!(
                "no stream found: stack {name} has no {} output; pass --stream-name",
                stack::OUTPUT_STREAM_ARN
            ),
            _ => anyhow!("no stream found: pass --stream-name or run `streamdlq local up`"),
        })
    }

    /// The DLQ URL, or what to do when there is none.
    pub fn dlq_url(&self) -> anyhow::Result<&str> {
        self.dlq_url.as_deref().ok_or_else(|| match &self.origin {
            Origin::Stack { name } => anyhow!(
                "no DLQ found: stack {name} has no {} output; pass --queue-url",
                stack::OUTPUT_DLQ_URL
            ),
            _ => anyhow!("no DLQ found: pass --queue-url or run `streamdlq local up`"),
        })
    }

    pub fn kinesis_client(&self) -> aws_sdk_kinesis::Client {
        aws_sdk_kinesis::Client::new(&self.kinesis_config)
    }

    pub fn sqs_client(&self) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::new(&self.sqs_config)
    }

    /// A Lambda client, unless the resources are local.
    pub fn lambda_client(&self) -> anyhow::Result<aws_sdk_lambda::Client> {
        self.lambda_config
            .as_ref()
            .map(aws_sdk_lambda::Client::new)
            .context("the local stack has no Lambda service: use `--to-function processor`")
    }
}

/// The state of `path`, if its stack still runs.
fn running_state(path: &Path) -> anyhow::Result<LocalState> {
    let state = LocalState::load_from(path)?;
    // The directory `serve` was started with, spelled as it spells it.
    let dir = path.parent().unwrap_or(Path::new("."));
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    if !state.is_running(&dir) {
        bail!(
            "the local stack in {} is not running: run `streamdlq local up`",
            path.display()
        );
    }
    Ok(state)
}

async fn aws_config(args: &DiscoveryArgs) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = &args.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(profile) = &args.profile {
        loader = loader.profile_name(profile);
    }
    loader.load().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> LocalState {
        serde_json::from_str(
            r#"{"version": 1, "region": "us-east-1",
                "endpoints": {"kinesis": "http://127.0.0.1:1", "moto": "http://127.0.0.1:2"},
                "stackName": "streamdlq",
                "stream": {"name": "demo", "arn": "arn:aws:kinesis:us-east-1:000000000000:stream/demo"},
                "topicArn": "arn:aws:sns:us-east-1:000000000000:topic",
                "dlqUrl": "http://127.0.0.1:2/000000000000/dlq",
                "hydrateFailureQueueUrl": "http://127.0.0.1:2/000000000000/hydrate-failures",
                "deliveryQueueUrl": "http://127.0.0.1:2/000000000000/delivery",
                "processes": [],
                "startedAt": "2026-11-23T10:00:00.000Z"}"#,
        )
        .expect("state")
    }

    fn chosen(stream: Option<StreamId>, queue_url: Option<&str>) -> Choice {
        Choice {
            stream,
            queue_url: queue_url.map(str::to_owned),
            backing: Backing::FindStateFile,
        }
    }

    /// The state file fills what flags and environment leave open, and
    /// never overrides what they chose.
    #[test]
    fn the_local_state_fills_only_what_was_not_chosen() {
        let local = Resources::from_state("s.json".into(), &state(), chosen(None, None));
        assert_eq!(
            local.dlq_url().ok(),
            Some("http://127.0.0.1:2/000000000000/dlq")
        );
        assert_eq!(local.stream().ok().map(StreamId::name), Some("demo"));
        assert!(local.origin.is_local());

        let choice = chosen(
            Some(StreamId::Name("other".into())),
            Some("http://elsewhere/q"),
        );
        let flagged = Resources::from_state("s.json".into(), &state(), choice);
        assert_eq!(flagged.dlq_url().ok(), Some("http://elsewhere/q"));
        assert_eq!(flagged.stream().ok(), Some(&StreamId::Name("other".into())));
    }

    /// A state file whose processes no longer run is refused with the
    /// command that starts a stack.
    #[test]
    fn refuses_the_state_of_a_stack_that_is_not_running() {
        let dir = std::env::temp_dir().join(format!("streamdlq-discovery-{}", std::process::id()));
        let path = dir.join("state.json");
        state().save_to(&path).expect("saves");
        let error = running_state(&path).expect_err("not running");
        std::fs::remove_dir_all(&dir).expect("cleans up");
        assert_eq!(
            error.to_string(),
            format!(
                "the local stack in {} is not running: run `streamdlq local up`",
                path.display()
            )
        );
    }

    /// Stack outputs fill what the flags leave open, by their output names.
    #[test]
    fn reads_stack_outputs_by_name() {
        let outputs = StackOutputs {
            stack: "prod".into(),
            outputs: [
                (
                    "StreamArn",
                    "arn:aws:kinesis:eu-west-1:123456789012:stream/orders",
                ),
                (
                    "DlqUrl",
                    "https://sqs.eu-west-1.amazonaws.com/123456789012/dlq",
                ),
                ("ProcessorFunctionName", "prod-processor"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .into(),
        };
        let config = SdkConfig::builder().build();
        let resources = Resources::from_stack(config, &outputs, chosen(None, None));
        assert_eq!(resources.stream().ok().map(StreamId::name), Some("orders"));
        assert_eq!(
            resources.dlq_url().ok(),
            Some("https://sqs.eu-west-1.amazonaws.com/123456789012/dlq")
        );
        assert_eq!(
            resources.processor_function.as_deref(),
            Some("prod-processor")
        );
    }

    /// Without any source the error says what to pass or run.
    #[test]
    fn says_what_to_do_when_nothing_is_found() {
        let config = SdkConfig::builder().build();
        let resources = Resources {
            origin: Origin::Aws,
            kinesis_config: config.clone(),
            sqs_config: config.clone(),
            dynamodb_streams_config: config,
            lambda_config: None,
            stream: None,
            dlq_url: None,
            processor_function: None,
        };
        assert_eq!(
            resources.dlq_url().expect_err("none").to_string(),
            "no DLQ found: pass --queue-url or run `streamdlq local up`"
        );
        assert_eq!(
            resources.stream().expect_err("none").to_string(),
            "no stream found: pass --stream-name or run `streamdlq local up`"
        );
    }
}
