//! The whole local stack: emulators, the template's resources and the
//! pipeline around them, owned by one long-running process; and, from any
//! other process, its status and its shutdown through the state file.
//!
//! ```text
//! Stack::start ─▶ emulators ─▶ resources ─▶ delivery (topic, queue or bucket ─▶ hydrate)
//!                                         └▶ ESM (stream ─▶ processor ─▶ OnFailure)
//! ```
//!
//! # Layout
//!
//! - [`status`](mod@status): [`status()`], processes, endpoints, queue depths.
//! - [`down`]: [`stop_processes`], exactly what `up` started, signalling
//!   only pids that [`crate::state::liveness`] still finds to be the stack's.

pub mod down;
pub mod status;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use aws_config::SdkConfig;
use chrono::{SecondsFormat, Utc};

pub use down::{StopReport, Stopped, stop_processes};
pub use status::{StackStatus, status};

use processor::{ElementHandler, LogSink};
use streamdlq_core::{DynamoDbShardReader, KinesisShardReader};
use streamdlq_emulators::sdk::REGION;
use streamdlq_emulators::{EmulatorError, EmulatorOptions, EmulatorProcess, Emulators};

use crate::delivery::{
    AsyncInvocation, AsyncSource, Delivery, DeliveryConfig, DeliveryHandle, SqsEventSource,
    SqsSourceConfig,
};
use crate::esm::{
    AnyDestination, Esm, EsmConfig, EsmConfigError, EsmHandle, EsmTarget, FunctionSettings,
    InvokeApiFunction, S3Destination, SnsDestination, SqsDestination, processor_function,
    table_processor_function,
};
pub use crate::function_env::{FunctionContext, lookup};
use crate::resources::{Clients, CreatedDestination, ResourceError, StackResources};
use crate::state::{Endpoints, LocalState, ProcessEntry, STATE_VERSION};
use crate::template::failure_path::check_wiring;
use crate::template::{HydrateTrigger, StackTemplate, TemplateError, ids};
use streamdlq_core::invocation::LambdaFunction;

/// The stack name when none is given.
pub const DEFAULT_STACK_NAME: &str = "streamdlq";

/// The function the event source mapping drives.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ProcessorTarget {
    /// The processor crate's handler, in this process: the function the
    /// Lambda binary runs.
    #[default]
    InProcess,
    /// Any function behind the Lambda Invoke API (`cargo lambda watch`,
    /// `sam local start-lambda`), in any language.
    InvokeApi {
        endpoint_url: String,
        function_name: String,
    },
}

/// Builds the hydrate function once the resources (and so its environment)
/// exist.
pub type HydrateFactory = Box<
    dyn FnOnce(
            &FunctionContext,
        ) -> Result<Arc<dyn LambdaFunction>, Box<dyn std::error::Error + Send + Sync>>
        + Send,
>;

/// The hydrate Lambda's own handler, in this process: the default.
pub fn in_process_hydrate() -> HydrateFactory {
    Box::new(|context| Ok(crate::delivery::hydrate_function(context)?))
}

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
    /// The function the ESM invokes with the stream's batches.
    pub processor: ProcessorTarget,
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
            .field("processor", &self.processor)
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
    #[error("the template's event source mapping cannot run locally")]
    Esm(#[from] EsmConfigError),
    #[error(
        "the local stack needs ProcessorFunction's OnFailure destination to be a topic, queue or bucket of the template, not {0}"
    )]
    OnFailureDestination(String),
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
    resources: StackResources,
    clients: Clients,
    esm: EsmHandle,
    /// The table stream's mapping, when the template has a table.
    table_esm: Option<EsmHandle>,
    delivery: Option<DeliveryHandle>,
}

