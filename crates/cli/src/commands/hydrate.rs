//! `streamdlq hydrate --from-queue URL`: the rescue of a queue of
//! metadata-only OnFailure records into the DLQ ([`crate::rescue`]).

use std::time::Duration;

use anyhow::bail;
use clap::Args;
use hydrate::config::DEFAULT_DLQ_WRITE_RESERVE;
use hydrate::{HydrateConfig, Hydrator, StreamAllowlist, clients};
use streamdlq_core::dlq::SQS_MESSAGE_LIMIT;
use streamdlq_core::{DynamoDbShardReader, KinesisShardReader, SqsDlqSink};

use super::confirm::{confirm, is_deployed};
use super::put_records::plural;
use crate::aws_error;
use crate::discovery::{DiscoveryArgs, Resources};
use crate::progress::messages_bar;
use crate::queue::DlqQueue;
use crate::replay::Interrupt;
use crate::rescue::{CountedRetention, Rescue, RescueOptions, SourceQueue};

/// Hydrate metadata-only OnFailure records waiting in a queue into the DLQ
///
/// Reads the OnFailure records an event source mapping left in a queue
/// (raw, or SNS notifications of a subscribed queue), re-reads each range
/// from its stream with the hydrate function's engine, writes the failure
/// to the DLQ with its records, and deletes the source message only once
/// all of its DLQ messages were written. Text that is not an OnFailure
/// record reaches the DLQ as `unparseable`. Streams not allowed are refused
/// and their messages left in the queue (the exit code says so). Safe to interrupt and to run
/// again: ids are deterministic, so a rerun writes identical duplicates.
#[derive(Debug, Clone, Args)]
pub struct HydrateArgs {
    /// The queue holding the OnFailure records: an ESM's OnFailure queue,
    /// or a queue subscribed to its topic
    #[arg(long, value_name = "URL")]
    pub from_queue: String,

    /// A stream whose ranges may be read (repeatable, or comma-separated in
    /// the variable); records of other streams are refused and left in the
    /// queue
    #[arg(
        long = "allow-stream",
        value_name = "ARN",
        env = StreamAllowlist::VARIABLE,
        value_delimiter = ','
    )]
    pub allow_stream: Vec<String>,

    /// Show what each message would become and how close its range is to
    /// the stream's retention; read no range, write and delete nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Handle at most this many source messages
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_messages: Option<u64>,

    /// Seconds received messages stay hidden from other readers; extended
    /// while a long range is read
    #[arg(long, value_name = "SECONDS", default_value_t = 120,
          value_parser = clap::value_parser!(u64).range(10..=43_200))]
    pub visibility_timeout: u64,

    /// Do not ask before draining a queue of a deployed stack
    #[arg(long, short)]
    pub yes: bool,

    /// Print the summary as JSON
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub resources: DiscoveryArgs,
}

impl HydrateArgs {
    pub async fn run(self) -> anyhow::Result<()> {
        let allowlist = StreamAllowlist::parse(&self.allow_stream.join(","));
        if allowlist.is_empty() {
            bail!(
                "no stream may be read: pass --allow-stream ARN (repeatable) or set {}",
                StreamAllowlist::VARIABLE
            );
        }
        let resources = Resources::discover(&self.resources).await?;
        aws_error::ensure_reachable(&resources.sqs_config, "SQS")?;
        aws_error::ensure_reachable(&resources.kinesis_config, "KINESIS")?;
        aws_error::ensure_reachable(&resources.dynamodb_streams_config, "DYNAMODB_STREAMS")?;
        let dlq_url = resources.dlq_url()?.to_owned();
        if self.from_queue.trim_end_matches('/') == dlq_url.trim_end_matches('/') {
            bail!(
                "--from-queue {} is the DLQ itself: name the queue holding the OnFailure records",
                self.from_queue
            );
        }
        let source = SourceQueue::new(resources.sqs_client(), &self.from_queue);
        let waiting = source.visible().await?;
        DlqQueue::new(resources.sqs_client(), &dlq_url)
            .depth()
            .await?;
        if !self.dry_run && is_deployed(&resources) {
            let question = format!(
                "hydrate the failures in {} into the DLQ {} of {}, deleting each message once written",
                self.from_queue, dlq_url, resources.origin
            );
            if !confirm(&question, self.yes)? {
                anstream::eprintln!("nothing hydrated");
                return Ok(());
            }
        }

        let reader = KinesisShardReader::new(clients::kinesis(&resources.kinesis_config));
        let sink = SqsDlqSink::new(clients::sqs(&resources.sqs_config), dlq_url.clone());
        let config = HydrateConfig {
            dlq_url,
            allowlist,
            message_limit: SQS_MESSAGE_LIMIT,
            dlq_write_reserve: DEFAULT_DLQ_WRITE_RESERVE,
        };
        // A failure of a table's stream is read from DynamoDB Streams, as the
        // function does; without this reader it would be written
        // `unavailable` and its source message deleted.
        let table_streams = DynamoDbShardReader::new(clients::dynamodb_streams(
            &resources.dynamodb_streams_config,
        ));
        let hydrator = Hydrator::new(reader.clone(), sink, config).with_dynamodb(table_streams);
        let retention = CountedRetention::cached(reader);
        let max_messages = self
            .max_messages
            .map(|max| usize::try_from(max).unwrap_or(usize::MAX));
        let total = usize::try_from(waiting).unwrap_or(usize::MAX);
        let progress = messages_bar(max_messages.map_or(total, |max| max.min(total)), !self.json);
        let interrupt = Interrupt::on_ctrl_c();
        let rescue = Rescue {
            hydrator: &hydrator,
            retention: &retention,
            source: &source,
            options: RescueOptions {
                dry_run: self.dry_run,
                max_messages,
                visibility: Duration::from_secs(self.visibility_timeout),
                ..RescueOptions::default()
            },
            progress: &progress,
            interrupt: &interrupt,
        };
        let (summary, error) = rescue.run().await;
        progress.finish_and_clear();
        summary.print(self.json)?;
        if let Some(error) = error {
            return Err(error.context(
                "the rescue stopped; messages not rescued stay in the source queue: run it again",
            ));
        }
        let not_written = summary.not_written.len();
        if not_written > 0 {
            bail!(
                "{not_written} {} not written to the DLQ and {} in the source queue: run again",
                plural(not_written, "failure was", "failures were"),
                plural(not_written, "stays", "stay"),
            );
        }
        let refused = summary.refused.len();
        if refused > 0 && !self.dry_run {
            // Left on purpose, but not rescued: a script must see that the
            // queue still holds failures.
            bail!(
                "{refused} {} of streams not allowed {} in the source queue: allow each with \
                 --allow-stream ARN and run again",
                plural(refused, "message", "messages"),
                plural(refused, "stays", "stay"),
            );
        }
        Ok(())
    }
}
