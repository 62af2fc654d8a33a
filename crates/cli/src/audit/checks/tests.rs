//! One test per check: a clean mapping raises nothing, and each change to
//! it raises exactly the finding it should.

use std::time::Duration;

use super::*;
use crate::audit::model::{
    DestinationKind, HydrateFunction, Location, OnFailureDestination, StreamKind, StreamMapping,
};

const STREAM: &str = "arn:aws:kinesis:eu-west-1:123456789012:stream/orders";
const TOPIC: &str = "arn:aws:sns:eu-west-1:123456789012:failures";

/// A mapping that follows every rule, with a hydrate function on its topic.
fn clean() -> ResourceInventory {
    let mut mapping = StreamMapping::with_defaults(
        Location::Live {
            uuid: "uuid-1".into(),
        },
        "arn:aws:lambda:eu-west-1:123456789012:function:processor",
        StreamKind::Kinesis,
        STREAM,
    );
    mapping.retention = Some(Duration::from_secs(7 * 24 * 3600));
    mapping.maximum_retry_attempts = 3;
    mapping.maximum_record_age_seconds = 3600;
    mapping.bisect_batch_on_function_error = true;
    mapping.report_batch_item_failures = true;
    mapping.on_failure = Some(OnFailureDestination {
        kind: DestinationKind::Sns,
        target: TOPIC.into(),
    });
    ResourceInventory {
        mappings: vec![mapping],
        hydrators: vec![HydrateFunction {
            function: "arn:aws:lambda:eu-west-1:123456789012:function:hydrate".into(),
            allowed_streams: Some(vec![STREAM.into()]),
            consumes: vec![TOPIC.into()],
        }],
        notes: Vec::new(),
    }
}

/// The checks that `change` makes the clean inventory raise.
fn raised(change: impl FnOnce(&mut ResourceInventory)) -> Vec<Check> {
    let mut inventory = clean();
    change(&mut inventory);
    audit(&inventory)
        .into_iter()
        .map(|finding| finding.check)
        .collect()
}

fn mapping(inventory: &mut ResourceInventory) -> &mut StreamMapping {
    &mut inventory.mappings[0]
}

/// A mapping that follows every rule raises nothing.
#[test]
fn clean_mapping_raises_nothing() {
    assert_eq!(raised(|_| {}), Vec::<Check>::new());
}

/// No OnFailure destination is an error.
#[test]
fn flags_mapping_without_on_failure_destination() {
    let checks = raised(|inventory| mapping(inventory).on_failure = None);
    assert_eq!(checks, [Check::NoOnFailureDestination]);
    assert_eq!(Check::NoOnFailureDestination.severity(), Severity::Error);
}

/// An SNS destination nothing hydrates is the one mistake: an error.
#[test]
fn flags_sns_destination_without_hydrate_function() {
    let checks = raised(|inventory| inventory.hydrators.clear());
    assert_eq!(checks, [Check::UnhydratedDestination]);
    assert_eq!(Check::UnhydratedDestination.severity(), Severity::Error);
}

/// An SQS destination is metadata only too; a hydrate function on another
/// target does not count.
#[test]
fn flags_sqs_destination_consumed_by_no_hydrate_function() {
    let checks = raised(|inventory| {
        mapping(inventory).on_failure = Some(OnFailureDestination {
            kind: DestinationKind::Sqs,
            target: "arn:aws:sqs:eu-west-1:123456789012:failures".into(),
        });
    });
    assert_eq!(checks, [Check::UnhydratedDestination]);
}

/// An S3 destination carries the records: no hydration needed.
#[test]
fn accepts_s3_destination_without_hydrate_function() {
    let checks = raised(|inventory| {
        inventory.hydrators.clear();
        mapping(inventory).on_failure = Some(OnFailureDestination {
            kind: DestinationKind::S3,
            target: "arn:aws:s3:::failures".into(),
        });
    });
    assert_eq!(checks, Vec::<Check>::new());
}

