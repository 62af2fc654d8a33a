//! `streamdlq move`: chosen failures, every part of each, from the DLQ to
//! another queue (an archive, a quarantine).
//!
//! Each failure's messages are sent to the other queue as they are (body
//! and attributes), and deleted from the DLQ only after every one of its
//! parts was sent: a run that stops half way leaves copies in both queues,
//! never a failure in neither.

use std::collections::HashMap;

use anyhow::bail;
use clap::Args;

use super::confirm::{confirm, is_deployed};
use super::dlq_action::{self, ActionSummary, Left, Verb, handles_of};
use super::filter_args::FilterArgs;
use crate::discovery::DiscoveryArgs;
use crate::queue::{DlqQueue, FailureEntry, QueueMessage};
use crate::replay::{Deletions, ReplaySession};
use crate::view::human;

/// Move failures to another SQS queue: every part, deleted from the DLQ
/// only once all of its parts were sent
///
/// Choose them with --id, --status, --stream, --shard and --max. The
/// messages keep their bodies and attributes, so `streamdlq read-dlq
/// --queue-url OTHER` reads them there. Asks on a terminal when the DLQ
/// belongs to a deployed stack; --yes skips the question.
#[derive(Debug, Clone, Args)]
pub struct MoveArgs {
    /// URL of the queue that receives the failures
    #[arg(long, value_name = "URL")]
    pub to_queue: String,

    #[command(flatten)]
    pub filter: FilterArgs,

    /// Move every failure when no filter flag is given
    #[arg(long)]
    pub all: bool,

    /// Show what would be moved, and change nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Do not ask
    #[arg(long, short)]
    pub yes: bool,

    /// Print the summary as JSON
    #[arg(long)]
    pub json: bool,

    /// Read at most this many DLQ messages
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub scan_limit: usize,

    #[command(flatten)]
    pub resources: DiscoveryArgs,
}

const MOVE: Verb = Verb {
    base: "move",
    past: "moved",
};

impl MoveArgs {
    pub async fn run(self) -> anyhow::Result<()> {
        dlq_action::require_choice(&self.filter, self.all, MOVE)?;
        let (resources, session) = dlq_action::open(&self.resources, self.scan_limit).await?;
        let target = DlqQueue::new(resources.sqs_client(), &self.to_queue);
        let outcome = self
            .relocate(&session, &target, is_deployed(&resources))
            .await;
        let (summary, deletions) = match outcome {
            Ok(done) => done,
            Err(error) => {
                session.close(&Default::default()).await?;
                return Err(error);
            }
        };
        let released = session.close(&deletions.handles).await;
        summary.print(self.json, MOVE)?;
        released?;
        if !summary.left.is_empty() {
            bail!(
                "{} not moved completely and {} in the DLQ (parts already sent are copies \
                 in {}); run the move again",
                human::count(summary.left.len(), "failure was", "failures were"),
                if summary.left.len() == 1 {
                    "stays"
                } else {
                    "stay"
                },
                self.to_queue
            );
        }
        Ok(())
    }

    async fn relocate(
        &self,
        session: &ReplaySession,
        target: &DlqQueue,
        deployed: bool,
    ) -> anyhow::Result<(ActionSummary, Deletions)> {
        if self.to_queue == session.queue().url() {
            bail!("--to-queue is the DLQ itself: name another queue");
        }
        // Also the check that the other queue exists, before anything moves.
        target.depth().await?;
        let chosen = dlq_action::choose(session, &self.filter)?;
        let mut summary = ActionSummary {
            to_queue: Some(self.to_queue.clone()),
            sent_messages: Some(0),
            ..ActionSummary::planned(session, &chosen, self.dry_run)
        };
        let mut deletions = Deletions::default();
        if self.dry_run || chosen.is_empty() {
            return Ok((summary, deletions));
        }
        if deployed {
            let question = format!(
                "move {} from {} to {}",
                human::count(chosen.len(), "failure", "failures"),
                session.queue().url(),
                self.to_queue
            );
            if !confirm(&question, self.yes)? {
                summary.failures.clear();
                anstream::eprintln!("nothing moved");
                return Ok((summary, deletions));
            }
        }
        let by_id: HashMap<&str, &QueueMessage> = session
            .scan()
            .messages
            .iter()
            .map(|message| (message.message_id.as_str(), message))
            .collect();
        let messages: Vec<&QueueMessage> = chosen
            .iter()
            .flat_map(|failure| &failure.messages)
            .filter_map(|reference| by_id.get(reference.message_id.as_str()).copied())
            .collect();
        let unsent = target.send(&messages).await?;
        summary.sent_messages = Some(messages.len() - unsent.len());
        let mut sent_whole: Vec<&FailureEntry> = Vec::new();
        for failure in &chosen {
            let missing: Vec<&str> = failure
                .messages
                .iter()
                .filter(|m| unsent.iter().any(|u| u.message_id == m.message_id))
                .map(|m| m.message_id.as_str())
                .collect();
            if missing.is_empty() {
                sent_whole.push(failure);
            } else {
                let reason = unsent
                    .iter()
                    .find(|u| u.message_id == missing[0])
                    .map_or("", |u| u.reason.as_str());
                summary.left.push(Left {
                    id: failure.hydrated.id.clone(),
                    reason: format!("SQS did not take {} of its parts ({reason})", missing.len()),
                });
            }
        }
        let handles = handles_of(&sent_whole);
        let refused = session.queue().delete(&handles).await?;
        for failure in &sent_whole {
            if failure
                .receipt_handles()
                .iter()
                .any(|handle| refused.iter().any(|r| r.receipt_handle == *handle))
            {
                summary.left.push(Left {
                    id: failure.hydrated.id.clone(),
                    reason: "sent, but SQS did not delete all of its parts from the DLQ".to_owned(),
                });
            }
        }
        summary
            .failures
            .retain(|acted| !summary.left.iter().any(|left| left.id == acted.id));
        deletions.record(&handles, refused);
        summary.deleted_messages = deletions.messages;
        Ok((summary, deletions))
    }
}
