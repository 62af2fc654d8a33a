//! `replay --to-function`: the round trip of a poison pill. The strict
//! processor fails it, the failed range is hydrated from kinesis-local into
//! the DLQ, the processor is fixed (lenient schema mode), the replay hands
//! it the original records and the DLQ ends empty. And the verdict replay
//! shares with the ESM, through a function behind the Lambda Invoke API: a
//! doubtful answer keeps the DLQ message, a recorded success deletes it.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{FULL, TestEnv, cli, onfailure, stderr, stdout};
use indicatif::ProgressBar;
use processor::{Element, ElementHandler, ElementSink, ElementSinkError, SchemaMode};
use streamdlq_cli::input::parse_records;
use streamdlq_cli::queue::ScanOptions;
use streamdlq_cli::replay::{
    FunctionReplayOptions, Interrupt, ReplaySession, SelectOptions, replay_to_function, select,
};
use streamdlq_core::batch::RecordContext;
use streamdlq_core::invocation::{
    AnswerVerdict, FunctionSettings, KinesisEventSource, LambdaFunction, PayloadReading,
};
use streamdlq_core::{FailureRecord, HydrateOptions, HydrationStatus, KinesisShardReader, hydrate};
use streamdlq_emulators::invoke_server::{Answer, InvokeServer};
use streamdlq_local::InvokeApiFunction;
use streamdlq_local::esm::processor_function;

const WITH_POISON_PILL: &str = include_str!("../../../events/test-records-with-poison-pill.json");
const SHARD: &str = "shardId-000000000000";
const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:000000000000:function:streamdlq-processor";

/// Keeps the elements the processor accepts, with their sequence numbers.
#[derive(Debug, Default)]
struct Recording(Mutex<Vec<(String, String)>>);

impl ElementSink for Recording {
    async fn accept(
        &self,
        record: &RecordContext,
        element: &Element<'_>,
    ) -> Result<(), ElementSinkError> {
        self.0.lock().expect("lock").push((
            record.sequence_number.to_string(),
            element.symbol.to_string(),
        ));
        Ok(())
    }
}

/// The demo's poison pill in the DLQ, the way the pipeline puts it there:
/// the strict processor reports it, the ESM's OnFailure record covers the
/// range from it to the end of the batch, and hydration re-reads that range
/// from the stream. Returns the stream ARN, the queue URL and the symbols of
/// the failed range.
async fn poison_pill_in_the_dlq(env: &TestEnv) -> (String, String, String, Vec<String>) {
    let (name, arn) = env.stream("s", 1).await;
    let queue = env.queue("dlq").await;
    env.put(&arn, parse_records(WITH_POISON_PILL).expect("records"))
        .await;
    let records = env.read_stream(&arn).await.remove(SHARD).expect("shard");

    let (strict, _) = processor(SchemaMode::Strict);
    let source = KinesisEventSource {
        stream_arn: arn.clone(),
        region: "us-east-1".to_owned(),
        invoke_identity_arn: None,
    };
    let answer = strict
        .invoke(source.event(SHARD, &records).into_bytes())
        .await;
    let verdict = AnswerVerdict::judge(
        &answer,
        records.iter().map(|record| &record.sequence_number),
        PayloadReading::BatchItemFailures,
    );
    let AnswerVerdict::PartialFailure { index: at } = verdict else {
        panic!("the strict processor reports the poison pill: {verdict:?}");
    };
    let failed = &records[at..];

    let failure =
        FailureRecord::parse(&onfailure(&arn, SHARD, failed, "poison")).expect("OnFailure record");
    let reader = KinesisShardReader::new(env.kinesis.clone());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let report = hydrate(
        &reader,
        &failure.batch,
        &HydrateOptions::default(),
        deadline,
    )
    .await;
    assert_eq!(report.hydration.status, HydrationStatus::Complete);
    assert_eq!(report.hydration.records, failed);
    env.send_failure(
        &queue,
        &failure.original,
        HydrationStatus::Complete,
        report.hydration.records,
        FULL,
    )
    .await;
    let symbols = failed
        .iter()
        .map(|record| {
            Element::from_bytes(&record.data, SchemaMode::Lenient)
                .expect("an element")
                .symbol
                .into_owned()
        })
        .collect();
    (name, arn, queue, symbols)
}

/// The demo processor in process with a recording sink, and the handler
/// to read the sink from.
fn processor(mode: SchemaMode) -> (impl LambdaFunction, Arc<ElementHandler<Recording>>) {
    let handler = Arc::new(ElementHandler::new(Recording::default(), mode));
    let function = processor_function(Arc::clone(&handler), FunctionSettings::new(FUNCTION_ARN));
    (function, handler)
}

async fn replay_into(
    env: &TestEnv,
    queue: &str,
    function: &dyn LambdaFunction,
) -> streamdlq_cli::replay::FunctionReplayReport {
    let session = ReplaySession::open(env.dlq(queue), &ScanOptions::default())
        .await
        .expect("scan");
    let selection = select(session.inventory(), &SelectOptions::default());
    let (report, error) = replay_to_function(
        function,
        session.queue(),
        &selection.chosen,
        FunctionReplayOptions::default(),
        &ProgressBar::hidden(),
        &Interrupt::default(),
    )
    .await;
    assert!(error.is_none(), "{error:?}");
    session
        .close(&report.deletions.handles)
        .await
        .expect("release");
    report
}

