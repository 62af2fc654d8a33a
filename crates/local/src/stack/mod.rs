//! The whole local stack: emulators, the template's resources and the
//! pipeline around them, owned by one long-running process; and, from any
//! other process, its status and its shutdown through the state file.
//!
//! ```text
//! Stack::start ─▶ emulators ─▶ resources ─▶ delivery loop (SNS ─▶ hydrate)
//!                                         └▶ ESM (stream ─▶ processor ─▶ OnFailure)
//! ```
//!
//! # Layout
//!
//! - [`processes`]: `/proc` views of the state's pids, signalling groups.
//! - [`status`](mod@status): [`status()`], processes, endpoints, queue depths.
//! - [`down`]: [`stop_processes`], exactly what `up` started.

pub mod down;
pub mod processes;
pub mod status;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use aws_config::SdkConfig;
use chrono::{SecondsFormat, Utc};

pub use down::{StopReport, Stopped, stop_processes};
pub use status::{StackStatus, status};

use crate::delivery::{AsyncInvocation, Delivery, DeliveryConfig, DeliveryHandle, SnsFunction};
use crate::emulator::sdk::REGION;
use crate::emulator::{EmulatorError, EmulatorOptions, Emulators};
use crate::resources::{Clients, ResourceError, Resources};
use crate::state::{Endpoints, LocalState, ProcessEntry, STATE_VERSION};
use crate::template::{StackTemplate, TemplateError, ids};

/// The stack name when none is given.
pub const DEFAULT_STACK_NAME: &str = "streamdlq";

/// What a function needs to be built in-process: its resolved environment,
/// as the template declares it, and the SDK configurations of the
/// emulators.
#[derive(Debug, Clone)]
pub struct FunctionContext {
    /// The template's `Environment.Variables`, resolved.
    pub environment: BTreeMap<String, String>,
    /// The function's ARN (unqualified).
    pub function_arn: String,
    /// The template's `Timeout`.
    pub timeout: Duration,
    /// For aws-sdk-kinesis clients.
    pub kinesis: SdkConfig,
    /// For aws-sdk-sns and aws-sdk-sqs clients.
    pub moto: SdkConfig,
}

/// Builds the hydrate function once the resources (and so its environment)
/// exist.
pub type HydrateFactory = Box<
    dyn FnOnce(
            &FunctionContext,
        ) -> Result<Arc<dyn SnsFunction>, Box<dyn std::error::Error + Send + Sync>>
        + Send,
>;

/// How to start a stack.
pub struct StackOptions {
    /// The SAM template.
    pub template: PathBuf,
    /// Prefix of every physical name.
    pub stack_name: String,
    /// Where the emulators come from and log to.
    pub emulators: EmulatorOptions,
    /// The delay before an async invocation's first retry (AWS: ~1 minute).
    pub async_retry_delay: Duration,
    /// Long-poll wait of the delivery loop.
    pub delivery_wait: Duration,
    /// The hydrate function; without it nothing consumes the topic.
    pub hydrate: Option<HydrateFactory>,
}

impl std::fmt::Debug for StackOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StackOptions")
            .field("template", &self.template)
            .field("stack_name", &self.stack_name)
            .field("emulators", &self.emulators)
            .field("async_retry_delay", &self.async_retry_delay)
            .field("delivery_wait", &self.delivery_wait)
            .field("hydrate", &self.hydrate.is_some())
            .finish()
    }
}

/// Starting the stack failed; whatever had started is stopped again.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error("could not start the emulators")]
    Emulators(#[from] EmulatorError),
    #[error("could not create the template's resources")]
    Resources(#[from] ResourceError),
    #[error("could not build the {function} function")]
    Function {
        function: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// A running local stack.
#[derive(Debug)]
pub struct Stack {
    template: StackTemplate,
    emulators: Emulators,
    resources: Resources,
    clients: Clients,
    delivery: Option<DeliveryHandle>,
}

impl Stack {
    /// Starts the emulators, creates the resources and starts the pipeline.
    pub async fn start(options: StackOptions) -> Result<Self, StackError> {
        let template = StackTemplate::load(&options.template)?;
        let emulators = Emulators::start_with(&options.emulators).await?;
        let (kinesis, moto) = (emulators.kinesis_config(), emulators.moto_config());
        let clients = Clients::new(&kinesis, &moto);
        // On any error below, `emulators` is dropped, which stops them.
        let resources = Resources::create(&clients, &template, &options.stack_name).await?;

        let delivery = match options.hydrate {
            None => None,
            Some(factory) => {
                let context = FunctionContext {
                    environment: resources
                        .environment(ids::HYDRATE_FUNCTION, &template.hydrate.environment)?,
                    function_arn: resources.function_arn(ids::HYDRATE_FUNCTION),
                    timeout: template.hydrate.timeout,
                    kinesis: kinesis.clone(),
                    moto: moto.clone(),
                };
                let function = factory(&context).map_err(|source| StackError::Function {
                    function: ids::HYDRATE_FUNCTION,
                    source,
                })?;
                let config = DeliveryConfig {
                    delivery_queue_url: resources.delivery_queue.url.clone(),
                    failure_queue_url: resources.hydrate_failure_queue.url.clone(),
                    subscription_arn: resources.subscription_arn.clone(),
                    invocation: AsyncInvocation::from_template(
                        &template.hydrate,
                        context.function_arn.clone(),
                        options.async_retry_delay,
                    ),
                    wait: options.delivery_wait,
                };
                Some(Delivery::new(clients.sqs.clone(), config, function).spawn())
            }
        };

        tracing::info!(
            stack = %options.stack_name,
            stream = %resources.stream.name,
            shards = template.stream.shard_count,
            "local stack ready"
        );
        Ok(Self {
            template,
            emulators,
            resources,
            clients,
            delivery,
        })
    }

    /// What the template declares.
    pub fn template(&self) -> &StackTemplate {
        &self.template
    }

    /// What was created.
    pub fn resources(&self) -> &Resources {
        &self.resources
    }

    /// SDK clients of the emulators.
    pub fn clients(&self) -> &Clients {
        &self.clients
    }

    /// The emulators.
    pub fn emulators(&self) -> &Emulators {
        &self.emulators
    }

    /// The state file's content, with `owner` (the process that owns the
    /// stack) first.
    pub fn state(&self, owner: ProcessEntry) -> LocalState {
        let emulator = |process: &crate::EmulatorProcess| ProcessEntry {
            name: process.name().to_owned(),
            pid: process.pid(),
            pgid: process.process_group(),
        };
        let resources = &self.resources;
        LocalState {
            version: STATE_VERSION,
            region: REGION.to_owned(),
            endpoints: Endpoints {
                kinesis: self.emulators.kinesis().endpoint_url().to_owned(),
                moto: self.emulators.moto().endpoint_url().to_owned(),
            },
            stack_name: resources.stack_name.clone(),
            stream: resources.stream.clone(),
            topic_arn: resources.topic_arn.clone(),
            dlq_url: resources.dead_letter_queue.url.clone(),
            hydrate_failure_queue_url: resources.hydrate_failure_queue.url.clone(),
            delivery_queue_url: resources.delivery_queue.url.clone(),
            processes: vec![
                owner,
                emulator(self.emulators.kinesis().process()),
                emulator(self.emulators.moto().process()),
            ],
            started_at: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
        }
    }

    /// Stops the pipeline, then the emulators.
    pub async fn stop(self) -> Result<(), EmulatorError> {
        if let Some(delivery) = self.delivery {
            delivery.stop().await;
        }
        self.emulators.stop().await
    }
}
