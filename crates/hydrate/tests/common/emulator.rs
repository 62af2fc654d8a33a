//! Plumbing of the end-to-end tests: SDK clients for the shared emulators,
//! streams with records in chosen shards, fresh DLQ queues drained after
//! use, and a reader decorator that records every Kinesis call.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, QueueAttributeName};
use lambda_runtime::Context;
use streamdlq_core::{IteratorStart, ReadError, RecordPage, ShardReader};
use streamdlq_emulators::Emulators;

/// SDK clients for the emulators, built the way the Lambda builds them.
#[derive(Debug, Clone)]
pub struct Aws {
    pub kinesis: aws_sdk_kinesis::Client,
    pub sqs: aws_sdk_sqs::Client,
}

/// Clients for the emulators shared by the test binary (started on first
/// use). Each test builds its own: a client belongs to the runtime it ran on.
pub async fn aws() -> Aws {
    let emulators = Emulators::shared().await.expect("emulators start");
    Aws {
        kinesis: hydrate::clients::kinesis(&emulators.kinesis_config()),
        sqs: hydrate::clients::sqs(&emulators.moto_config()),
    }
}

/// A resource name no other test of any run uses.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "{prefix}-{}-{}-{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// One shard of a test stream.
#[derive(Debug, Clone)]
pub struct Shard {
    pub id: String,
    /// The lowest sequence number of the shard: no record has it.
    pub starting_sequence_number: String,
    /// Records with this explicit hash key land in this shard.
    pub starting_hash_key: String,
}

/// A stream created for one test.
#[derive(Debug, Clone)]
pub struct Stream {
    pub arn: String,
    pub shards: Vec<Shard>,
}

/// A record as it was put.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Put {
    pub sequence_number: String,
    pub partition_key: String,
    pub data: Vec<u8>,
}

impl Stream {
    /// Creates an active stream with `shards` shards.
    pub async fn create(kinesis: &aws_sdk_kinesis::Client, shards: i32) -> Self {
        let name = unique("hydrate");
        kinesis
            .create_stream()
            .stream_name(&name)
            .shard_count(shards)
            .send()
            .await
            .expect("create stream");
        let arn = kinesis
            .describe_stream_summary()
            .stream_name(&name)
            .send()
            .await
            .expect("describe stream")
            .stream_description_summary
            .expect("summary")
            .stream_arn;
        let listed = kinesis
            .list_shards()
            .stream_arn(&arn)
            .send()
            .await
            .expect("list shards")
            .shards
            .unwrap_or_default();
        let mut shards: Vec<Shard> = listed
            .into_iter()
            .map(|shard| Shard {
                id: shard.shard_id,
                starting_sequence_number: shard
                    .sequence_number_range
                    .expect("sequence number range")
                    .starting_sequence_number,
                starting_hash_key: shard
                    .hash_key_range
                    .expect("hash key range")
                    .starting_hash_key,
            })
            .collect();
        shards.sort_by(|a, b| a.id.cmp(&b.id));
        Self { arn, shards }
    }

    /// Puts `records` (partition key, data) into shard number `shard`, in
    /// order, in as few PutRecords calls as the limits allow.
    pub async fn put(
        &self,
        kinesis: &aws_sdk_kinesis::Client,
        shard: usize,
        records: &[(&str, Vec<u8>)],
    ) -> Vec<Put> {
        // PutRecords takes 500 records and 5 MiB a call.
        const MAX_RECORDS: usize = 500;
        const MAX_BYTES: usize = 4 * 1024 * 1024;
        let hash_key = &self.shards[shard].starting_hash_key;
        let mut puts = Vec::with_capacity(records.len());
        let mut start = 0;
        while start < records.len() {
            let mut end = start;
            let mut bytes = 0;
            while end < records.len()
                && end - start < MAX_RECORDS
                && (end == start || bytes + records[end].1.len() <= MAX_BYTES)
            {
                bytes += records[end].1.len() + records[end].0.len();
                end += 1;
            }
            let entries = records[start..end]
                .iter()
                .map(|(key, data)| {
                    PutRecordsRequestEntry::builder()
                        .partition_key(*key)
                        .explicit_hash_key(hash_key)
                        .data(Blob::new(data.clone()))
                        .build()
                        .expect("entry")
                })
                .collect();
            let output = kinesis
                .put_records()
                .stream_arn(&self.arn)
                .set_records(Some(entries))
                .send()
                .await
                .expect("put records");
            assert_eq!(output.failed_record_count, Some(0), "every record put");
            for (result, (key, data)) in output.records.iter().zip(&records[start..end]) {
                assert_eq!(
                    result.shard_id.as_deref(),
                    Some(self.shards[shard].id.as_str())
                );
                puts.push(Put {
                    sequence_number: result.sequence_number.clone().expect("sequence number"),
                    partition_key: (*key).to_owned(),
                    data: data.clone(),
                });
            }
            start = end;
        }
        puts
    }
}