/// Poison pill -> DLQ -> processor fixed -> replay -> processed, DLQ empty.
/// Before the fix the replay keeps the message and says why.
#[tokio::test]
async fn poison_pill_is_processed_after_the_fix_and_leaves_the_dlq() {
    let env = TestEnv::new("fn-round-trip").await;
    let (_, _, queue, symbols) = poison_pill_in_the_dlq(&env).await;
    assert_eq!(
        symbols[0], "B",
        "the failed range starts at the poison pill"
    );

    let (strict, strict_handler) = processor(SchemaMode::Strict);
    let report = replay_into(&env, &queue, &strict).await;
    assert_eq!(report.failures, 0);
    assert_eq!(report.kept.len(), 1);
    // The failed range starts at the pill, so the strict processor fails
    // the invocation (a poison head: on AWS the ESM would bisect).
    assert!(
        report.kept[0]
            .reason
            .contains("poison record at the head of a batch"),
        "{:?}",
        report.kept
    );
    assert!(strict_handler.sink().0.lock().expect("lock").is_empty());
    assert_eq!(env.depth(&queue).await.visible, 1, "kept in the DLQ");

    let (fixed, fixed_handler) = processor(SchemaMode::Lenient);
    let report = replay_into(&env, &queue, &fixed).await;
    assert_eq!((report.failures, report.invocations), (1, 1));
    assert_eq!(report.records, symbols.len());
    let processed: Vec<String> = fixed_handler
        .sink()
        .0
        .lock()
        .expect("lock")
        .iter()
        .map(|(_, symbol)| symbol.clone())
        .collect();
    assert_eq!(
        processed, symbols,
        "every record, in order, the poison pill first"
    );
    let depth = env.depth(&queue).await;
    assert_eq!((depth.visible, depth.in_flight), (0, 0), "the DLQ is empty");
}

/// The same round trip through the binary and the local state file:
/// `replay --to-function processor` runs the processor in process with
/// the environment's schema mode.
#[tokio::test]
async fn the_command_replays_into_the_local_processor() {
    let env = TestEnv::new("fn-command").await;
    let (name, arn, queue, symbols) = poison_pill_in_the_dlq(&env).await;
    let state = env.state_file((&name, &arn), &queue);
    let dir = state.parent().expect("dir").to_owned();
    let args = [
        "replay",
        "--to-function",
        "processor",
        "--state-file",
        "state.json",
    ];

    let strict = cli(&dir, &args, &[("PROCESSOR_SCHEMA_MODE", "strict")]);
    assert_eq!(strict.status.code(), Some(2));
    assert_eq!(
        stderr(&strict).lines().last(),
        Some("error: 1 failure was not processed by the function and stays in the DLQ")
    );
    assert!(
        stdout(&strict).contains("kept failure "),
        "{}",
        stdout(&strict)
    );
    assert_eq!(env.depth(&queue).await.visible, 1);

    let lenient = cli(&dir, &args, &[("PROCESSOR_SCHEMA_MODE", "lenient")]);
    assert!(lenient.status.success(), "{}", stderr(&lenient));
    assert!(
        stdout(&lenient).starts_with(&format!(
            "replayed 1 failure ({} records) to function processor: 1 invocation; deleted 1 DLQ message",
            symbols.len()
        )),
        "{}",
        stdout(&lenient)
    );
    assert_eq!(env.depth(&queue).await.visible, 0);
    let records: usize = env.read_stream(&arn).await.values().map(Vec::len).sum();
    assert_eq!(records, 10, "nothing was written to the stream");
}

/// On the local stack only the demo processor can be invoked; another name
/// is one clear line, and the message stays.
#[tokio::test]
async fn refuses_unknown_local_functions() {
    let env = TestEnv::new("fn-unknown").await;
    let (name, arn, queue, _) = poison_pill_in_the_dlq(&env).await;
    let state = env.state_file((&name, &arn), &queue);
    let dir = state.parent().expect("dir").to_owned();

    let output = cli(
        &dir,
        &[
            "replay",
            "--to-function",
            "other",
            "--state-file",
            "state.json",
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "error: the local stack runs only the demo processors: use --to-function processor \
         (the stream's) or --to-function table-processor (the table's)\n"
    );
    assert_eq!(env.depth(&queue).await.visible, 1);
}

/// A function behind the Lambda Invoke API that answers `"oops"` leaves the
/// failure in the DLQ (AWS was never recorded on a string: the safe reading
/// is a whole-batch failure); one that answers `[]` (recorded as success)
/// has it deleted.
#[tokio::test]
async fn keeps_the_dlq_message_for_a_string_answer_and_deletes_it_for_an_empty_array() {
    let env = TestEnv::new("fn-invoke-api").await;
    let (_, _, queue, _) = poison_pill_in_the_dlq(&env).await;

    let oops = InvokeServer::start(Answer::returning("\"oops\"")).await;
    let report = replay_into(
        &env,
        &queue,
        &InvokeApiFunction::local(&oops.endpoint, "processor"),
    )
    .await;
    let invoked = oops.received().len();
    oops.stop().await;
    assert_eq!(invoked, 1);
    assert_eq!((report.failures, report.kept.len()), (0, 1));
    assert!(
        report.kept[0].reason.contains("not an object"),
        "{:?}",
        report.kept
    );
    assert_eq!(env.depth(&queue).await.visible, 1, "kept in the DLQ");

    let empty = InvokeServer::start(Answer::returning("[]")).await;
    let report = replay_into(
        &env,
        &queue,
        &InvokeApiFunction::local(&empty.endpoint, "processor"),
    )
    .await;
    let invoked = empty.received().len();
    empty.stop().await;
    assert_eq!(invoked, 1);
    assert_eq!((report.failures, report.kept.len()), (1, 0));
    let depth = env.depth(&queue).await;
    assert_eq!(
        (depth.visible, depth.in_flight),
        (0, 0),
        "deleted from the DLQ"
    );
}
