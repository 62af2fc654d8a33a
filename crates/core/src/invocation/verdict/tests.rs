//! The verdict over every answer DESIGN.md lists, recorded or not.

use serde_json::{Value, json};

use super::*;

const SEQ: [&str; 3] = [
    "49656959252094532447391178218386271298406532436532183042",
    "49656959252094532447391178218389898075865384020637696002",
    "49656959252094532447391178218393524853324235604743208962",
];

fn batch() -> Vec<SequenceNumber> {
    SEQ.iter()
        .map(|seq| SequenceNumber::parse(seq).expect("digits"))
        .collect()
}

fn judge_bytes(payload: &[u8]) -> AnswerVerdict {
    AnswerVerdict::judge(
        &FunctionAnswer::Returned(payload.to_vec()),
        &batch(),
        PayloadReading::BatchItemFailures,
    )
}

fn judge(answer: Value) -> AnswerVerdict {
    judge_bytes(answer.to_string().as_bytes())
}

fn failures(items: Value) -> AnswerVerdict {
    judge(json!({ "batchItemFailures": items }))
}

fn is_batch_failure(verdict: &AnswerVerdict) -> bool {
    matches!(verdict, AnswerVerdict::BatchFailure { .. })
}

/// Recorded on AWS: a zero-byte body is a complete success.
#[test]
fn a_zero_byte_body_is_success() {
    assert_eq!(judge_bytes(b""), AnswerVerdict::Success);
}

/// Recorded on AWS: `null` is a complete success.
#[test]
fn null_is_success() {
    assert_eq!(judge(Value::Null), AnswerVerdict::Success);
}

/// Recorded on AWS: `{}` is a complete success.
#[test]
fn an_empty_object_is_success() {
    assert_eq!(judge(json!({})), AnswerVerdict::Success);
}

/// Recorded on AWS: a top-level `[]` is a complete success.
#[test]
fn an_empty_array_is_success() {
    assert_eq!(judge(json!([])), AnswerVerdict::Success);
}

/// Recorded on AWS: an empty `batchItemFailures` list is success.
#[test]
fn an_empty_failure_list_is_success() {
    assert_eq!(failures(json!([])), AnswerVerdict::Success);
}

/// Recorded on AWS: a null `batchItemFailures` is success.
#[test]
fn a_null_failure_list_is_success() {
    assert_eq!(failures(Value::Null), AnswerVerdict::Success);
}

/// Recorded on AWS: a misspelt top-level key is success, the data-loss
/// trap that processors avoid by returning the typed response.
#[test]
fn a_wrong_top_level_key_is_success() {
    let answer = json!({ "batchItemFailure": [{ "itemIdentifier": SEQ[0] }] });
    assert_eq!(judge(answer), AnswerVerdict::Success);
}

/// Recorded on AWS: the one reported record is where the batch resumes.
#[test]
fn a_reported_record_is_the_checkpoint() {
    assert_eq!(
        failures(json!([{ "itemIdentifier": SEQ[1] }])),
        AnswerVerdict::PartialFailure { index: 1 }
    );
}

/// Recorded on AWS: of several reported records the lowest sequence number
/// is the checkpoint, whatever the order of the list.
#[test]
fn the_lowest_of_several_reported_records_is_the_checkpoint() {
    assert_eq!(
        failures(json!([{ "itemIdentifier": SEQ[2] }, { "itemIdentifier": SEQ[1] }])),
        AnswerVerdict::PartialFailure { index: 1 }
    );
}

/// Recorded on AWS: an empty identifier fails the whole batch.
#[test]
fn an_empty_identifier_fails_the_whole_batch() {
    assert!(is_batch_failure(&failures(
        json!([{ "itemIdentifier": "" }])
    )));
}

/// Recorded on AWS: a null identifier fails the whole batch.
#[test]
fn a_null_identifier_fails_the_whole_batch() {
    assert!(is_batch_failure(&failures(
        json!([{ "itemIdentifier": null }])
    )));
}

/// Recorded on AWS: an identifier that is not a string fails the whole batch.
#[test]
fn a_non_string_identifier_fails_the_whole_batch() {
    assert!(is_batch_failure(&failures(
        json!([{ "itemIdentifier": 5 }])
    )));
}

/// Recorded on AWS: an identifier under a wrong key fails the whole batch,
/// even next to a valid one.
#[test]
fn an_identifier_under_a_wrong_key_fails_the_whole_batch() {
    let items = json!([{ "itemIdentifier": SEQ[2] }, { "itemIdentifer": SEQ[1] }]);
    assert!(is_batch_failure(&failures(items)));
}

