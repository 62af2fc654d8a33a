use super::*;
use crate::esm::StartingPosition;

fn real() -> StackTemplate {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra/template.yaml");
    StackTemplate::load(&path).expect("infra/template.yaml and the hydrator it nests parse")
}

/// A template with every resource the local stack needs and nothing else;
/// `extra` is appended to the processor's Kinesis event properties.
fn minimal(kinesis_extra: &str) -> String {
    format!(
        r#"
Parameters:
  Shards: {{Type: Number, Default: 3}}
Resources:
  Stream:
    Type: AWS::Kinesis::Stream
    Properties: {{ShardCount: !Ref Shards}}
  FailureTopic: {{Type: AWS::SNS::Topic}}
  DeadLetterQueue: {{Type: AWS::SQS::Queue}}
  HydrateFailureQueue: {{Type: AWS::SQS::Queue}}
  ProcessorFunction:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Stream:
          Type: Kinesis
          Properties:
            Stream: !GetAtt Stream.Arn
            StartingPosition: LATEST
{kinesis_extra}
  HydrateFunction:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Failures: {{Type: SNS, Properties: {{Topic: !Ref FailureTopic}}}}
"#
    )
}

/// The real template's stream: the shard count is `!Ref ShardCount`,
/// resolved to the parameter's default.
#[test]
fn reads_the_stream_shard_count_through_its_parameter() {
    let template = real();
    assert_eq!(
        template.stream.shard_count.to_string(),
        template.parameters["ShardCount"]
    );
    assert_eq!(
        template.stream.retention_period_hours.to_string(),
        template.parameters["RetentionPeriodHours"]
    );
}

/// The real template's ESM settings are read, not assumed: the values the
/// demo depends on (partial batch failures, bisect, bounded retries, an SNS
/// OnFailure destination on the failure topic).
#[test]
fn reads_the_processor_event_source_mapping() {
    let esm = real().processor.esm;
    assert_eq!(esm.stream, Reference::attribute("Stream", "Arn"));
    let settings = &esm.settings;
    assert_eq!(settings.starting_position(), StartingPosition::TrimHorizon);
    assert_eq!(settings.batch_size(), 100);
    assert_eq!(settings.maximum_batching_window(), Duration::from_secs(1));
    assert_eq!(settings.parallelization_factor(), 1);
    assert_eq!(settings.maximum_retry_attempts(), Some(3));
    assert_eq!(
        settings.maximum_record_age(),
        Some(Duration::from_secs(3600))
    );
    assert!(settings.bisect_batch_on_function_error());
    assert!(settings.report_batch_item_failures());
    assert_eq!(
        esm.on_failure,
        Some(Destination {
            kind: "SNS".to_owned(),
            target: Reference::to(ids::FAILURE_TOPIC),
        })
    );
}

/// Settings given through a parameter read as the parameter's default.
#[test]
fn reads_settings_through_parameters() {
    let text = minimal("            BatchSize: !Ref Batch").replace(
        "Parameters:\n",
        "Parameters:\n  Batch: {Type: Number, Default: 25}\n",
    );
    let esm = StackTemplate::parse(&text).expect("parses").processor.esm;
    assert_eq!(esm.settings.batch_size(), 25);
}

/// A setting the local stack cannot know before the stack exists is
/// refused, naming the reference.
#[test]
fn refuses_settings_it_cannot_resolve() {
    let error = StackTemplate::parse(&minimal("            BatchSize: !GetAtt Stream.Arn"))
        .expect_err("unresolvable");
    assert_eq!(
        error.to_string(),
        "ProcessorFunction: event Stream: BatchSize must be between 1 and 10000, \
         not !GetAtt Stream.Arn (only literals and parameters with a default are read)"
    );
}

/// The queues keep their size and retention attributes for CreateQueue.
#[test]
fn reads_queue_attributes() {
    let template = real();
    for queue in [&template.dead_letter_queue, &template.hydrate_failure_queue] {
        assert_eq!(
            queue.attributes(),
            [
                ("MaximumMessageSize", "1048576".to_owned()),
                ("MessageRetentionPeriod", "1209600".to_owned()),
            ],
            "{}",
            queue.logical_id
        );
    }
}

