//! The OnFailure fixtures in `events/` parse the way their names promise.

use streamdlq_core::{Condition, FailureParseError, FailureRecord, StreamSource};

/// The `Message` of the only record of an SNS-wrapped fixture.
fn sns_message(fixture: &str) -> String {
    let event: serde_json::Value = serde_json::from_str(fixture).expect("fixture is JSON");
    event["Records"][0]["Sns"]["Message"]
        .as_str()
        .expect("Message is a string")
        .to_owned()
}

/// A thrown error that exhausted retries: `functionError` is "Unhandled".
#[test]
fn parses_sns_wrapped_kinesis_failure() {
    let message = sns_message(include_str!("../../../events/sns-onfailure-kinesis.json"));
    let record = FailureRecord::parse(&message).expect("valid");
    assert_eq!(record.source, StreamSource::Kinesis);
    assert_eq!(record.batch.start_sequence_number.as_str().len(), 56);
    assert_eq!(record.condition(), Some(&Condition::RetryAttemptsExhausted));
    let response = record.response_context.expect("response context");
    assert_eq!(response.function_error.as_deref(), Some("Unhandled"));
    assert_eq!(record.original, message);
}

/// Retries of a partial batch failure ran out: `functionError` is null.
#[test]
fn parses_partial_batch_failure_with_null_function_error() {
    let message = sns_message(include_str!(
        "../../../events/sns-onfailure-partial-batch-failure.json"
    ));
    let record = FailureRecord::parse(&message).expect("valid");
    assert_eq!(
        record
            .response_context
            .expect("response context")
            .function_error,
        None
    );
}

/// Expired records carry no responseContext and an invoke count of 1.
#[test]
fn parses_record_age_exceeded_without_response_context() {
    let message = sns_message(include_str!(
        "../../../events/sns-onfailure-record-age-exceeded.json"
    ));
    let record = FailureRecord::parse(&message).expect("valid");
    assert_eq!(record.condition(), Some(&Condition::RecordAgeExceeded));
    assert_eq!(record.response_context, None);
    assert_eq!(
        record.batch.start_sequence_number,
        record.batch.end_sequence_number
    );
}

/// DynamoDB Streams ESMs send DDBStreamBatchInfo with the same fields.
#[test]
fn parses_dynamodb_streams_failure() {
    let message = sns_message(include_str!("../../../events/sns-onfailure-dynamodb.json"));
    assert_eq!(
        FailureRecord::parse(&message).expect("valid").source,
        StreamSource::DynamoDb
    );
}

/// The unwrapped record is the same as the SNS-wrapped one.
#[test]
fn plain_record_fixture_matches_the_sns_wrapped_one() {
    let plain = FailureRecord::parse(include_str!("../../../events/onfailure-kinesis.json"))
        .expect("valid");
    let message = sns_message(include_str!("../../../events/sns-onfailure-kinesis.json"));
    let wrapped = FailureRecord::parse(&message).expect("valid");
    assert_eq!(plain.batch, wrapped.batch);
}

/// Each malformed fixture is rejected with the error that names its fault.
#[test]
fn rejects_malformed_fixtures_with_a_reason() {
    let not_json = sns_message(include_str!("../../../events/sns-malformed-not-json.json"));
    assert!(matches!(
        FailureRecord::parse(&not_json),
        Err(FailureParseError::NotJson(_))
    ));
    let no_info = sns_message(include_str!(
        "../../../events/sns-malformed-no-batch-info.json"
    ));
    assert!(matches!(
        FailureRecord::parse(&no_info),
        Err(FailureParseError::NoBatchInfo)
    ));
    let bad_seq = sns_message(include_str!(
        "../../../events/sns-malformed-sequence-number.json"
    ));
    let error = FailureRecord::parse(&bad_seq).expect_err("malformed");
    assert!(error.to_string().contains("malformed"), "{error}");
}
