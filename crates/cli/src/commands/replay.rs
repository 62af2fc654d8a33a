//! `streamdlq replay`: hydrated failures from the DLQ back into their
//! stream, another stream, or straight into a function.

mod summary;

use std::collections::HashSet;
use std::time::Duration;

use anyhow::{anyhow, bail};
use clap::Args;
use streamdlq_core::invocation::LambdaFunction;

use super::confirm::{confirm, is_deployed};
use super::filter_args::FilterArgs;
use super::put_records::plural;
use crate::aws_error;
use crate::discovery::Origin;
use crate::discovery::{DiscoveryArgs, Resources};
use crate::invoke::{
    LOCAL_PROCESSOR, LOCAL_TABLE_PROCESSOR, ReplayFunction, deployed_function, local_processor,
    local_table_processor,
};
use crate::progress::records_bar;
use crate::put::{KinesisStreamWriter, PutOptions};
use crate::queue::{DlqQueue, ScanOptions};
use crate::replay::select::DYNAMODB_TO_STREAM;
use crate::replay::{
    FunctionReplayOptions, Interrupt, ReplaySession, SelectOptions, Selection, SkipReason, Target,
    replay_to_function, replay_to_streams, select,
};
use crate::stream::StreamId;
use summary::{Kept, ReplaySummary, dry_run_function, dry_run_streams};

/// Replay hydrated failures from the DLQ into their stream or a function
///
/// By default each failure's records go back into the stream they came
/// from (the failure record's streamArn) with their partition keys, in
/// sequence order. A failure's DLQ messages are deleted only once every one
/// of its records was accepted; a run that stops for any reason loses
/// nothing, and the next run puts again what was not confirmed (records can
/// be duplicated, never lost). Only `complete` failures are replayed unless
/// --include-partial is given; everything else stays in the queue.
#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    /// Put the records into this stream (name or ARN) instead of the one
    /// they came from
    #[arg(long, value_name = "NAME|ARN", conflicts_with = "to_function")]
    pub to_stream: Option<String>,

    /// Invoke this function (name or ARN) with the records as the Kinesis
    /// event the ESM would deliver, original sequence numbers included, so
    /// other consumers of the stream see no duplicates. On the local stack,
    /// `processor` is the demo processor, run in this process with this
    /// environment (PROCESSOR_SCHEMA_MODE)
    #[arg(long, value_name = "NAME|ARN")]
    pub to_function: Option<String>,

    /// Also replay `partial` failures (the records that were still in the
    /// stream; the rest had expired)
    #[arg(long)]
    pub include_partial: bool,

    #[command(flatten)]
    pub filter: FilterArgs,

    /// Show what would be replayed, and change nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Do not ask before replaying into a deployed stack
    #[arg(long, short)]
    pub yes: bool,

    /// One record per partition key and PutRecords call: order can never
    /// break, even when Kinesis fails records (more calls)
    #[arg(long)]
    pub strict_order: bool,

    /// Records per function invocation, at most
    #[arg(long, value_name = "N", default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub batch_size: u32,

    /// Seconds the DLQ messages stay hidden while the replay runs; if the
    /// run takes longer, another reader may see them (and replay them again)
    #[arg(long, value_name = "SECONDS", default_value_t = 900)]
    pub visibility_timeout: u64,

    /// Read at most this many DLQ messages
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub scan_limit: usize,

    /// Print the summary as JSON
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub resources: DiscoveryArgs,
}

/// What a replay did: its summary, the receipt handles it deleted (the
/// session releases every other message), and the error that stopped it.
#[derive(Debug, Default)]
struct Run {
    summary: ReplaySummary,
    deleted: HashSet<String>,
    error: Option<anyhow::Error>,
}

impl Run {
    fn failed(summary: ReplaySummary, error: anyhow::Error) -> Self {
        Self {
            summary,
            deleted: HashSet::new(),
            error: Some(error),
        }
    }
}

