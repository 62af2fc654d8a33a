//! The ordered writer against an in-memory stream that fails the entries a
//! test chooses, the way Kinesis fails entries of a PutRecords call.

use std::sync::Mutex;
use std::time::Duration;

use super::*;

type Rule = Box<dyn Fn(usize, usize, &PutEntry) -> Option<&'static str> + Send + Sync>;

/// One shard per partition key; `fail(call, index in call, entry)` names
/// the error code of an entry to fail, or the whole call with `call_error`.
struct FakeStream {
    shards: Mutex<BTreeMap<String, Vec<Vec<u8>>>>,
    calls: Mutex<Vec<Vec<String>>>,
    fail: Rule,
    call_error: Box<dyn Fn(usize) -> Option<PutError> + Send + Sync>,
}

impl FakeStream {
    fn new(
        fail: impl Fn(usize, usize, &PutEntry) -> Option<&'static str> + Send + Sync + 'static,
    ) -> Self {
        Self {
            shards: Mutex::new(BTreeMap::new()),
            calls: Mutex::new(Vec::new()),
            fail: Box::new(fail),
            call_error: Box::new(|_| None),
        }
    }

    fn reliable() -> Self {
        Self::new(|_, _, _| None)
    }

    fn with_call_error(
        mut self,
        error: impl Fn(usize) -> Option<PutError> + Send + Sync + 'static,
    ) -> Self {
        self.call_error = Box::new(error);
        self
    }

    fn shard(&self, key: &str) -> Vec<Vec<u8>> {
        self.shards
            .lock()
            .expect("lock")
            .get(key)
            .cloned()
            .unwrap_or_default()
    }

    fn calls(&self) -> Vec<Vec<String>> {
        self.calls.lock().expect("lock").clone()
    }
}

impl StreamWriter for FakeStream {
    async fn put_records(
        &self,
        _stream: &StreamId,
        entries: &[&PutEntry],
    ) -> Result<Vec<EntryResult>, PutError> {
        let call = {
            let mut calls = self.calls.lock().expect("lock");
            calls.push(entries.iter().map(|e| e.partition_key.clone()).collect());
            calls.len() - 1
        };
        if let Some(error) = (self.call_error)(call) {
            return Err(error);
        }
        let mut shards = self.shards.lock().expect("lock");
        Ok(entries
            .iter()
            .enumerate()
            .map(|(index, entry)| match (self.fail)(call, index, entry) {
                Some(code) => EntryResult::Failed {
                    code: code.to_owned(),
                    message: "injected".to_owned(),
                },
                None => {
                    let shard = shards.entry(entry.partition_key.clone()).or_default();
                    shard.push(entry.data.clone());
                    EntryResult::Accepted {
                        shard_id: format!("shard-{}", entry.partition_key),
                        sequence_number: shard.len().to_string(),
                    }
                }
            })
            .collect())
    }
}

const THROTTLED: &str = "ProvisionedThroughputExceededException";

fn options() -> PutOptions {
    PutOptions {
        backoff: Backoff {
            base: Duration::ZERO,
            cap: Duration::ZERO,
        },
        ..PutOptions::default()
    }
}

/// Records numbered 0.. under `keys` keys, round robin; data is the number.
fn numbered(count: usize, keys: usize) -> Vec<PutEntry> {
    (0..count)
        .map(|n| PutEntry::new(format!("key-{}", n % keys), n.to_string().into_bytes()))
        .collect()
}

fn expected_order(count: usize, keys: usize, key: usize) -> Vec<Vec<u8>> {
    (0..count)
        .filter(|n| n % keys == key)
        .map(|n| n.to_string().into_bytes())
        .collect()
}

async fn run(put: &mut OrderedPut, stream: &FakeStream) -> Result<Vec<PutStep>, PutFailure> {
    let mut steps = Vec::new();
    while let Some(step) = put.step(stream).await? {
        steps.push(step);
    }
    Ok(steps)
}

fn writer(entries: Vec<PutEntry>, options: PutOptions) -> OrderedPut {
    OrderedPut::new(StreamId::parse("s"), entries, options).expect("valid entries")
}

/// 1,200 records take ceil(1200/500) = 3 calls and keep their order.
#[tokio::test]
async fn puts_records_in_the_fewest_calls() {
    let stream = FakeStream::reliable();
    let mut put = writer(numbered(1_200, 3), options());
    let steps = run(&mut put, &stream).await.expect("all accepted");
    assert_eq!(steps.len(), 3);
    let report = put.report();
    assert_eq!(
        (report.records, report.calls, report.retries),
        (1_200, 3, 0)
    );
    assert_eq!(report.shards.values().sum::<usize>(), 1_200);
    for key in 0..3 {
        assert_eq!(
            stream.shard(&format!("key-{key}")),
            expected_order(1_200, 3, key)
        );
    }
}

/// A throttled shard fails the tail of a call: only the failed records are
/// put again, first, and every key keeps its order.
#[tokio::test]
async fn retries_only_failed_records_ahead_of_later_ones() {
    // The first call fails every entry from index 200 on.
    let stream = FakeStream::new(|call, index, _| (call == 0 && index >= 200).then_some(THROTTLED));
    let mut put = writer(numbered(700, 2), options());
    run(&mut put, &stream).await.expect("all accepted");
    let report = put.report();
    assert_eq!(report.records, 700);
    assert_eq!(report.retries, 300);
    assert_eq!(report.out_of_order, 0);
    for key in 0..2 {
        assert_eq!(
            stream.shard(&format!("key-{key}")),
            expected_order(700, 2, key)
        );
    }
    // The second call holds both failed keys to one record each (their
    // failed record), then the rest flows in full calls again.
    let calls = stream.calls();
    assert_eq!(calls[1], vec!["key-0".to_owned(), "key-1".to_owned()]);
    assert_eq!(calls.iter().map(Vec::len).sum::<usize>(), 700 + 300);
}