/// Recorded on AWS: an identifier that is not a sequence number of the
/// batch fails the whole batch; it must match digit for digit.
#[test]
fn an_identifier_outside_the_batch_fails_the_whole_batch() {
    let unknown = "49656959252094532447391178218386271298406532436532183043";
    assert!(is_batch_failure(&failures(
        json!([{ "itemIdentifier": unknown }])
    )));
    let padded = format!("0{}", SEQ[1]);
    assert!(is_batch_failure(&failures(
        json!([{ "itemIdentifier": padded }])
    )));
}

/// Safe reading: a JSON string (`"oops"`) is a whole-batch failure.
#[test]
fn a_string_answer_fails_the_whole_batch() {
    assert!(is_batch_failure(&judge(json!("oops"))));
}

/// Safe reading: a number (`123`) is a whole-batch failure.
#[test]
fn a_number_answer_fails_the_whole_batch() {
    assert!(is_batch_failure(&judge(json!(123))));
}

/// Safe reading: a non-empty array (`[1]`) is a whole-batch failure.
#[test]
fn a_non_empty_array_fails_the_whole_batch() {
    assert!(is_batch_failure(&judge(json!([1]))));
}

/// Safe reading: a boolean is a whole-batch failure.
#[test]
fn a_boolean_answer_fails_the_whole_batch() {
    assert!(is_batch_failure(&judge(json!(true))));
}

/// Safe reading: `batchItemFailures` that is not a list fails the batch.
#[test]
fn a_failure_list_that_is_not_a_list_fails_the_whole_batch() {
    assert!(is_batch_failure(&failures(
        json!({ "itemIdentifier": SEQ[0] })
    )));
    assert!(is_batch_failure(&failures(json!("none"))));
}

/// Safe reading: a body that is not JSON (not even whitespace is read as
/// empty) fails the whole batch.
#[test]
fn a_body_that_is_not_json_fails_the_whole_batch() {
    assert!(is_batch_failure(&judge_bytes(b"ok")));
    assert!(is_batch_failure(&judge_bytes(b" ")));
}

/// Recorded on AWS: a thrown error is a function error, kept whole.
#[test]
fn a_thrown_error_is_a_function_error() {
    let error = FunctionError::new("PoisonPill", "record 3");
    let verdict = AnswerVerdict::judge(
        &FunctionAnswer::Thrown(error.clone()),
        &batch(),
        PayloadReading::BatchItemFailures,
    );
    assert_eq!(verdict, AnswerVerdict::FunctionError(error));
}

/// An invocation that never ran is neither success nor a function error.
#[test]
fn an_invocation_that_never_ran_is_not_invoked() {
    let verdict = AnswerVerdict::judge(
        &FunctionAnswer::NotInvoked("throttled".to_owned()),
        &batch(),
        PayloadReading::Ignored,
    );
    assert_eq!(verdict, AnswerVerdict::NotInvoked("throttled".to_owned()));
    assert!(!verdict.is_success());
}

/// Without ReportBatchItemFailures the ESM never reads the payload: any
/// returned answer is success, a thrown one still a function error.
#[test]
fn an_ignored_payload_is_always_success() {
    for payload in [
        json!({ "batchItemFailures": [{ "itemIdentifier": SEQ[0] }] }),
        json!("oops"),
    ] {
        let verdict = AnswerVerdict::judge(
            &FunctionAnswer::json(&payload),
            &batch(),
            PayloadReading::Ignored,
        );
        assert_eq!(verdict, AnswerVerdict::Success, "{payload}");
    }
}

/// The processor's own poison-pill answer names the pill as the checkpoint.
#[test]
fn reads_the_processor_poison_pill_answer() {
    let event: Value = serde_json::from_str(include_str!(
        "../../../../../events/kinesis-batch-poison-pill.json"
    ))
    .expect("fixture");
    let batch: Vec<SequenceNumber> = event["Records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|record| {
            SequenceNumber::parse(record["kinesis"]["sequenceNumber"].as_str().expect("seq"))
                .expect("digits")
        })
        .collect();
    let answer = include_str!("../../../../../events/kinesis-batch-response-poison-pill.json");
    let verdict = AnswerVerdict::judge(
        &FunctionAnswer::Returned(answer.as_bytes().to_vec()),
        &batch,
        PayloadReading::BatchItemFailures,
    );
    assert!(
        matches!(verdict, AnswerVerdict::PartialFailure { .. }),
        "{verdict:?}"
    );
}