/// A hydrate function that may not read the mapping's stream is an error.
#[test]
fn flags_hydrate_allowlist_without_the_stream() {
    let checks = raised(|inventory| {
        inventory.hydrators[0].allowed_streams = Some(vec![
            "arn:aws:kinesis:eu-west-1:123456789012:stream/other".into(),
        ]);
    });
    assert_eq!(checks, [Check::AllowlistLacksStream]);
    assert_eq!(Check::AllowlistLacksStream.severity(), Severity::Error);
}

/// Retries without limit are an error, and the live fix is the CLI call.
#[test]
fn flags_unlimited_retries_with_update_command() {
    let mut inventory = clean();
    mapping(&mut inventory).maximum_retry_attempts = -1;
    let findings = audit(&inventory);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].check, Check::UnlimitedRetries);
    assert_eq!(findings[0].severity, Severity::Error);
    assert_eq!(
        findings[0].fix,
        "aws lambda update-event-source-mapping --uuid uuid-1 --maximum-retry-attempts 3"
    );
}

/// A record age of −1 is a warning.
#[test]
fn flags_unbounded_record_age() {
    let checks = raised(|inventory| mapping(inventory).maximum_record_age_seconds = -1);
    assert_eq!(checks, [Check::UnboundedRecordAge]);
    assert_eq!(Check::UnboundedRecordAge.severity(), Severity::Warning);
}

/// A record age that reaches the retention is a warning.
#[test]
fn flags_record_age_at_or_beyond_retention() {
    let checks = raised(|inventory| {
        let mapping = mapping(inventory);
        mapping.retention = Some(Duration::from_secs(96 * 3600));
        mapping.maximum_record_age_seconds = 96 * 3600;
    });
    assert_eq!(checks, [Check::RecordAgeBeyondRetention]);
}

/// Bisect off is a warning.
#[test]
fn flags_bisect_off() {
    let checks = raised(|inventory| mapping(inventory).bisect_batch_on_function_error = false);
    assert_eq!(checks, [Check::BisectOff]);
    assert_eq!(Check::BisectOff.severity(), Severity::Warning);
}

/// No partial batch responses is a warning.
#[test]
fn flags_missing_report_batch_item_failures() {
    let checks = raised(|inventory| mapping(inventory).report_batch_item_failures = false);
    assert_eq!(checks, [Check::NoPartialBatchResponse]);
}

/// More than one batch per shard is a warning.
#[test]
fn flags_parallelization_factor_above_one() {
    let checks = raised(|inventory| mapping(inventory).parallelization_factor = 4);
    assert_eq!(checks, [Check::ParallelBatchesPerShard]);
}

/// A 24 h retention is a warning (a weekend outlasts it), never an error.
#[test]
fn flags_retention_shorter_than_a_weekend_as_warning() {
    let mut inventory = clean();
    mapping(&mut inventory).retention = Some(Duration::from_secs(24 * 3600));
    let findings = audit(&inventory);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].check, Check::ShortRetention);
    assert_eq!(findings[0].severity, Severity::Warning);
    assert!(findings[0].fix.contains("increase-stream-retention-period"));
}

/// A tumbling window with partial batch responses is a warning.
#[test]
fn flags_tumbling_window_with_partial_batch_responses() {
    let checks = raised(|inventory| mapping(inventory).tumbling_window_seconds = Some(60));
    assert_eq!(checks, [Check::TumblingWindowWithPartialBatch]);
}

/// Template mappings are fixed by a property on the resource path.
#[test]
fn template_fix_names_the_property_and_path() {
    let mut inventory = clean();
    let mapping = mapping(&mut inventory);
    mapping.location = Location::Template {
        path: "Processor.Events.Kinesis".into(),
    };
    mapping.bisect_batch_on_function_error = false;
    let findings = audit(&inventory);
    assert_eq!(
        findings[0].fix,
        "set BisectBatchOnFunctionError: true on Processor.Events.Kinesis"
    );
}

/// Errors come before warnings, whatever the order of the checks.
#[test]
fn sorts_errors_before_warnings() {
    let mut inventory = clean();
    let mapping = mapping(&mut inventory);
    mapping.bisect_batch_on_function_error = false;
    mapping.maximum_retry_attempts = -1;
    let severities: Vec<_> = audit(&inventory).iter().map(|f| f.severity).collect();
    assert_eq!(severities, [Severity::Error, Severity::Warning]);
}