impl Stack {
    /// Starts the emulators, creates the resources and starts the pipeline.
    pub async fn start(mut options: StackOptions) -> Result<Self, StackError> {
        let template = StackTemplate::load(&options.template)?;
        // Before anything starts: failures that would reach no hydrate
        // function are refused, not discovered later.
        check_wiring(template.failure_target.as_ref(), &template.hydrate.trigger)?;
        let emulators = Emulators::start_with(&options.emulators).await?;
        let (kinesis, moto) = (emulators.kinesis_config(), emulators.moto_config());
        let clients = Clients::new(&kinesis, &moto);
        // On any error below, `emulators` is dropped, which stops them.
        let resources = StackResources::create(&clients, &template, &options.stack_name).await?;

        let (kinesis, moto) = (kinesis.clone(), moto.clone());
        let delivery = match options.hydrate.take() {
            None => None,
            Some(factory) => Some(start_delivery(
                &template, &resources, &clients, factory, &options, kinesis, moto,
            )?),
        };
        let esm = start_esm(&template, &resources, &clients, &options.processor)?;
        let table_esm = start_table_esm(&template, &resources, &clients)?;

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
            esm,
            table_esm,
            delivery,
        })
    }

    /// What the template declares.
    pub fn template(&self) -> &StackTemplate {
        &self.template
    }

    /// What was created.
    pub fn resources(&self) -> &StackResources {
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
        let emulator = |process: &EmulatorProcess| ProcessEntry {
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
            table: resources.table.clone(),
        }
    }

    /// What the event source mapping has done so far.
    pub fn esm(&self) -> &EsmHandle {
        &self.esm
    }

    /// What the table stream's event source mapping has done so far, when
    /// the template has a table.
    pub fn table_esm(&self) -> Option<&EsmHandle> {
        self.table_esm.as_ref()
    }

    /// Stops the pipeline (the ESMs first, so that nothing new is
    /// published), then the emulators.
    pub async fn stop(self) -> Result<(), EmulatorError> {
        self.esm.stop().await;
        if let Some(table_esm) = self.table_esm {
            table_esm.stop().await;
        }
        if let Some(delivery) = self.delivery {
            delivery.stop().await;
        }
        self.emulators.stop().await
    }
}

/// The ESM of the template's Kinesis event: the stream's batches to the
/// processor, what it gives up on to the OnFailure topic.
fn start_esm(
    template: &StackTemplate,
    resources: &StackResources,
    clients: &Clients,
    processor: &ProcessorTarget,
) -> Result<EsmHandle, StackError> {
    let spec = &template.processor.esm;
    let target = spec
        .on_failure
        .as_ref()
        .filter(|destination| {
            resources.lookup(&destination.target).is_some()
                && destination.target.logical_id == resources.failure_destination.logical_id()
        })
        .ok_or_else(|| {
            StackError::OnFailureDestination(spec.on_failure.as_ref().map_or_else(
                || "none".to_owned(),
                |destination| format!("{} {}", destination.kind, destination.target),
            ))
        })?;
    let destination = mapping_destination(resources, clients);
    tracing::info!(kind = destination.kind(), target = %target.target, "OnFailure destination");
    let function_arn = resources.function_arn(ids::PROCESSOR_FUNCTION);
    let esm = Esm::new(
        EsmConfig::new(spec.settings.clone()),
        EsmTarget::new(resources.stream.arn.clone(), function_arn.clone())?,
    )?;
    let reader = KinesisShardReader::new(clients.kinesis.clone());
    Ok(match processor {
        ProcessorTarget::InProcess => {
            let environment =
                resources.environment(ids::PROCESSOR_FUNCTION, &template.processor.environment)?;
            let config = processor::ProcessorConfig::from_lookup(|name| lookup(&environment, name))
                .map_err(|source| StackError::Function {
                    function: ids::PROCESSOR_FUNCTION,
                    source: Box::new(source),
                })?;
            let settings = FunctionSettings {
                timeout: template.processor.timeout,
                ..FunctionSettings::new(function_arn)
            };
            let handler = ElementHandler::new(LogSink, config.schema_mode);
            esm.start(reader, processor_function(handler, settings), destination)
        }
        ProcessorTarget::InvokeApi {
            endpoint_url,
            function_name,
        } => esm.start(
            reader,
            InvokeApiFunction::local(endpoint_url, function_name.clone()),
            destination,
        ),
    })
}