/// The demo table: its key, its stream's view type, and the table
/// processor's DynamoDB mapping with the Kinesis mapping's failure settings
/// and destination.
#[test]
fn reads_the_table_and_its_stream_mapping() {
    let template = real();
    let table = template.table.expect("the demo has a table");
    assert_eq!(
        table.key,
        [KeyAttribute {
            name: "AtomicNumber".to_owned(),
            attribute_type: "N".to_owned(),
            key_type: "HASH".to_owned(),
        }]
    );
    assert_eq!(table.stream_view_type, "NEW_AND_OLD_IMAGES");
    assert_eq!(
        table.esm.stream,
        Reference::attribute(ids::TABLE, "StreamArn")
    );
    let (stream, settings) = (&template.processor.esm.settings, &table.esm.settings);
    assert_eq!(
        settings.maximum_retry_attempts(),
        stream.maximum_retry_attempts()
    );
    assert_eq!(settings.maximum_record_age(), stream.maximum_record_age());
    assert!(settings.bisect_batch_on_function_error());
    assert!(settings.report_batch_item_failures());
    assert_eq!(table.esm.on_failure, template.processor.esm.on_failure);
}

/// A table mapping that sends its failures elsewhere than the hydrate
/// function's source is refused.
#[test]
fn refuses_a_table_mapping_with_another_destination() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra/template.yaml");
    let original = std::fs::read_to_string(&path).expect("template");
    let text = original.replacen(
        "                Type: SNS\n                Destination: !GetAtt Hydrator.Outputs.TopicArn\n\n  # Iterator age",
        "                Type: SQS\n                Destination: !GetAtt Hydrator.Outputs.DlqArn\n\n  # Iterator age",
        1,
    );
    assert_ne!(
        text, original,
        "the table mapping's destination was changed"
    );
    let error = StackTemplate::parse_at(&text, path.parent()).expect_err("refused");
    assert!(
        error.to_string().contains("TableProcessorFunction"),
        "{error}"
    );
}

/// The hydrate function's environment names, its SNS topic and its async
/// invocation settings come from the template, through the nested hydrator.
#[test]
fn reads_the_hydrate_function() {
    let hydrate = real().hydrate;
    let names: Vec<&str> = hydrate
        .environment
        .iter()
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(names, ["DLQ_URL", "ALLOWED_STREAM_ARNS"]);
    assert_eq!(
        hydrate.environment[0].1,
        TemplateValue::Reference(Reference::to(ids::DEAD_LETTER_QUEUE))
    );
    // The demo's stream and table stream, passed to the nested
    // hydrator's list parameter.
    assert_eq!(
        hydrate.environment[1].1,
        TemplateValue::Join(
            ",".to_owned(),
            vec![
                TemplateValue::Reference(Reference::attribute(ids::STREAM, "Arn")),
                TemplateValue::Reference(Reference::attribute(ids::TABLE, "StreamArn")),
            ]
        )
    );
    assert_eq!(
        hydrate.trigger,
        HydrateTrigger::Sns {
            topic: Reference::to(ids::FAILURE_TOPIC)
        }
    );
    assert_eq!(hydrate.maximum_retry_attempts, 2);
    assert_eq!(hydrate.maximum_event_age, Duration::from_secs(21_600));
    assert_eq!(hydrate.timeout, Duration::from_secs(180));
    assert_eq!(
        hydrate.on_failure,
        Some(Destination {
            kind: "SQS".to_owned(),
            target: Reference::attribute(ids::HYDRATE_FAILURE_QUEUE, "Arn"),
        })
    );
}

/// Absent settings take AWS's defaults, not values of our own.
#[test]
fn absent_settings_take_aws_defaults() {
    let template = StackTemplate::parse(&minimal("")).expect("parses");
    assert_eq!(template.stream.shard_count, 3);
    assert_eq!(template.stream.retention_period_hours, 24);
    let esm = template.processor.esm;
    assert_eq!(esm.settings.starting_position(), StartingPosition::Latest);
    assert_eq!(esm.settings.batch_size(), 100);
    assert_eq!(esm.settings.maximum_batching_window(), Duration::ZERO);
    assert_eq!(esm.settings.maximum_retry_attempts(), None);
    assert_eq!(esm.settings.maximum_record_age(), None);
    assert!(!esm.settings.bisect_batch_on_function_error());
    assert!(!esm.settings.report_batch_item_failures());
    assert_eq!(esm.on_failure, None);
    assert_eq!(template.hydrate.maximum_retry_attempts, 2);
    assert_eq!(template.hydrate.timeout, Duration::from_secs(3));
    assert!(template.dead_letter_queue.attributes().is_empty());
}

/// -1 means "no limit" for retries and record age, as on AWS.
#[test]
fn minus_one_means_unlimited() {
    let text =
        minimal("            MaximumRetryAttempts: -1\n            MaximumRecordAgeInSeconds: -1");
    let settings = StackTemplate::parse(&text)
        .expect("parses")
        .processor
        .esm
        .settings;
    assert_eq!(settings.maximum_retry_attempts(), None);
    assert_eq!(settings.maximum_record_age(), None);
}

