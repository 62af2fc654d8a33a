//! The SQS adapter of [`DlqSink`]: SendMessageBatch over aws-sdk-sqs.
//!
//! AWS contract honoured here:
//! - SendMessageBatch takes at most 10 entries and 1 MiB in total, where a
//!   message's size is its body plus its attributes (name, type, value);
//!   batches are packed greedily, in order, within both limits.
//! - Entry ids must be unique within a call: they are the message's position
//!   in its batch, so a retried entry keeps its id.
//! - A 200 answer can still fail some entries (`Failed`). Entries failed on
//!   the queue's side are retried with the workspace's [`Backoff`] (full
//!   jitter) a bounded number of times; `SenderFault` entries would fail
//!   again and are surfaced as errors once the other messages are delivered.
//! - Whole-request throttling and network faults are retried by the SDK's own
//!   retry configuration before they reach this code; what still fails is
//!   reported retryable when it is throttling (`RequestThrottled`,
//!   `KmsThrottled`, or the generic `ThrottlingException` AWS services
//!   answer with HTTP 400), a server fault or the network.

use std::time::Duration;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::{DisplayErrorContext, SdkError};
use aws_sdk_sqs::operation::send_message_batch::SendMessageBatchError;
use aws_sdk_sqs::types::{MessageAttributeValue, SendMessageBatchRequestEntry};

use super::message::{ATTRIBUTE_TYPE, DlqMessage};
use super::sink::{DlqSink, FailedMessage, SendStats, SinkError};
use crate::engine::Backoff;

/// SendMessageBatch accepts at most this many entries.
pub const SQS_BATCH_ENTRIES: usize = 10;
/// SendMessageBatch accepts at most this many bytes, all entries together.
pub const SQS_BATCH_BYTES: usize = 1_048_576;

/// How entries that SQS failed on its side are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqsRetry {
    /// Calls per entry, the first included; at least 1.
    pub attempts: u32,
    /// The delay before each retry.
    pub backoff: Backoff,
}

impl Default for SqsRetry {
    /// Five attempts within about 3.5 s at most: short next to a Lambda
    /// timeout, long enough for a transient SQS fault to pass.
    fn default() -> Self {
        Self {
            attempts: 5,
            backoff: Backoff {
                base: Duration::from_millis(100),
                cap: Duration::from_secs(2),
            },
        }
    }
}

/// Sends DLQ messages to one SQS queue.
#[derive(Debug, Clone)]
pub struct SqsDlqSink {
    client: Client,
    queue_url: String,
    retry: SqsRetry,
}

impl SqsDlqSink {
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
            retry: SqsRetry::default(),
        }
    }

    pub fn with_retry(mut self, retry: SqsRetry) -> Self {
        self.retry = retry;
        self
    }

    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }

    /// Sends one batch, retrying the entries SQS failed on its side. Sender
    /// faults are added to `rejected` so that the other batches still go.
    async fn send_batch(
        &self,
        batch: &[DlqMessage],
        stats: &mut SendStats,
        rejected: &mut Vec<FailedMessage>,
    ) -> Result<(), SinkError> {
        let mut pending: Vec<usize> = (0..batch.len()).collect();
        let mut attempt = 1;
        let mut rng = fastrand::Rng::new();
        loop {
            let entries = pending
                .iter()
                .map(|&position| request_entry(position, &batch[position]))
                .collect::<Result<Vec<_>, _>>()?;
            stats.calls += 1;
            let output = self
                .client
                .send_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(request_error)?;

            let mut retry = Vec::new();
            let mut failures = Vec::new();
            for &position in &pending {
                let message = &batch[position];
                let entry_id = position.to_string();
                if output.successful().iter().any(|ok| ok.id() == entry_id) {
                    stats.messages += 1;
                    stats.bytes += message.size();
                    continue;
                }
                let failed = output
                    .failed()
                    .iter()
                    .find(|failed| failed.id() == entry_id);
                match failed {
                    Some(failed) if failed.sender_fault() => {
                        rejected.push(failed_message(message, failed.code(), failed.message()));
                    }
                    Some(failed) => {
                        retry.push(position);
                        failures.push(failed_message(message, failed.code(), failed.message()));
                    }
                    // Neither accepted nor failed: treat as not delivered.
                    None => {
                        retry.push(position);
                        failures.push(failed_message(
                            message,
                            "MissingFromResponse",
                            Some("the response names the entry neither successful nor failed"),
                        ));
                    }
                }
            }
            if retry.is_empty() {
                return Ok(());
            }
            if attempt >= self.retry.attempts {
                return Err(SinkError::RetriesExhausted {
                    entries: failures,
                    attempts: attempt,
                });
            }
            tracing::warn!(
                queue = %self.queue_url,
                attempt,
                failed = retry.len(),
                code = %failures[0].code,
                "SQS failed DLQ messages; retrying them"
            );
            tokio::time::sleep(self.retry.backoff.delay(attempt - 1, &mut rng)).await;
            stats.retries += retry.len();
            attempt += 1;
            pending = retry;
        }
    }
}