/// A fresh SQS queue for one test, accepting messages up to 1 MiB.
pub async fn create_queue(sqs: &aws_sdk_sqs::Client) -> String {
    sqs.create_queue()
        .queue_name(unique("hydrate-dlq"))
        .attributes(QueueAttributeName::MaximumMessageSize, "1048576")
        .send()
        .await
        .expect("create queue")
        .queue_url
        .expect("queue url")
}

/// One message read from the queue.
#[derive(Debug, Clone)]
pub struct Received {
    pub body: String,
    /// The size SQS counts: body plus attribute names, types and values.
    pub size: usize,
    /// String message attributes, name and value.
    pub attributes: Vec<(String, String)>,
}

/// Receives and deletes `expected` messages, then checks that nothing more
/// is waiting (moto slows down as a queue fills, so tests leave it empty).
pub async fn drain(sqs: &aws_sdk_sqs::Client, queue_url: &str, expected: usize) -> Vec<Received> {
    let mut received = Vec::new();
    let mut empty_polls = 0;
    while received.len() < expected && empty_polls < 10 {
        let batch = receive(sqs, queue_url, 1).await;
        if batch.is_empty() {
            empty_polls += 1;
        }
        received.extend(batch);
    }
    let extra = receive(sqs, queue_url, 0).await;
    assert!(
        extra.is_empty(),
        "the queue holds more than the {expected} messages expected"
    );
    received
}

/// One receive of up to ten messages (waiting up to `wait` seconds), each
/// deleted once received.
pub async fn receive(sqs: &aws_sdk_sqs::Client, queue_url: &str, wait: i32) -> Vec<Received> {
    let messages = sqs
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(10)
        .message_attribute_names("All")
        .wait_time_seconds(wait)
        .send()
        .await
        .expect("receive")
        .messages
        .unwrap_or_default();
    if messages.is_empty() {
        return Vec::new();
    }
    let entries = messages
        .iter()
        .enumerate()
        .map(|(n, message)| {
            DeleteMessageBatchRequestEntry::builder()
                .id(n.to_string())
                .receipt_handle(message.receipt_handle.clone().expect("receipt handle"))
                .build()
                .expect("entry")
        })
        .collect();
    sqs.delete_message_batch()
        .queue_url(queue_url)
        .set_entries(Some(entries))
        .send()
        .await
        .expect("delete");
    messages
        .into_iter()
        .map(|message| {
            let body = message.body.unwrap_or_default();
            let sent = message.message_attributes.unwrap_or_default();
            let attributes_size: usize = sent
                .iter()
                .map(|(name, value)| {
                    name.len()
                        + value.data_type.len()
                        + value.string_value.as_deref().map_or(0, str::len)
                })
                .sum();
            Received {
                size: body.len() + attributes_size,
                body,
                attributes: sent
                    .into_iter()
                    .filter_map(|(name, value)| Some((name, value.string_value?)))
                    .collect(),
            }
        })
        .collect()
}

/// A Lambda context whose deadline is `remaining` from now.
pub fn context(remaining: Duration) -> Context {
    let deadline = SystemTime::now() + remaining;
    let mut context = Context::default();
    context.deadline = u64::try_from(
        deadline
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_millis(),
    )
    .expect("fits");
    context
}

/// A Kinesis call as the decorator saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    ShardIterator,
    /// A GetRecords answer: how many records, and `MillisBehindLatest`.
    Page {
        records: usize,
        millis_behind_latest: Option<i64>,
    },
    Failed(ReadError),
}

/// A [`ShardReader`] decorator that records every call it passes on.
#[derive(Debug, Clone)]
pub struct Observed<R> {
    inner: R,
    calls: Arc<Mutex<Vec<Call>>>,
}

impl<R> Observed<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            calls: Arc::default(),
        }
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn record(&self, call: Call) {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(call);
    }
}

impl<R: ShardReader + Sync> ShardReader for Observed<R> {
    async fn shard_iterator(
        &self,
        stream_arn: &str,
        shard_id: &str,
        start: &IteratorStart,
    ) -> Result<String, ReadError> {
        let result = self.inner.shard_iterator(stream_arn, shard_id, start).await;
        self.record(match &result {
            Ok(_) => Call::ShardIterator,
            Err(error) => Call::Failed(error.clone()),
        });
        result
    }

    async fn records(
        &self,
        stream_arn: &str,
        iterator: &str,
        limit: u32,
    ) -> Result<RecordPage, ReadError> {
        let result = self.inner.records(stream_arn, iterator, limit).await;
        self.record(match &result {
            Ok(page) => Call::Page {
                records: page.records.len(),
                millis_behind_latest: page.millis_behind_latest,
            },
            Err(error) => Call::Failed(error.clone()),
        });
        result
    }
}
