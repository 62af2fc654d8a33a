//! `streamdlq delete`: chosen failures out of the DLQ, every part of each,
//! for failures that cannot be replayed (`rejected`, `unparseable`) or are
//! no longer wanted.

use anyhow::bail;
use clap::Args;

use super::confirm::confirm;
use super::dlq_action::{self, ActionSummary, Left, Verb, handles_of};
use super::filter_args::FilterArgs;
use crate::discovery::DiscoveryArgs;
use crate::replay::Deletions;
use crate::view::human;

/// Delete failures from the DLQ: every message (part) of each chosen failure
///
/// Choose them with --id, --status, --stream, --shard and --max. Only whole
/// failures are deleted, never a lone part of a failure whose other parts
/// are missing. Asks on a terminal; elsewhere --yes is required.
#[derive(Debug, Clone, Args)]
pub struct DeleteArgs {
    #[command(flatten)]
    pub filter: FilterArgs,

    /// Delete every failure when no filter flag is given
    #[arg(long)]
    pub all: bool,

    /// Show what would be deleted, and change nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Do not ask: delete
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

const DELETE: Verb = Verb {
    base: "delete",
    past: "deleted",
};

impl DeleteArgs {
    pub async fn run(self) -> anyhow::Result<()> {
        dlq_action::require_choice(&self.filter, self.all, DELETE)?;
        let (_resources, session) = dlq_action::open(&self.resources, self.scan_limit).await?;
        let outcome = self.delete(&session).await;
        let (summary, deletions) = match outcome {
            Ok(done) => done,
            Err(error) => {
                session.close(&Default::default()).await?;
                return Err(error);
            }
        };
        let released = session.close(&deletions.handles).await;
        summary.print(self.json, DELETE)?;
        released?;
        if !deletions.undeleted.is_empty() {
            bail!(
                "{} could not be deleted and {} in the DLQ",
                human::count(deletions.undeleted.len(), "message", "messages"),
                if deletions.undeleted.len() == 1 {
                    "stays"
                } else {
                    "stay"
                }
            );
        }
        Ok(())
    }

    async fn delete(
        &self,
        session: &crate::replay::ReplaySession,
    ) -> anyhow::Result<(ActionSummary, Deletions)> {
        let chosen = dlq_action::choose(session, &self.filter)?;
        let mut summary = ActionSummary::planned(session, &chosen, self.dry_run);
        let mut deletions = Deletions::default();
        if self.dry_run || chosen.is_empty() {
            return Ok((summary, deletions));
        }
        let messages: usize = chosen.iter().map(|failure| failure.messages.len()).sum();
        let question = format!(
            "delete {} ({}) from {} for good",
            human::count(chosen.len(), "failure", "failures"),
            human::count(messages, "message", "messages"),
            session.queue().url()
        );
        if !confirm(&question, self.yes)? {
            summary.failures.clear();
            anstream::eprintln!("nothing deleted");
            return Ok((summary, deletions));
        }
        let handles = handles_of(&chosen);
        let refused = session.queue().delete(&handles).await?;
        for failure in &chosen {
            let left: Vec<&str> = failure
                .receipt_handles()
                .into_iter()
                .filter(|handle| refused.iter().any(|r| r.receipt_handle == *handle))
                .collect();
            if !left.is_empty() {
                summary.left.push(Left {
                    id: failure.hydrated.id.clone(),
                    reason: format!("SQS did not delete {} of its messages", left.len()),
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