impl ReplayArgs {
    pub async fn run(self) -> anyhow::Result<()> {
        let resources = Resources::discover(&self.resources).await?;
        aws_error::ensure_reachable(&resources.sqs_config, "SQS")?;
        if self.to_function.is_none() {
            aws_error::ensure_reachable(&resources.kinesis_config, "KINESIS")?;
        }
        let queue = DlqQueue::new(resources.sqs_client(), resources.dlq_url()?);
        queue.depth().await?;
        if let Some(stream) = &self.to_stream {
            // A dry run must fail where the real run would.
            check_stream_exists(&resources, &StreamId::parse(stream)).await?;
        }
        if !self.dry_run && is_deployed(&resources) {
            let question = format!(
                "replay the DLQ {} of {} into {}",
                queue.url(),
                resources.origin,
                self.to_function
                    .as_deref()
                    .or(self.to_stream.as_deref())
                    .unwrap_or("the streams the failures came from")
            );
            if !confirm(&question, self.yes)? {
                anstream::eprintln!("nothing replayed");
                return Ok(());
            }
        }
        let visibility = if self.dry_run {
            DRY_RUN_VISIBILITY
        } else {
            self.visibility_timeout
        };
        let scan_options = ScanOptions {
            visibility: Duration::from_secs(visibility),
            max_messages: self.scan_limit,
            ..ScanOptions::default()
        };
        let session = ReplaySession::open(queue, &scan_options).await?;
        let run = self.replay(&resources, &session).await;
        let released = session.close(&run.deleted).await;
        run.summary.print(self.json)?;
        if let Some(error) = run.error {
            return Err(error);
        }
        released?;
        let kept = run.summary.kept.len();
        if kept > 0 {
            bail!(
                "{kept} {} not processed by the function and {} in the DLQ",
                plural(kept, "failure was", "failures were"),
                plural(kept, "stays", "stay"),
            );
        }
        Ok(())
    }

    fn select_options(&self) -> SelectOptions {
        SelectOptions {
            filter: self.filter.filter(),
            include_partial: self.include_partial,
            max: self.filter.max,
            to_origin_stream: self.to_stream.is_none() && self.to_function.is_none(),
            to_stream: self.to_function.is_none(),
        }
    }

    async fn replay(&self, resources: &Resources, session: &ReplaySession) -> Run {
        let selection = select(session.inventory(), &self.select_options());
        let summary = ReplaySummary {
            dry_run: self.dry_run,
            skipped: selection
                .skip_counts()
                .into_iter()
                .map(|(reason, count)| (reason.to_string(), count))
                .collect(),
            notes: session
                .inventory()
                .notes
                .iter()
                .map(|note| note.text.clone())
                .collect(),
            redelivered: wider_range_note(&selection).into_iter().collect(),
            ..ReplaySummary::default()
        };
        match &self.to_function {
            Some(function) => {
                self.to_function(resources, session, &selection, function, summary)
                    .await
            }
            None => {
                self.to_streams(resources, session, &selection, summary)
                    .await
            }
        }
    }

    async fn to_streams(
        &self,
        resources: &Resources,
        session: &ReplaySession,
        selection: &Selection<'_>,
        mut summary: ReplaySummary,
    ) -> Run {
        summary.target = "stream";
        // Asked to put DynamoDB records into a stream and nothing else to
        // do: refuse, saying what to do instead.
        let dynamodb_only = selection.chosen.is_empty()
            && selection
                .skipped
                .iter()
                .any(|(_, reason)| *reason == SkipReason::DynamoDb);
        if dynamodb_only {
            return Run::failed(
                summary,
                anyhow!("cannot replay failures {DYNAMODB_TO_STREAM}"),
            );
        }
        let target = match &self.to_stream {
            Some(stream) => Target::Stream(StreamId::parse(stream)),
            None => Target::Origin,
        };
        if self.dry_run {
            dry_run_streams(selection, &target, self.strict_order, &mut summary);
            return Run {
                summary,
                ..Run::default()
            };
        }
        let writer = KinesisStreamWriter::new(resources.kinesis_client());
        let options = PutOptions {
            strict_order: self.strict_order,
            ..PutOptions::default()
        };
        let progress = records_bar(selection.records(), !self.json);
        let interrupt = Interrupt::on_ctrl_c();
        let (report, error) = replay_to_streams(
            &writer,
            session.queue(),
            &selection.chosen,
            &target,
            &options,
            &progress,
            &interrupt,
        )
        .await;
        progress.finish_and_clear();
        let total = report.total();
        summary.destinations = report
            .targets
            .iter()
            .map(|(stream, _)| stream.name().to_owned())
            .collect();
        summary.failures = report.failures;
        summary.records = total.records;
        summary.bytes = total.bytes;
        summary.calls = total.calls;
        summary.retries = total.retries;
        summary.out_of_order = total.out_of_order;
        summary.deleted_messages = report.deletions.messages;
        Run {
            summary,
            deleted: report.deletions.handles,
            error: stop_error(error, report.deletions.undeleted.len()),
        }
    }

    async fn to_function(
        &self,
        resources: &Resources,
        session: &ReplaySession,
        selection: &Selection<'_>,
        function: &str,
        mut summary: ReplaySummary,
    ) -> Run {
        summary.target = "function";
        let mut options = FunctionReplayOptions {
            max_records: self.batch_size as usize,
            ..FunctionReplayOptions::default()
        };
        if self.dry_run {
            summary.destinations = vec![function.to_owned()];
            dry_run_function(selection, &options, &mut summary);
            return Run {
                summary,
                ..Run::default()
            };
        }
        let target = match self.function_target(resources, function).await {
            Ok(target) => target,
            Err(error) => return Run::failed(summary, error),
        };
        options.invoke_identity_arn = target.invoke_identity_arn.clone();
        summary.destinations = vec![target.name.clone()];
        self.run_function(&*target.function, session, selection, options, summary)
            .await
    }