impl DlqSink for SqsDlqSink {
    async fn send(&self, messages: &[DlqMessage]) -> Result<SendStats, SinkError> {
        // Check every size first, so that nothing is half sent for a reason
        // known in advance.
        SinkError::check_sizes(messages)?;
        let mut stats = SendStats::default();
        let mut rejected = Vec::new();
        for batch in batches(messages, SQS_BATCH_ENTRIES, SQS_BATCH_BYTES) {
            self.send_batch(batch, &mut stats, &mut rejected).await?;
        }
        tracing::debug!(
            calls = stats.calls,
            messages = stats.messages,
            bytes = stats.bytes,
            retries = stats.retries,
            "sent DLQ messages"
        );
        if rejected.is_empty() {
            Ok(stats)
        } else {
            Err(SinkError::Rejected(rejected))
        }
    }
}

/// Splits messages, in order, into runs of at most `max_entries` messages
/// and `max_bytes` bytes. Each message must fit `max_bytes` on its own.
pub(crate) fn batches(
    messages: &[DlqMessage],
    max_entries: usize,
    max_bytes: usize,
) -> Vec<&[DlqMessage]> {
    let mut batches = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (end, message) in messages.iter().enumerate() {
        let size = message.size();
        if end > start && (end - start == max_entries || bytes + size > max_bytes) {
            batches.push(&messages[start..end]);
            start = end;
            bytes = 0;
        }
        bytes += size;
    }
    if start < messages.len() {
        batches.push(&messages[start..]);
    }
    batches
}

fn request_entry(
    position: usize,
    message: &DlqMessage,
) -> Result<SendMessageBatchRequestEntry, SinkError> {
    let mut entry = SendMessageBatchRequestEntry::builder()
        .id(position.to_string())
        .message_body(&message.body);
    for attribute in &message.attributes {
        let value = MessageAttributeValue::builder()
            .data_type(ATTRIBUTE_TYPE)
            .string_value(&attribute.value)
            .build()
            .map_err(invalid_request)?;
        entry = entry.message_attributes(attribute.name, value);
    }
    entry.build().map_err(invalid_request)
}

fn invalid_request(error: aws_sdk_sqs::error::BuildError) -> SinkError {
    SinkError::Request {
        message: format!("invalid SendMessageBatch entry: {error}"),
        retryable: false,
    }
}

fn failed_message(message: &DlqMessage, code: &str, text: Option<&str>) -> FailedMessage {
    FailedMessage {
        id: message.id.clone(),
        part: message.part.index,
        code: code.to_owned(),
        message: text.map(str::to_owned),
    }
}

