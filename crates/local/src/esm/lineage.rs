//! [`Lineage`]: which shards to start reading, and from where, so that a
//! parent shard is finished before its children start.
//!
//! AWS contract honoured here: after resharding, Lambda processes a closed
//! parent shard to its end before the child shards, so records of a
//! partition key stay in order across the split or merge.
//!
//! What is supported:
//! - Shards listed when the ESM starts begin at the configured starting
//!   position (a closed shard read from `LATEST` simply ends at once).
//! - Shards that appear later were created by resharding after the start:
//!   they are read from `TRIM_HORIZON`, so none of their records is lost.
//! - A shard starts once every parent that ListShards still lists is
//!   finished; a parent no longer listed has aged out of retention.
//! - A parent whose poller stopped or crashed never finishes, so its
//!   children wait: order is kept rather than records skipped.

use std::collections::HashSet;

use streamdlq_core::{IteratorStart, ShardSummary};

use super::config::StartingPosition;

/// Shards started and finished so far.
#[derive(Debug)]
pub struct Lineage {
    starting_position: StartingPosition,
    /// The shards of the first listing; `None` until it arrived.
    initial: Option<HashSet<String>>,
    started: HashSet<String>,
    finished: HashSet<String>,
}

impl Lineage {
    pub fn new(starting_position: StartingPosition) -> Self {
        Self {
            starting_position,
            initial: None,
            started: HashSet::new(),
            finished: HashSet::new(),
        }
    }

    /// The shards of `listing` to start now, with where to start each; they
    /// count as started from here on.
    pub fn plan(&mut self, listing: &[ShardSummary]) -> Vec<(String, IteratorStart)> {
        let initial = self
            .initial
            .get_or_insert_with(|| listing.iter().map(|s| s.shard_id.clone()).collect());
        let listed: HashSet<&str> = listing.iter().map(|s| s.shard_id.as_str()).collect();
        let mut starts = Vec::new();
        for shard in listing {
            if self.started.contains(&shard.shard_id) {
                continue;
            }
            let parents_done = shard
                .parents()
                .filter(|parent| listed.contains(parent))
                .all(|parent| self.finished.contains(parent));
            if !parents_done {
                continue;
            }
            let start = if initial.contains(&shard.shard_id) {
                iterator_start(self.starting_position)
            } else {
                IteratorStart::TrimHorizon
            };
            starts.push((shard.shard_id.clone(), start));
        }
        for (shard_id, _) in &starts {
            self.started.insert(shard_id.clone());
        }
        starts
    }

    /// Every record of `shard_id` is finished: its children may start.
    pub fn finish(&mut self, shard_id: &str) {
        self.finished.insert(shard_id.to_owned());
    }
}

fn iterator_start(position: StartingPosition) -> IteratorStart {
    match position {
        StartingPosition::TrimHorizon => IteratorStart::TrimHorizon,
        StartingPosition::Latest => IteratorStart::Latest,
        StartingPosition::AtTimestamp(millis) => IteratorStart::AtTimestamp(millis),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn child(id: &str, parent: &str, adjacent: Option<&str>) -> ShardSummary {
        ShardSummary {
            parent_shard_id: Some(parent.to_owned()),
            adjacent_parent_shard_id: adjacent.map(str::to_owned),
            ..ShardSummary::open(id)
        }
    }

    fn ids(starts: &[(String, IteratorStart)]) -> Vec<&str> {
        starts.iter().map(|(id, _)| id.as_str()).collect()
    }

    /// A new stream's shards all start at once, at the starting position.
    #[test]
    fn starts_every_shard_of_a_new_stream_at_the_starting_position() {
        let mut lineage = Lineage::new(StartingPosition::Latest);
        let starts = lineage.plan(&[ShardSummary::open("s0"), ShardSummary::open("s1")]);
        assert_eq!(
            starts,
            [
                ("s0".to_owned(), IteratorStart::Latest),
                ("s1".to_owned(), IteratorStart::Latest)
            ]
        );
        assert!(
            lineage.plan(&[ShardSummary::open("s0")]).is_empty(),
            "started once"
        );
    }

    /// Children of a split wait for their parent, then start.
    #[test]
    fn children_wait_until_their_parent_is_finished() {
        let mut lineage = Lineage::new(StartingPosition::TrimHorizon);
        let listing = [
            ShardSummary::open("parent"),
            child("left", "parent", None),
            child("right", "parent", None),
        ];
        assert_eq!(ids(&lineage.plan(&listing)), ["parent"]);
        assert!(lineage.plan(&listing).is_empty());

        lineage.finish("parent");

        assert_eq!(ids(&lineage.plan(&listing)), ["left", "right"]);
    }

    /// A merged shard waits for both of its parents.
    #[test]
    fn a_merged_shard_waits_for_both_parents() {
        let mut lineage = Lineage::new(StartingPosition::TrimHorizon);
        let listing = [
            ShardSummary::open("a"),
            ShardSummary::open("b"),
            child("merged", "a", Some("b")),
        ];
        assert_eq!(ids(&lineage.plan(&listing)), ["a", "b"]);
        lineage.finish("a");
        assert!(lineage.plan(&listing).is_empty());
        lineage.finish("b");
        assert_eq!(ids(&lineage.plan(&listing)), ["merged"]);
    }

    /// A parent that aged out of the listing does not hold its child back.
    #[test]
    fn a_parent_no_longer_listed_does_not_block() {
        let mut lineage = Lineage::new(StartingPosition::TrimHorizon);
        assert_eq!(
            ids(&lineage.plan(&[child("child", "expired", None)])),
            ["child"]
        );
    }

    /// Shards created by resharding after the start are read from
    /// TRIM_HORIZON, whatever the starting position.
    #[test]
    fn shards_created_after_the_start_are_read_from_the_trim_horizon() {
        let mut lineage = Lineage::new(StartingPosition::Latest);
        lineage.plan(&[ShardSummary::open("parent")]);
        lineage.finish("parent");

        let starts = lineage.plan(&[ShardSummary::open("parent"), child("child", "parent", None)]);

        assert_eq!(starts, [("child".to_owned(), IteratorStart::TrimHorizon)]);
    }
}