    /// The function `--to-function` names: on the local stack the demo
    /// processor in this process; elsewhere any function by name or ARN
    /// (`processor` meaning the stack's processor function).
    async fn function_target(
        &self,
        resources: &Resources,
        function: &str,
    ) -> anyhow::Result<ReplayFunction> {
        if let Origin::Local { state_file } = &resources.origin {
            if function == LOCAL_TABLE_PROCESSOR {
                return local_table_processor(state_file);
            }
            if function != LOCAL_PROCESSOR {
                bail!(
                    "the local stack runs only the demo processors: use --to-function {LOCAL_PROCESSOR} \
                     (the stream's) or --to-function {LOCAL_TABLE_PROCESSOR} (the table's)"
                );
            }
            let stream_arn = match &resources.stream {
                Some(StreamId::Arn(arn)) => arn.clone(),
                _ => String::new(),
            };
            return local_processor(state_file, &stream_arn);
        }
        let name = match (function, &resources.processor_function) {
            (LOCAL_PROCESSOR, Some(deployed)) => deployed.clone(),
            _ => function.to_owned(),
        };
        Ok(deployed_function(resources.lambda_client()?, name).await)
    }

    async fn run_function(
        &self,
        function: &dyn LambdaFunction,
        session: &ReplaySession,
        selection: &Selection<'_>,
        options: FunctionReplayOptions,
        mut summary: ReplaySummary,
    ) -> Run {
        let progress = records_bar(selection.records(), !self.json);
        let interrupt = Interrupt::on_ctrl_c();
        let (report, error) = replay_to_function(
            function,
            session.queue(),
            &selection.chosen,
            options,
            &progress,
            &interrupt,
        )
        .await;
        progress.finish_and_clear();
        summary.failures = report.failures;
        summary.records = report.records;
        summary.invocations = report.invocations;
        summary.deleted_messages = report.deletions.messages;
        summary.kept = report
            .kept
            .iter()
            .map(|kept| Kept {
                id: kept.id.clone(),
                reason: kept.reason.clone(),
            })
            .collect();
        Run {
            summary,
            deleted: report.deletions.handles,
            error: stop_error(error, report.deletions.undeleted.len()),
        }
    }
}

/// Fails with a clear line when the stream does not exist (or cannot be
/// described).
async fn check_stream_exists(resources: &Resources, stream: &StreamId) -> anyhow::Result<()> {
    let request = resources.kinesis_client().describe_stream_summary();
    let request = match stream {
        StreamId::Arn(arn) => request.stream_arn(arn),
        StreamId::Name(name) => request.stream_name(name),
    };
    match request.send().await {
        Ok(_) => Ok(()),
        Err(error) if aws_error::code(&error) == Some("ResourceNotFoundException") => {
            Err(anyhow!("stream {stream} does not exist: check --to-stream"))
        }
        Err(error) => Err(anyhow!(aws_error::describe(&error))
            .context(format!("cannot describe stream {stream}"))),
    }
}

/// How long a dry run hides the messages it reads (it releases them at
/// once; this only bounds a crash).
const DRY_RUN_VISIBILITY: u64 = 30;

/// The error that ends a replay: what stopped it, else messages that could
/// not be deleted.
fn stop_error(stopped: Option<anyhow::Error>, undeleted: usize) -> Option<anyhow::Error> {
    if let Some(error) = stopped {
        return Some(error.context(
            "replay stopped; failures not replayed completely stay in the DLQ, run it again",
        ));
    }
    (undeleted > 0).then(|| {
        anyhow!(
            "{undeleted} DLQ {} could not be deleted; {} records were replayed and the next \
             replay puts them again",
            plural(undeleted, "message", "messages"),
            plural(undeleted, "its", "their"),
        )
    })
}

/// Failures whose range was wider than its batch carry records that other
/// batches processed: replaying them delivers those again. Said before
/// anything is written, so that a consumer that is not idempotent can
/// narrow the replay instead.
fn wider_range_note(selection: &Selection<'_>) -> Option<String> {
    let wider: Vec<_> = selection
        .chosen
        .iter()
        .filter_map(|failure| failure.hydrated.hydration.wider_range.as_ref())
        .collect();
    if wider.is_empty() {
        return None;
    }
    let extra: usize = wider
        .iter()
        .map(|w| w.found.saturating_sub(w.batch_size as usize))
        .sum();
    Some(format!(
        "{} {} a range wider than its batch (ParallelizationFactor > 1 or event filtering): \
         up to {extra} records that other batches processed are delivered again \
         (at least once, never lost)",
        wider.len(),
        plural(wider.len(), "failure covers", "failures cover"),
    ))
}