/// The SDK has already retried what its retry configuration covers; what
/// remains may still pass later if it is throttling, a server fault or the
/// network.
fn request_error(error: SdkError<SendMessageBatchError>) -> SinkError {
    let retryable = match &error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(service) => {
            matches!(
                service.err(),
                SendMessageBatchError::RequestThrottled(_) | SendMessageBatchError::KmsThrottled(_)
            ) || service.err().meta().code() == Some("ThrottlingException")
                || service.raw().status().is_server_error()
        }
        _ => false,
    };
    SinkError::Request {
        message: format!("SendMessageBatch: {}", DisplayErrorContext(&error)),
        retryable,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use aws_sdk_sqs::operation::send_message_batch::{
        SendMessageBatchInput, SendMessageBatchOutput,
    };
    use aws_sdk_sqs::types::error::QueueDoesNotExist;
    use aws_sdk_sqs::types::{BatchResultErrorEntry, SendMessageBatchResultEntry};
    use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};

    use super::*;
    use crate::dlq::message::SQS_MESSAGE_LIMIT;
    use crate::dlq::{FailureSource, build_parts};
    use crate::fixtures::{KINESIS_FAILURE, complete, failure, records};

    const QUEUE: &str = "https://sqs.eu-west-1.amazonaws.com/123456789012/dlq";

    /// A limit at which each 100-byte record of the fixtures gets its own part.
    const ONE_PER_PART: usize = 1_700;

    /// What one SendMessageBatch call carried: (entry id, SQS size) pairs.
    type Calls = Arc<Mutex<Vec<Vec<(String, usize)>>>>;

    fn quick_retry() -> SqsRetry {
        SqsRetry {
            attempts: 3,
            backoff: Backoff {
                base: Duration::from_millis(1),
                cap: Duration::from_millis(2),
            },
        }
    }

    fn sink(rule: &Rule) -> SqsDlqSink {
        let client = mock_client!(aws_sdk_sqs, RuleMode::MatchAny, [rule]);
        SqsDlqSink::new(client, QUEUE).with_retry(quick_retry())
    }

    fn messages(count: u32, record_size: usize, limit: usize) -> Vec<DlqMessage> {
        let failure_record = failure(KINESIS_FAILURE);
        build_parts(
            &FailureSource::Record(&failure_record),
            &complete(records(count, record_size)),
            limit,
        )
        .expect("parts")
    }

    /// The size SQS counts for one request entry: body and attributes.
    fn entry_size(input: &SendMessageBatchInput, id: &str) -> usize {
        let entry = input
            .entries()
            .iter()
            .find(|e| e.id() == id)
            .expect("entry");
        let attributes: usize = entry
            .message_attributes()
            .into_iter()
            .flatten()
            .map(|(name, value)| {
                name.len() + value.data_type().len() + value.string_value().map_or(0, str::len)
            })
            .sum();
        entry.message_body().len() + attributes
    }

    /// Answers every call with `fail(call, entry id)`: `None` for success,
    /// `Some(sender_fault)` for a failed entry. Records every call.
    fn answering(
        fail: impl Fn(usize, &str) -> Option<bool> + Send + Sync + 'static,
    ) -> (Rule, Calls) {
        let calls: Calls = Arc::default();
        let seen = calls.clone();
        let rule = mock!(Client::send_message_batch).then_compute_output(move |input| {
            let mut calls = seen.lock().expect("lock");
            let call = calls.len();
            calls.push(
                input
                    .entries()
                    .iter()
                    .map(|e| (e.id().to_owned(), entry_size(input, e.id())))
                    .collect(),
            );
            let mut output = SendMessageBatchOutput::builder()
                .set_successful(Some(Vec::new()))
                .set_failed(Some(Vec::new()));
            for entry in input.entries() {
                output = match fail(call, entry.id()) {
                    None => output.successful(
                        SendMessageBatchResultEntry::builder()
                            .id(entry.id())
                            .message_id(format!("msg-{call}-{}", entry.id()))
                            .md5_of_message_body("md5")
                            .build()
                            .expect("entry"),
                    ),
                    Some(sender_fault) => output.failed(
                        BatchResultErrorEntry::builder()
                            .id(entry.id())
                            .sender_fault(sender_fault)
                            .code(if sender_fault {
                                "InvalidParameterValue"
                            } else {
                                "InternalError"
                            })
                            .message("failed in test")
                            .build()
                            .expect("entry"),
                    ),
                };
            }
            output.build().expect("output")
        });
        (rule, calls)
    }

    fn recorded(calls: &Calls) -> Vec<Vec<(String, usize)>> {
        calls.lock().expect("lock").clone()
    }

    /// Small messages go ten to a call, in order.
    #[tokio::test]
    async fn packs_at_most_ten_messages_per_call() {
        let (rule, calls) = answering(|_, _| None);
        let input = messages(25, 100, ONE_PER_PART);
        assert_eq!(input.len(), 25, "one record per part at this limit");
        let stats = sink(&rule).send(&input).await.expect("sent");
        let calls = recorded(&calls);
        assert_eq!(calls.iter().map(Vec::len).collect::<Vec<_>>(), [10, 10, 5]);
        assert_eq!(stats.calls, 3);
        assert_eq!(stats.messages, 25);
        assert_eq!(
            stats.bytes,
            input.iter().map(DlqMessage::size).sum::<usize>()
        );
        assert_eq!(stats.retries, 0);
    }

    /// Large messages go as many to a call as fit 1 MiB, attributes counted.
    #[tokio::test]
    async fn packs_calls_within_one_mebibyte() {
        let (rule, calls) = answering(|_, _| None);
        let input = messages(1_500, 600, 300_000);
        assert_eq!(input.len(), 5);
        let stats = sink(&rule).send(&input).await.expect("sent");
        let calls = recorded(&calls);
        assert_eq!(calls.iter().map(Vec::len).collect::<Vec<_>>(), [3, 2]);
        for call in &calls {
            let bytes: usize = call.iter().map(|(_, size)| size).sum();
            assert!(bytes <= SQS_BATCH_BYTES, "{bytes} bytes in one call");
        }
        let sent: usize = calls.iter().flatten().map(|(_, size)| size).sum();
        assert_eq!(sent, stats.bytes, "attributes reach the wire as counted");
    }

    /// Entries that SQS failed on its side are sent again, and only those.
    #[tokio::test]
    async fn retries_entries_failed_by_the_queue() {
        let (rule, calls) =
            answering(|call, id| (call == 0 && (id == "1" || id == "3")).then_some(false));
        let input = messages(5, 100, ONE_PER_PART);
        let stats = sink(&rule).send(&input).await.expect("sent after retry");
        let calls = recorded(&calls);
        assert_eq!(calls.len(), 2);
        let retried: Vec<&str> = calls[1].iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(retried, ["1", "3"], "same entry ids, nothing resent twice");
        assert_eq!(stats.calls, 2);
        assert_eq!(stats.messages, 5);
        assert_eq!(stats.retries, 2);
    }

    /// Sender faults are not retried; the rest is delivered and the fault
    /// surfaces with the message's id and part.
    #[tokio::test]
    async fn surfaces_sender_faults_without_retrying() {
        let (rule, calls) = answering(|_, id| (id == "2").then_some(true));
        let input = messages(15, 100, ONE_PER_PART);
        let error = sink(&rule).send(&input).await.expect_err("rejected");
        match &error {
            SinkError::Rejected(entries) => {
                assert_eq!(entries.len(), 2, "entry 2 of each of the two calls");
                assert_eq!(entries[0].part, 2);
                assert_eq!(entries[1].part, 12);
                assert_eq!(entries[0].code, "InvalidParameterValue");
                assert_eq!(entries[0].id, input[0].id);
            }
            other => panic!("expected rejected, got {other:?}"),
        }
        assert!(!error.is_retryable());
        assert_eq!(recorded(&calls).len(), 2, "no retry call");
    }

    /// Entries that keep failing give up after the policy's attempts.
    #[tokio::test]
    async fn gives_up_after_the_retry_budget() {
        let (rule, calls) = answering(|_, id| (id == "0").then_some(false));
        let input = messages(2, 100, ONE_PER_PART);
        let error = sink(&rule).send(&input).await.expect_err("exhausted");
        assert!(matches!(
            &error,
            SinkError::RetriesExhausted { entries, attempts: 3 } if entries.len() == 1
        ));
        assert!(error.is_retryable());
        assert_eq!(recorded(&calls).len(), 3);
    }

    /// Attributes are sent as SQS String attributes with the message's values.
    #[tokio::test]
    async fn sends_attributes_as_strings() {
        let seen: Arc<Mutex<Vec<(String, String, String)>>> = Arc::default();
        let record = seen.clone();
        let rule = mock!(Client::send_message_batch).then_compute_output(move |input| {
            let entry = &input.entries()[0];
            let mut attributes: Vec<_> = entry
                .message_attributes()
                .into_iter()
                .flatten()
                .map(|(name, value)| {
                    (
                        name.clone(),
                        value.data_type().to_owned(),
                        value.string_value().unwrap_or_default().to_owned(),
                    )
                })
                .collect();
            attributes.sort();
            *record.lock().expect("lock") = attributes;
            SendMessageBatchOutput::builder()
                .successful(
                    SendMessageBatchResultEntry::builder()
                        .id(entry.id())
                        .message_id("m")
                        .md5_of_message_body("md5")
                        .build()
                        .expect("entry"),
                )
                .set_failed(Some(Vec::new()))
                .build()
                .expect("output")
        });
        sink(&rule)
            .send(&messages(1, 10, 4096))
            .await
            .expect("sent");
        let attributes = seen.lock().expect("lock").clone();
        let names: Vec<&str> = attributes.iter().map(|(n, _, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "streamdlq.schema",
                "streamdlq.shard",
                "streamdlq.status",
                "streamdlq.stream"
            ]
        );
        assert!(attributes.iter().all(|(_, kind, _)| kind == "String"));
        assert_eq!(attributes[2].2, "complete");
    }

    /// A message over the SQS limit fails before anything is sent.
    #[tokio::test]
    async fn refuses_oversized_messages_before_sending() {
        let (rule, calls) = answering(|_, _| None);
        let mut input = messages(2, 100, ONE_PER_PART);
        input[1].body = "x".repeat(SQS_MESSAGE_LIMIT);
        assert!(matches!(
            sink(&rule).send(&input).await,
            Err(SinkError::TooLarge { part: 1, .. })
        ));
        assert!(recorded(&calls).is_empty());
    }

    /// A queue that does not exist is a request error that will not pass.
    #[tokio::test]
    async fn reports_a_missing_queue_as_not_retryable() {
        let rule = mock!(Client::send_message_batch).then_error(|| {
            SendMessageBatchError::QueueDoesNotExist(QueueDoesNotExist::builder().build())
        });
        let error = sink(&rule)
            .send(&messages(1, 10, 4096))
            .await
            .expect_err("fails");
        assert!(matches!(
            error,
            SinkError::Request {
                retryable: false,
                ..
            }
        ));
    }

    /// Batches never exceed the entry or byte limit, and keep order.
    #[test]
    fn batches_respect_both_limits_in_order() {
        let input = messages(40, 100, ONE_PER_PART);
        let by_count = batches(&input, SQS_BATCH_ENTRIES, SQS_BATCH_BYTES);
        assert_eq!(
            by_count.iter().map(|b| b.len()).collect::<Vec<_>>(),
            [10, 10, 10, 10]
        );

        let max_bytes = input[0].size() * 7 / 2;
        let by_bytes = batches(&input, SQS_BATCH_ENTRIES, max_bytes);
        assert_eq!(by_bytes.len(), 14, "three messages per batch");
        for batch in &by_bytes {
            assert!(batch.iter().map(DlqMessage::size).sum::<usize>() <= max_bytes);
        }
        let flattened: Vec<&DlqMessage> = by_bytes.iter().flat_map(|b| b.iter()).collect();
        assert_eq!(flattened, input.iter().collect::<Vec<_>>());
        assert!(batches(&[], SQS_BATCH_ENTRIES, SQS_BATCH_BYTES).is_empty());
    }

    /// SQS's generic throttling error (HTTP 400 `ThrottlingException`), as
    /// it stands once the SDK's own attempts are spent, is retryable like
    /// `RequestThrottled`; another client error is not.
    #[tokio::test]
    async fn counts_throttling_exceptions_as_retryable() {
        for (code, retryable) in [("ThrottlingException", true), ("AccessDenied", false)] {
            let body = format!(r#"{{"__type":"com.amazonaws.sqs#{code}","message":"slow down"}}"#);
            let rule = mock!(Client::send_message_batch)
                .sequence()
                .http_status(400, Some(body))
                .repeatedly()
                .build();
            let error = sink(&rule)
                .send(&messages(1, 10, 4096))
                .await
                .expect_err("fails");
            assert_eq!(error.is_retryable(), retryable, "{code}: {error}");
            assert!(error.to_string().contains(code), "{error}");
        }
    }
}
