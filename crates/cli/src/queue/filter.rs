//! Which failures a command looks at: by hydration status, stream, shard,
//! id, and whether the range was wider than its batch. The same test runs on each message during the scan (attributes
//! and the id in its body, to stop early) and on assembled failures after it.

use streamdlq_core::HydrationStatus;
use streamdlq_core::dlq::message::{
    ATTRIBUTE_SHARD, ATTRIBUTE_STATUS, ATTRIBUTE_STREAM, ATTRIBUTE_WIDER_RANGE,
};

use super::inventory::{FailureEntry, v1_id};
use super::sqs::QueueMessage;
use crate::stream::StreamId;

/// Failures to keep; an empty field keeps everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FailureFilter {
    pub statuses: Vec<HydrationStatus>,
    /// A stream name or ARN.
    pub stream: Option<String>,
    pub shard: Option<String>,
    /// Failure ids, or prefixes of them (at least [`MIN_ID_PREFIX`]
    /// characters, as the text view shows them).
    pub ids: Vec<String>,
    /// Only failures whose range held more records than their `batchSize`
    /// (`hydration.widerRange`).
    pub wider_range: bool,
}

/// The shortest id prefix a filter takes: short enough to type, long enough
/// (32 bits of the id's hash) not to hit another failure by chance.
pub const MIN_ID_PREFIX: usize = 8;

impl FailureFilter {
    /// Whether an assembled failure passes.
    pub fn matches(&self, failure: &FailureEntry) -> bool {
        self.matches_id(&failure.hydrated.id)
            && (!self.wider_range || failure.hydrated.hydration.wider_range.is_some())
            && self.matches_fields(
                Some(failure.status().as_str()),
                failure.stream_arn(),
                failure.shard_id(),
            )
    }

    /// Whether a message's attributes pass: a cheap test before assembly.
    pub fn matches_attributes(&self, message: &QueueMessage) -> bool {
        let attribute = |name: &str| message.attributes.get(name).map(String::as_str);
        let id_ok =
            self.ids.is_empty() || v1_id(&message.body).is_some_and(|id| self.matches_id(&id));
        let wider_ok = !self.wider_range || attribute(ATTRIBUTE_WIDER_RANGE).is_some();
        id_ok
            && wider_ok
            && self.matches_fields(
                attribute(ATTRIBUTE_STATUS),
                attribute(ATTRIBUTE_STREAM),
                attribute(ATTRIBUTE_SHARD),
            )
    }

    /// Whether `id` is one of the ids, or starts with one of the prefixes.
    pub fn matches_id(&self, id: &str) -> bool {
        self.ids.is_empty()
            || self
                .ids
                .iter()
                .any(|wanted| id.starts_with(wanted.as_str()))
    }

    fn matches_fields(
        &self,
        status: Option<&str>,
        stream: Option<&str>,
        shard: Option<&str>,
    ) -> bool {
        let status_ok = self.statuses.is_empty()
            || status.is_some_and(|status| self.statuses.iter().any(|s| s.as_str() == status));
        let stream_ok = self
            .stream
            .as_deref()
            .is_none_or(|wanted| stream.is_some_and(|arn| StreamId::parse(arn).matches(wanted)));
        let shard_ok = self
            .shard
            .as_deref()
            .is_none_or(|wanted| shard == Some(wanted));
        status_ok && stream_ok && shard_ok
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn message(status: &str, stream: &str, shard: &str) -> QueueMessage {
        QueueMessage {
            message_id: "m".into(),
            receipt_handle: "h".into(),
            body: String::new(),
            attributes: BTreeMap::from([
                (ATTRIBUTE_STATUS.to_owned(), status.to_owned()),
                (ATTRIBUTE_STREAM.to_owned(), stream.to_owned()),
                (ATTRIBUTE_SHARD.to_owned(), shard.to_owned()),
            ]),
            sent_millis: None,
        }
    }

    /// Status, stream (by name or ARN) and shard must all match.
    #[test]
    fn keeps_failures_matching_every_field() {
        let arn = "arn:aws:kinesis:us-east-1:000000000000:stream/demo";
        let filter = FailureFilter {
            statuses: vec![HydrationStatus::Complete, HydrationStatus::Partial],
            stream: Some("demo".into()),
            shard: Some("shardId-000000000001".into()),
            ids: Vec::new(),
            wider_range: false,
        };
        assert!(filter.matches_attributes(&message("partial", arn, "shardId-000000000001")));
        assert!(!filter.matches_attributes(&message("rejected", arn, "shardId-000000000001")));
        assert!(!filter.matches_attributes(&message("complete", arn, "shardId-000000000000")));
        assert!(!filter.matches_attributes(&message(
            "complete",
            "arn:aws:kinesis:us-east-1:000000000000:stream/other",
            "shardId-000000000001"
        )));
        assert!(FailureFilter::default().matches_attributes(&message("rejected", arn, "s")));
    }

    /// `--wider-range` keeps only messages flagged as a range wider than
    /// its batch, read from the attribute without parsing the body.
    #[test]
    fn keeps_only_wider_ranges_when_asked() {
        let filter = FailureFilter {
            wider_range: true,
            ..FailureFilter::default()
        };
        let plain = message("complete", "s", "shardId-000000000000");
        let mut wider = plain.clone();
        wider.attributes.insert(
            ATTRIBUTE_WIDER_RANGE.to_owned(),
            "batchSize=3;found=9;likelyCause=parallelizationFactorOrFiltering".to_owned(),
        );
        assert!(filter.matches_attributes(&wider));
        assert!(!filter.matches_attributes(&plain));
        assert!(FailureFilter::default().matches_attributes(&plain));
    }

    /// An id filter takes whole ids or their prefixes, read from the body.
    #[test]
    fn keeps_failures_by_id_or_prefix() {
        let id = "3f2a9c1b7d0e".repeat(5) + "abcd";
        let mut with_id = message("complete", "s", "shardId-000000000000");
        with_id.body = format!(
            r#"{{"schema":"{}","id":"{id}","part":{{"index":0,"count":1}}}}"#,
            streamdlq_core::dlq::SCHEMA_V1
        );
        let by_prefix = FailureFilter {
            ids: vec!["3f2a9c1b".into()],
            ..FailureFilter::default()
        };
        assert!(by_prefix.matches_attributes(&with_id));
        let by_whole = FailureFilter {
            ids: vec!["0000".into(), id.clone()],
            ..FailureFilter::default()
        };
        assert!(by_whole.matches_attributes(&with_id));
        let other = FailureFilter {
            ids: vec!["3f2a9c1c".into()],
            ..FailureFilter::default()
        };
        assert!(!other.matches_attributes(&with_id));
        assert!(!by_prefix.matches_attributes(&message("complete", "s", "x")));
    }
}