/// A failure in the middle of a call lets Kinesis accept later records of
/// the key first; the writer counts them and sends nothing more of that key
/// until the failed record is through.
#[tokio::test]
async fn counts_records_accepted_ahead_of_a_failed_one() {
    // Call 0 fails index 2 only; call 1 fails again whatever it sends.
    let stream = FakeStream::new(|call, index, _| {
        ((call == 0 && index == 2) || call == 1).then_some("InternalFailure")
    });
    let mut put = writer(numbered(6, 1), options());
    let steps = run(&mut put, &stream).await.expect("all accepted");
    assert_eq!(put.report().out_of_order, 3, "records 3, 4, 5 overtook 2");
    let calls = stream.calls();
    assert_eq!(calls[1].len(), 1, "only the failed record while it is held");
    assert_eq!(calls[2].len(), 1);
    assert_eq!(steps.iter().map(|s| s.accepted.len()).sum::<usize>(), 6);
    let order: Vec<Vec<u8>> = ["0", "1", "3", "4", "5", "2"]
        .map(|n| n.as_bytes().to_vec())
        .into();
    assert_eq!(stream.shard("key-0"), order);
}

/// Strict order never lets a record overtake, whatever fails.
#[tokio::test]
async fn strict_order_never_reorders_a_key() {
    let stream =
        FakeStream::new(|call, index, _| (call + index).is_multiple_of(3).then_some(THROTTLED));
    let options = PutOptions {
        strict_order: true,
        ..options()
    };
    let mut put = writer(numbered(60, 4), options);
    run(&mut put, &stream).await.expect("all accepted");
    assert_eq!(put.report().out_of_order, 0);
    for key in 0..4 {
        assert_eq!(
            stream.shard(&format!("key-{key}")),
            expected_order(60, 4, key)
        );
    }
    assert!(stream.calls().iter().all(|call| {
        let mut keys = call.clone();
        keys.sort();
        keys.dedup();
        keys.len() == call.len()
    }));
}

/// A rejected record (a KMS key that is disabled) stops the writer, after
/// the records accepted by the same call were handed out.
#[tokio::test]
async fn stops_at_a_rejected_record_after_handing_out_what_was_accepted() {
    let stream = FakeStream::new(|_, index, _| (index == 1).then_some("KMSDisabledException"));
    let mut put = writer(numbered(3, 3), options());
    let step = put
        .step(&stream)
        .await
        .expect("first call")
        .expect("a step");
    let accepted: Vec<usize> = step.accepted.iter().map(|a| a.position).collect();
    assert_eq!(accepted, vec![0, 2]);
    let error = put.step(&stream).await.expect_err("rejected");
    assert!(
        matches!(error, PutFailure::Rejected { position: 1, .. }),
        "{error}"
    );
    assert_eq!(put.remaining(), 1);
}

/// A record that keeps failing is given up after `max_attempts` calls.
#[tokio::test]
async fn gives_up_after_max_attempts() {
    let stream =
        FakeStream::new(|_, _, entry| (entry.partition_key == "key-1").then_some(THROTTLED));
    let options = PutOptions {
        max_attempts: 3,
        ..options()
    };
    let mut put = writer(numbered(4, 2), options);
    let error = run(&mut put, &stream).await.expect_err("gives up");
    assert!(
        matches!(
            &error,
            PutFailure::GaveUp {
                position: 1,
                attempts: 3,
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(stream.shard("key-0"), expected_order(4, 2, 0));
    assert!(stream.shard("key-1").is_empty());
}

/// A throttled call is retried whole; a missing stream stops at once.
#[tokio::test]
async fn retries_throttled_calls_and_stops_on_a_missing_stream() {
    let stream = FakeStream::reliable()
        .with_call_error(|call| (call < 2).then(|| PutError::Throttled("slow down".into())));
    let mut put = writer(numbered(10, 1), options());
    run(&mut put, &stream).await.expect("all accepted");
    assert_eq!((put.report().calls, put.report().retries), (3, 20));

    let missing = FakeStream::reliable()
        .with_call_error(|_| Some(PutError::StreamNotFound { stream: "s".into() }));
    let mut put = writer(numbered(10, 1), options());
    let error = run(&mut put, &missing).await.expect_err("no stream");
    assert_eq!(
        format!("{:#}", anyhow::Error::new(error)),
        "cannot put records into s: stream s does not exist"
    );
    assert_eq!(missing.calls().len(), 1);
}

/// A record over the Kinesis limit fails the whole input before any call.
#[test]
fn refuses_oversized_input_before_writing() {
    let mut entries = numbered(3, 1);
    entries.push(PutEntry::new("k", vec![0; 1024 * 1024]));
    let error = OrderedPut::new(StreamId::parse("s"), entries, options()).expect_err("too big");
    assert!(matches!(error, EntryError::TooLarge { position: 3, .. }));
}