/// The created OnFailure destination, as one mapping's adapter.
fn mapping_destination(resources: &StackResources, clients: &Clients) -> AnyDestination {
    match &resources.failure_destination {
        CreatedDestination::Topic { arn, .. } => {
            AnyDestination::Sns(SnsDestination::new(clients.sns.clone(), arn))
        }
        CreatedDestination::Queue { queue, .. } => {
            AnyDestination::Sqs(SqsDestination::new(clients.sqs.clone(), &queue.url))
        }
        // The mapping's UUID leads every object key; a local mapping gets a
        // new one each time it is created, as on AWS.
        CreatedDestination::Bucket { name, .. } => AnyDestination::S3(S3Destination::new(
            clients.s3.clone(),
            name,
            uuid::Uuid::new_v4().to_string(),
        )),
    }
}

/// The ESM of the table processor's DynamoDB event: the table stream's
/// batches (read from moto's DynamoDB Streams) to the table processor in
/// this process, what it gives up on to the same OnFailure destination as
/// the Kinesis mapping (the template reader checked that it is the same).
/// `--processor-endpoint` replaces the Kinesis processor only.
fn start_table_esm(
    template: &StackTemplate,
    resources: &StackResources,
    clients: &Clients,
) -> Result<Option<EsmHandle>, StackError> {
    let (Some(spec), Some(table)) = (&template.table, &resources.table) else {
        return Ok(None);
    };
    let function_arn = resources.function_arn(ids::TABLE_PROCESSOR_FUNCTION);
    let esm = Esm::new(
        EsmConfig::new(spec.esm.settings.clone()),
        EsmTarget::new(table.stream_arn.clone(), function_arn.clone())?,
    )?;
    let environment =
        resources.environment(ids::TABLE_PROCESSOR_FUNCTION, &spec.processor_environment)?;
    let config = processor::ProcessorConfig::from_lookup(|name| lookup(&environment, name))
        .map_err(|source| StackError::Function {
            function: ids::TABLE_PROCESSOR_FUNCTION,
            source: Box::new(source),
        })?;
    let settings = FunctionSettings {
        timeout: spec.processor_timeout,
        ..FunctionSettings::new(function_arn)
    };
    let handler = ElementHandler::new(LogSink, config.schema_mode);
    let reader = DynamoDbShardReader::new(clients.dynamodb_streams.clone());
    tracing::info!(table = %table.name, stream_arn = %table.stream_arn, "table stream mapping");
    Ok(Some(esm.start(
        reader,
        table_processor_function(handler, settings),
        mapping_destination(resources, clients),
    )))
}

/// SNS -> hydrate: the delivery loop around the function `factory` builds.
fn start_delivery(
    template: &StackTemplate,
    resources: &StackResources,
    clients: &Clients,
    factory: HydrateFactory,
    options: &StackOptions,
    kinesis: SdkConfig,
    moto: SdkConfig,
) -> Result<DeliveryHandle, StackError> {
    let context = FunctionContext {
        environment: resources.environment(ids::HYDRATE_FUNCTION, &template.hydrate.environment)?,
        function_arn: resources.function_arn(ids::HYDRATE_FUNCTION),
        timeout: template.hydrate.timeout,
        kinesis,
        moto,
    };
    let function = factory(&context).map_err(|source| StackError::Function {
        function: ids::HYDRATE_FUNCTION,
        source,
    })?;
    let invocation = AsyncInvocation::from_template(
        &template.hydrate,
        context.function_arn.clone(),
        options.async_retry_delay,
    );
    let source = match &template.hydrate.trigger {
        HydrateTrigger::Sqs {
            batch_size,
            report_batch_item_failures,
            ..
        } => {
            let config = SqsSourceConfig {
                queue_url: resources.delivery_queue.url.clone(),
                queue_arn: resources.delivery_queue.arn.clone(),
                region: REGION.to_owned(),
                batch_size: *batch_size,
                report_batch_item_failures: *report_batch_item_failures,
                wait: options.delivery_wait,
            };
            return Ok(SqsEventSource::new(clients.sqs.clone(), config, function).spawn());
        }
        HydrateTrigger::Sns { .. } => AsyncSource::Sns {
            subscription_arn: resources.subscription_arn.clone(),
        },
        HydrateTrigger::S3 { .. } => AsyncSource::S3,
    };
    let config = DeliveryConfig {
        delivery_queue_url: resources.delivery_queue.url.clone(),
        failure_queue_url: resources.hydrate_failure_queue.url.clone(),
        source,
        invocation,
        wait: options.delivery_wait,
    };
    Ok(Delivery::new(clients.sqs.clone(), config, function).spawn())
}
