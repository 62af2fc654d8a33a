//! What one source message holds, decided before anything is read or
//! written: a failure to hydrate, text that is not an OnFailure record, or
//! a failure of a stream this run may not read.
//!
//! The body is read by [`QueueBody::read`] (raw record or SNS envelope), the
//! one reading the hydrate function shares, and the record by
//! [`FailureRecord::parse`]. The allowlist is checked here, before any
//! stream call, exactly as the function checks it; unlike the function, the
//! rescue does not write a refused failure to the DLQ as `rejected`: it
//! leaves the message in the source queue, where a run allowed to read that
//! stream can still hydrate it.

use hydrate::StreamAllowlist;
use streamdlq_core::{FailureRecord, QueueBody};

/// The verdict on one source message body.
#[derive(Debug)]
pub enum Triage {
    /// An OnFailure record of an allowed stream.
    Failure {
        /// The record's text, as the hydrate engine takes it.
        text: String,
        record: Box<FailureRecord>,
        sns_wrapped: bool,
    },
    /// Not an OnFailure record: it reaches the DLQ as `unparseable` with its
    /// text kept.
    Unparseable { text: String, reason: String },
    /// An OnFailure record of a stream not on the allowlist: left in the
    /// source queue, nothing read.
    Refused { stream_arn: String, reason: String },
}

impl Triage {
    /// Reads `body` and checks its stream against `allowlist`.
    pub fn of(body: &str, allowlist: &StreamAllowlist) -> Self {
        let read = QueueBody::read(body);
        let sns_wrapped = read.is_sns_wrapped();
        let text = read.text.into_owned();
        match FailureRecord::parse(&text) {
            Err(error) => Self::Unparseable {
                reason: format!("not an OnFailure record: {error}"),
                text,
            },
            Ok(record) if !allowlist.allows(&record.batch.stream_arn) => Self::Refused {
                reason: format!(
                    "stream {} is not allowed: pass --allow-stream {} or add it to {}",
                    record.batch.stream_arn,
                    record.batch.stream_arn,
                    StreamAllowlist::VARIABLE
                ),
                stream_arn: record.batch.stream_arn,
            },
            Ok(record) => Self::Failure {
                text,
                record: Box::new(record),
                sns_wrapped,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD: &str = include_str!("../../../../events/onfailure-kinesis.json");
    const STREAM: &str = "arn:aws:kinesis:us-east-1:123456789012:stream/streamdlq-demo";

    fn allow(arn: &str) -> StreamAllowlist {
        StreamAllowlist::parse(arn)
    }

    /// A raw OnFailure body of an allowed stream is a failure to hydrate,
    /// its text the body itself.
    #[test]
    fn a_raw_record_of_an_allowed_stream_is_a_failure() {
        let Triage::Failure {
            text,
            record,
            sns_wrapped,
        } = Triage::of(RECORD, &allow(STREAM))
        else {
            panic!("a failure");
        };
        assert_eq!(text, RECORD);
        assert_eq!(record.batch.stream_arn, STREAM);
        assert!(!sns_wrapped);
    }

    /// An SNS envelope is opened: the failure is its `Message`.
    #[test]
    fn an_sns_wrapped_record_is_the_envelopes_message() {
        let body = serde_json::json!({
            "Type": "Notification",
            "MessageId": "0d6f5c51-1111-2222-3333-444455556666",
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:failures",
            "Message": RECORD,
        })
        .to_string();
        let Triage::Failure {
            text, sns_wrapped, ..
        } = Triage::of(&body, &allow(STREAM))
        else {
            panic!("a failure");
        };
        assert_eq!(text, RECORD);
        assert!(sns_wrapped);
    }

    /// A stream not on the allowlist is refused with a reason naming the
    /// stream and how to allow it; nothing else is decided.
    #[test]
    fn a_stream_not_on_the_allowlist_is_refused_with_the_way_to_allow_it() {
        let other = "arn:aws:kinesis:us-east-1:123456789012:stream/other";
        let Triage::Refused { stream_arn, reason } = Triage::of(RECORD, &allow(other)) else {
            panic!("refused");
        };
        assert_eq!(stream_arn, STREAM);
        assert!(
            reason.contains(&format!("--allow-stream {STREAM}")),
            "{reason}"
        );
        assert!(reason.contains("ALLOWED_STREAM_ARNS"), "{reason}");
    }

    /// Text that is not an OnFailure record is unparseable, kept whole.
    #[test]
    fn text_that_is_not_a_record_is_unparseable_and_kept_whole() {
        for body in ["hello", "{\"KinesisBatchInfo\": 3}", ""] {
            let Triage::Unparseable { text, reason } = Triage::of(body, &allow(STREAM)) else {
                panic!("unparseable: {body:?}");
            };
            assert_eq!(text, body);
            assert!(reason.starts_with("not an OnFailure record"), "{reason}");
        }
    }
}