/// AT_TIMESTAMP needs its timestamp, read as epoch seconds.
#[test]
fn at_timestamp_reads_its_timestamp() {
    let text = minimal("").replace("StartingPosition: LATEST", "StartingPosition: AT_TIMESTAMP");
    let error = StackTemplate::parse(&text).expect_err("no timestamp");
    assert!(
        error.to_string().contains("StartingPositionTimestamp"),
        "{error}"
    );
    let text = text.replace(
        "StartingPosition: AT_TIMESTAMP",
        "StartingPosition: AT_TIMESTAMP\n            StartingPositionTimestamp: 1700000000.5",
    );
    let esm = StackTemplate::parse(&text).expect("parses").processor.esm;
    assert_eq!(
        esm.settings.starting_position(),
        StartingPosition::AtTimestamp(1_700_000_000_500)
    );
}

/// Values AWS would reject are rejected with the property named.
#[test]
fn rejects_values_aws_rejects() {
    for (extra, property) in [
        ("            BatchSize: 0", "BatchSize"),
        (
            "            MaximumRecordAgeInSeconds: 30",
            "MaximumRecordAgeInSeconds",
        ),
        (
            "            MaximumRetryAttempts: 10001",
            "MaximumRetryAttempts",
        ),
        (
            "            BisectBatchOnFunctionError: maybe",
            "BisectBatchOnFunctionError",
        ),
        (
            "            FunctionResponseTypes: [ReportBatchItemFailure]",
            "FunctionResponseTypes",
        ),
        (
            "            DestinationConfig: {OnFailure: {Type: Lambda, Destination: !Ref FailureTopic}}",
            "DestinationConfig.OnFailure.Type",
        ),
    ] {
        let error = StackTemplate::parse(&minimal(extra)).expect_err(extra);
        assert!(error.to_string().contains(property), "{extra}: {error}");
    }
}

/// A missing resource is named with the type the local stack expects.
#[test]
fn names_a_missing_resource() {
    let text = minimal("").replace("  FailureTopic: {Type: AWS::SNS::Topic}\n", "");
    let error = StackTemplate::parse(&text).expect_err("no topic");
    assert_eq!(
        error.to_string(),
        "the template has no resource FailureTopic of type AWS::SNS::Topic"
    );
}

/// A resource of the wrong type is not silently accepted.
#[test]
fn rejects_a_resource_of_the_wrong_type() {
    let text = minimal("").replace(
        "DeadLetterQueue: {Type: AWS::SQS::Queue}",
        "DeadLetterQueue: {Type: AWS::SNS::Topic}",
    );
    let error = StackTemplate::parse(&text).expect_err("wrong type");
    assert!(
        error
            .to_string()
            .contains("DeadLetterQueue is a AWS::SNS::Topic"),
        "{error}"
    );
}

/// A hydrate function subscribed by a plain `AWS::SNS::Subscription` (as
/// hydrator.yaml does) is read like one with a SAM SNS event.
#[test]
fn reads_a_plain_sns_subscription_of_the_hydrate_function() {
    let text = minimal("").replace(
        "      Events:\n        Failures: {Type: SNS, Properties: {Topic: !Ref FailureTopic}}\n",
        "      Timeout: 9\n  Subscription:\n    Type: AWS::SNS::Subscription\n    Properties:\n      \
         Protocol: lambda\n      Endpoint: !GetAtt HydrateFunction.Arn\n      TopicArn: !Ref FailureTopic\n",
    );
    let hydrate = StackTemplate::parse(&text).expect("parses").hydrate;
    assert_eq!(
        hydrate.trigger,
        HydrateTrigger::Sns {
            topic: Reference::to(ids::FAILURE_TOPIC)
        }
    );
    assert_eq!(hydrate.timeout, Duration::from_secs(9));
}

/// A hydrate function that nothing invokes is refused: the local stack
/// would deliver no failure to it.
#[test]
fn refuses_a_hydrate_function_without_a_topic() {
    let text = minimal("").replace(
        "      Events:\n        Failures: {Type: SNS, Properties: {Topic: !Ref FailureTopic}}\n",
        "      Timeout: 9\n",
    );
    let error = StackTemplate::parse(&text).expect_err("no topic");
    assert!(
        error
            .to_string()
            .contains("HydrateFunction: an SNS, SQS or S3 event, or an SNS subscription"),
        "{error}"
    );
}
