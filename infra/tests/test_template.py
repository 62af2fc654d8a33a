"""infra/template.yaml and infra/hydrator.yaml keep every invariant, and every
invariant can fail.

Each mutation below is a plausible edit that loses something the stacks rely
on. It is applied to an in-memory copy of one template (the demo's, or the
hydrator's when it says so), translated like the real one, and must trip the
invariant it names: a check that no mutation can trip proves nothing, so
every check needs at least one.
"""

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import invariants
import pytest
import translate

Template = dict[str, Any]


@pytest.mark.parametrize("check", invariants.CHECKS, ids=lambda check: check.__name__)
def test_template_keeps_invariant(check: invariants.Check, stack: invariants.Stack) -> None:
    """The committed templates satisfy the invariant."""
    check(stack)


# --- mutations ----------------------------------------------------------------


def resource(template: Template, logical_id: str) -> dict[str, Any]:
    return template["Resources"][logical_id]["Properties"]


def kinesis_event(template: Template) -> dict[str, Any]:
    return resource(template, "ProcessorFunction")["Events"]["Kinesis"]["Properties"]


def table_event(template: Template) -> dict[str, Any]:
    return resource(template, "TableProcessorFunction")["Events"]["DynamoDB"]["Properties"]


def table_event_set(key: str, value: Any) -> Callable[[Template], None]:
    def mutate(template: Template) -> None:
        table_event(template)[key] = value

    return mutate


def table_event_drop(key: str) -> Callable[[Template], None]:
    def mutate(template: Template) -> None:
        del table_event(template)[key]

    return mutate


def statements_of(template: Template, role: str) -> list[Any]:
    return resource(template, role)["Policies"][0]["PolicyDocument"]["Statement"]


def statement(template: Template, role: str, sid: str) -> dict[str, Any]:
    """The statement `sid`, also when it is the first branch of an `Fn::If`."""
    for item in statements_of(template, role):
        candidate = item["Fn::If"][1] if "Fn::If" in item else item
        if candidate.get("Sid") == sid:
            return candidate
    raise KeyError(sid)


def set_in(path: str, value: Any) -> Callable[[Template], None]:
    """A mutation that sets `Resources.<path>` (dot-separated) to value."""

    def mutate(template: Template) -> None:
        *parents, leaf = path.split(".")
        node = template["Resources"]
        for key in parents:
            node = node[key]
        node[leaf] = value

    return mutate


def delete(path: str) -> Callable[[Template], None]:
    def mutate(template: Template) -> None:
        *parents, leaf = path.split(".")
        node = template["Resources"]
        for key in parents:
            node = node[key]
        del node[leaf]

    return mutate


def delete_resource(logical_id: str) -> Callable[[Template], None]:
    def mutate(template: Template) -> None:
        del template["Resources"][logical_id]

    return mutate


def replace_role_with_sam_policies(function: str, stream: Any) -> Callable[[Template], None]:
    """Let SAM generate the role from a policy template, as a quick edit would."""

    def mutate(template: Template) -> None:
        properties = resource(template, function)
        del properties["Role"]
        properties["Policies"] = [{"KinesisStreamReadPolicy": {"StreamName": stream}}]

    return mutate


def add_action(role: str, sid: str, action: str) -> Callable[[Template], None]:
    def mutate(template: Template) -> None:
        target = statement(template, role, sid)
        target["Action"] = [*invariants.as_list(target["Action"]), action]

    return mutate


def set_statement(role: str, sid: str, key: str, value: Any) -> Callable[[Template], None]:
    def mutate(template: Template) -> None:
        statement(template, role, sid)[key] = value

    return mutate


def drop_statement(role: str, sid: str) -> Callable[[Template], None]:
    def mutate(template: Template) -> None:
        statements = statements_of(template, role)
        target = statement(template, role, sid)
        statements[:] = [s for s in statements if s is not target and s.get("Fn::If", [None, None])[1] is not target]

    return mutate


def unconditional_statement(role: str, sid: str) -> Callable[[Template], None]:
    """Take a statement out of its `Fn::If`: granted whatever the source."""

    def mutate(template: Template) -> None:
        statements = statements_of(template, role)
        target = statement(template, role, sid)
        statements[:] = [target if s.get("Fn::If", [None, None])[1] is target else s for s in statements]

    return mutate


def event(key: str, value: Any) -> Callable[[Template], None]:
    def mutate(template: Template) -> None:
        kinesis_event(template)[key] = value

    return mutate


def drop_event(key: str) -> Callable[[Template], None]:
    def mutate(template: Template) -> None:
        del kinesis_event(template)[key]

    return mutate


def set_condition(logical_id: str, condition: str | None) -> Callable[[Template], None]:
    def mutate(template: Template) -> None:
        if condition is None:
            del template["Resources"][logical_id]["Condition"]
        else:
            template["Resources"][logical_id]["Condition"] = condition

    return mutate


def set_parameter(key: str, value: Any) -> Callable[[Template], None]:
    """What the demo passes to the nested hydrator."""
    return set_in(f"Hydrator.Properties.Parameters.{key}", value)


@dataclass(frozen=True)
class Mutation:
    name: str
    trips: invariants.Check
    apply: Callable[[Template], None]
    # Which template the mutation edits: "demo" (template.yaml) or "hydrator".
    template: str = "demo"


def hydrator(name: str, trips: invariants.Check, apply: Callable[[Template], None]) -> Mutation:
    return Mutation(name, trips, apply, template="hydrator")


I = invariants  # noqa: E741 - short alias keeps the table readable
MUTATIONS = [
    Mutation("bisect off", I.processor_bisects_failed_batches, event("BisectBatchOnFunctionError", False)),
    Mutation("bisect removed", I.processor_bisects_failed_batches, drop_event("BisectBatchOnFunctionError")),
    Mutation(
        "response type misspelled",
        I.processor_reports_batch_item_failures,
        event("FunctionResponseTypes", ["ReportBatchItemFailure"]),
    ),
    Mutation(
        "response types removed", I.processor_reports_batch_item_failures, drop_event("FunctionResponseTypes")
    ),
    Mutation(
        "OnFailure removed", I.mapping_sends_exhausted_batches_to_failure_topic, drop_event("DestinationConfig")
    ),
    Mutation("table bisect off", I.table_mapping_fails_like_the_stream_mapping, table_event_set("BisectBatchOnFunctionError", False)),
    Mutation("table retries forever", I.table_mapping_fails_like_the_stream_mapping, table_event_set("MaximumRetryAttempts", -1)),
    Mutation("table record age unbounded", I.table_mapping_fails_like_the_stream_mapping, table_event_drop("MaximumRecordAgeInSeconds")),
    Mutation("table without partial responses", I.table_mapping_fails_like_the_stream_mapping, table_event_drop("FunctionResponseTypes")),
    Mutation("table OnFailure removed", I.table_mapping_fails_like_the_stream_mapping, table_event_drop("DestinationConfig")),
    Mutation(
        "table stream keys only",
        I.table_mapping_fails_like_the_stream_mapping,
        set_in("Table.Properties.StreamSpecification.StreamViewType", "KEYS_ONLY"),
    ),
    Mutation(
        "OnFailure to the DLQ",
        I.mapping_sends_exhausted_batches_to_failure_topic,
        event("DestinationConfig", {"OnFailure": {"Type": "SQS", "Destination": {"Fn::GetAtt": ["Hydrator", "Outputs.DlqArn"]}}}),
    ),
    hydrator(
        "topic output names the DLQ",
        I.mapping_sends_exhausted_batches_to_failure_topic,
        lambda t: t["Outputs"]["TopicArn"].update(Value={"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}),
    ),
    Mutation("starts at LATEST", I.mapping_reads_from_trim_horizon_in_order, event("StartingPosition", "LATEST")),
    Mutation("parallel batches per shard", I.mapping_reads_from_trim_horizon_in_order, event("ParallelizationFactor", 2)),
    Mutation(
        "retries forever", I.mapping_gives_up_while_the_stream_still_holds_the_range, event("MaximumRetryAttempts", -1)
    ),
    Mutation(
        "retry limit removed",
        I.mapping_gives_up_while_the_stream_still_holds_the_range,
        drop_event("MaximumRetryAttempts"),
    ),
    Mutation(
        "record age unbounded",
        I.mapping_gives_up_while_the_stream_still_holds_the_range,
        event("MaximumRecordAgeInSeconds", -1),
    ),
    Mutation(
        "record age past retention",
        I.mapping_gives_up_while_the_stream_still_holds_the_range,
        event("MaximumRecordAgeInSeconds", 86_400),
    ),
    hydrator(
        "hydrate unsubscribed",
        I.hydrate_is_subscribed_to_failure_topic,
        delete_resource("FailureSubscription"),
    ),
    hydrator(
        "subscription redrive removed",
        I.hydrate_is_subscribed_to_failure_topic,
        delete("FailureSubscription.Properties.RedrivePolicy"),
    ),
    hydrator(
        "SNS may not invoke hydrate",
        I.hydrate_is_subscribed_to_failure_topic,
        delete_resource("FailureTopicInvokesHydrate"),
    ),
    hydrator(
        "failure queue refuses the redrive",
        I.hydrate_is_subscribed_to_failure_topic,
        lambda t: resource(t, "HydrateFailureQueuePolicy")["PolicyDocument"]["Statement"].pop(1),
    ),
    hydrator(
        "DLQ_URL points at the failure queue",
        I.hydrate_knows_its_queue_and_allowed_stream,
        set_in("HydrateFunction.Properties.Environment.Variables.DLQ_URL", {"Ref": "HydrateFailureQueue"}),
    ),
    hydrator(
        "any stream allowed",
        I.hydrate_knows_its_queue_and_allowed_stream,
        set_in("HydrateFunction.Properties.Environment.Variables.ALLOWED_STREAM_ARNS", "*"),
    ),
    Mutation(
        "demo allows a second stream",
        I.hydrate_knows_its_queue_and_allowed_stream,
        set_parameter(
            "AllowedStreamArns",
            {"Fn::Join": [",", [{"Fn::GetAtt": ["Stream", "Arn"]}, "arn:aws:kinesis:us-east-1:123456789012:stream/x"]]},
        ),
    ),
    hydrator(
        "hydrate not retried",
        I.hydrate_failures_land_in_failure_queue,
        set_in("HydrateFunction.Properties.EventInvokeConfig.MaximumRetryAttempts", 0),
    ),
    hydrator(
        "hydrate OnFailure removed",
        I.hydrate_failures_land_in_failure_queue,
        delete("HydrateFunction.Properties.EventInvokeConfig.DestinationConfig"),
    ),
    hydrator(
        "hydrate timeout too short",
        I.hydrate_timeout_fits_largest_range,
        set_in("HydrateFunction.Properties.Timeout", 30),
    ),
    Mutation(
        "stream unencrypted",
        I.stream_and_topic_are_encrypted_with_rotating_key,
        delete("Stream.Properties.StreamEncryption"),
    ),
    hydrator(
        "topic unencrypted",
        I.stream_and_topic_are_encrypted_with_rotating_key,
        delete("FailureTopic.Properties.KmsMasterKeyId"),
    ),
    Mutation(
        "key rotation off",
        I.stream_and_topic_are_encrypted_with_rotating_key,
        set_in("DataKey.Properties.EnableKeyRotation", False),
    ),
    Mutation(
        "demo's hydrator makes a key of its own",
        I.stream_and_topic_are_encrypted_with_rotating_key,
        lambda t: t["Resources"]["Hydrator"]["Properties"]["Parameters"].pop("DataKeyArn"),
    ),
    hydrator("DLQ unencrypted", I.queues_are_encrypted, delete("DeadLetterQueue.Properties.KmsMasterKeyId")),
    hydrator(
        "failure queue unencrypted",
        I.queues_are_encrypted,
        set_in("HydrateFailureQueue.Properties.SqsManagedSseEnabled", False),
    ),
    hydrator("DLQ policy removed", I.queues_and_topic_refuse_plain_http, delete_resource("DeadLetterQueuePolicy")),
    hydrator(
        "failure queue denies TLS instead",
        I.queues_and_topic_refuse_plain_http,
        set_in(
            "HydrateFailureQueuePolicy.Properties.PolicyDocument.Statement.0.Condition",
            {"Bool": {"aws:SecureTransport": "true"}},
        ),
    ),
    hydrator("topic policy removed", I.queues_and_topic_refuse_plain_http, delete_resource("FailureTopicPolicy")),
    hydrator(
        "DLQ keeps 4 days",
        I.dead_letter_queue_keeps_14_days_of_1_mib_messages,
        set_in("DeadLetterQueue.Properties.MessageRetentionPeriod", 345_600),
    ),
    hydrator(
        "DLQ takes 256 KiB",
        I.dead_letter_queue_keeps_14_days_of_1_mib_messages,
        set_in("DeadLetterQueue.Properties.MaximumMessageSize", 262_144),
    ),
    Mutation(
        "processor kinesis:*",
        I.no_wildcard_permissions,
        set_statement("ProcessorRole", "EventSourceMappingReadsStream", "Action", "kinesis:*"),
    ),
    hydrator(
        "hydrate reads every stream",
        I.no_wildcard_permissions,
        set_statement("HydrateRole", "RereadsFailedRange", "Resource", "*"),
    ),
    hydrator(
        "managed policy attached",
        I.no_wildcard_permissions,
        set_in(
            "HydrateRole.Properties.ManagedPolicyArns",
            ["arn:aws:iam::aws:policy/service-role/AWSLambdaKinesisExecutionRole"],
        ),
    ),
    hydrator(
        "SAM policy template instead of the role",
        I.no_wildcard_permissions,
        replace_role_with_sam_policies("HydrateFunction", "orders"),
    ),
    hydrator(
        "hydrate may describe the stream",
        I.hydrate_role_has_exactly_its_permissions,
        add_action("HydrateRole", "RereadsFailedRange", "kinesis:DescribeStream"),
    ),
    hydrator(
        "hydrate may put records",
        I.hydrate_role_has_exactly_its_permissions,
        add_action("HydrateRole", "RereadsFailedRange", "kinesis:PutRecords"),
    ),
    hydrator(
        "hydrate decrypts outside the sources' services",
        I.hydrate_role_has_exactly_its_permissions,
        set_statement("HydrateRole", "DecryptsSourceRecords", "Condition", {}),
    ),
    hydrator(
        "hydrate may receive from the DLQ",
        I.hydrate_role_has_exactly_its_permissions,
        add_action("HydrateRole", "WritesDeadLetterQueue", "sqs:ReceiveMessage"),
    ),
    hydrator(
        "hydrate loses the DLQ",
        I.hydrate_role_has_exactly_its_permissions,
        drop_statement("HydrateRole", "WritesDeadLetterQueue"),
    ),
    hydrator(
        "hydrate cannot describe the stream",
        I.hydrate_role_has_exactly_its_permissions,
        set_statement("HydrateRole", "RereadsFailedRange", "Action", ["kinesis:GetShardIterator", "kinesis:GetRecords"]),
    ),
    Mutation(
        "processor may subscribe to shards",
        I.processor_role_has_exactly_its_permissions,
        add_action("ProcessorRole", "EventSourceMappingReadsStream", "kinesis:SubscribeToShard"),
    ),
    Mutation(
        "processor loses OnFailure publish",
        I.processor_role_has_exactly_its_permissions,
        drop_statement("ProcessorRole", "OnFailurePublishesToTopic"),
    ),
    Mutation(
        "processor publishes to any topic",
        I.processor_role_has_exactly_its_permissions,
        set_statement(
            "ProcessorRole", "OnFailurePublishesToTopic", "Resource", {"Fn::Sub": "arn:${AWS::Partition}:sns:*"}
        ),
    ),
    Mutation(
        "functions share a role",
        I.functions_run_as_their_own_roles,
        set_in("ProcessorFunction.Properties.Role", {"Fn::GetAtt": ["HydrateRole", "Arn"]}),
    ),
    hydrator(
        "role assumable by any service",
        I.functions_run_as_their_own_roles,
        set_in(
            "HydrateRole.Properties.AssumeRolePolicyDocument.Statement.0.Principal",
            {"Service": ["lambda.amazonaws.com", "ec2.amazonaws.com"]},
        ),
    ),
    Mutation(
        "SAM-generated role",
        I.functions_run_as_their_own_roles,
        replace_role_with_sam_policies("ProcessorFunction", {"Ref": "Stream"}),
    ),
    Mutation(
        "x86_64 build",
        I.functions_are_rust_on_arm64_with_json_logs,
        set_in("ProcessorFunction.Properties.Architectures", ["x86_64"]),
    ),
    hydrator(
        "text logs",
        I.functions_are_rust_on_arm64_with_json_logs,
        set_in("HydrateFunction.Properties.LoggingConfig.LogFormat", "Text"),
    ),
    hydrator(
        "build method removed",
        I.functions_are_rust_on_arm64_with_json_logs,
        delete("HydrateFunction.Metadata.BuildMethod"),
    ),
    hydrator(
        "wrong binary",
        I.functions_are_rust_on_arm64_with_json_logs,
        set_in("HydrateFunction.Metadata.BuildProperties.Binary", "processor"),
    ),
    hydrator(
        "DLQ alarm removed", I.alarms_watch_every_failure_path, delete_resource("DeadLetterQueueDepthAlarm")
    ),
    Mutation(
        "iterator age on the wrong function",
        I.alarms_watch_every_failure_path,
        set_in("ProcessorIteratorAgeAlarm.Properties.Dimensions.0.Value", {"Fn::GetAtt": ["Hydrator", "Outputs.HydrateFunctionName"]}),
    ),
    hydrator("hydrate errors unwatched", I.alarms_watch_every_failure_path, delete_resource("HydrateErrorsAlarm")),
    hydrator(
        "failure queue unwatched",
        I.alarms_watch_every_failure_path,
        delete_resource("HydrateFailureQueueDepthAlarm"),
    ),
    hydrator(
        "retention margin alarm on a misspelt metric",
        I.alarms_watch_the_metrics_they_name,
        set_in(
            "RetentionMarginAlarm.Properties.Metrics.0.Expression",
            "SELECT MIN(RetentionMarginSeconds) FROM SCHEMA(streamdlq, StreamName)",
        ),
    ),
    hydrator(
        "retention margin alarm by function instead of stream",
        I.alarms_watch_the_metrics_they_name,
        set_in(
            "RetentionMarginAlarm.Properties.Metrics.0.Expression",
            "SELECT MIN(RetentionMargin) FROM SCHEMA(streamdlq, FunctionName)",
        ),
    ),
    hydrator(
        "retention margin alarm trips on large margins",
        I.alarms_watch_the_metrics_they_name,
        set_in("RetentionMarginAlarm.Properties.ComparisonOperator", "GreaterThanThreshold"),
    ),
    hydrator(
        "retention margin alarm averages away the near miss",
        I.alarms_watch_the_metrics_they_name,
        set_in(
            "RetentionMarginAlarm.Properties.Metrics.0.Expression",
            "SELECT AVG(RetentionMargin) FROM SCHEMA(streamdlq, StreamName)",
        ),
    ),
    hydrator(
        "retention margin alarm removed",
        I.alarms_watch_the_metrics_they_name,
        delete_resource("RetentionMarginAlarm"),
    ),
    hydrator(
        "DLQ age alarm watches the failure queue",
        I.alarms_watch_the_metrics_they_name,
        set_in(
            "DeadLetterQueueAgeAlarm.Properties.Dimensions.0.Value",
            {"Fn::GetAtt": ["HydrateFailureQueue", "QueueName"]},
        ),
    ),
    hydrator(
        "DLQ age alarm watches depth",
        I.alarms_watch_the_metrics_they_name,
        set_in("DeadLetterQueueAgeAlarm.Properties.MetricName", "ApproximateNumberOfMessagesVisible"),
    ),
    hydrator(
        "hydrate errors alarm watches throttles",
        I.alarms_watch_the_metrics_they_name,
        set_in("HydrateErrorsAlarm.Properties.MetricName", "Throttles"),
    ),
    hydrator(
        "failure queue alarm watches the DLQ",
        I.alarms_watch_the_metrics_they_name,
        set_in(
            "HydrateFailureQueueDepthAlarm.Properties.Dimensions.0.Value",
            {"Fn::GetAtt": ["DeadLetterQueue", "QueueName"]},
        ),
    ),
    Mutation(
        "iterator age alarm averaged",
        I.alarms_watch_the_metrics_they_name,
        set_in("ProcessorIteratorAgeAlarm.Properties.Statistic", "Average"),
    ),
    hydrator(
        "retention margin threshold hard-coded",
        I.retention_margin_alarm_uses_its_parameter,
        set_in("RetentionMarginAlarm.Properties.Threshold", 3600),
    ),
    Mutation(
        "demo's threshold not passed on",
        I.retention_margin_alarm_uses_its_parameter,
        lambda t: t["Resources"]["Hydrator"]["Properties"]["Parameters"].pop("RetentionMarginAlarmSeconds"),
    ),
    hydrator(
        "DLQ age alarm after SQS deletes",
        I.retention_margin_alarm_uses_its_parameter,
        set_in("DeadLetterQueueAgeAlarm.Properties.Threshold", 1_296_000),
    ),
    Mutation(
        "dashboard without the retention margin",
        I.dashboard_shows_every_alarmed_metric,
        lambda t: t["Resources"]["Dashboard"]["Properties"].update(
            DashboardBody={
                "Fn::Sub": t["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"].replace(
                    '"RetentionMargin"', '"RetentionMarginSeconds"'
                )
            }
        ),
    ),
    Mutation(
        "dashboard graphs the failure queue as the DLQ",
        I.dashboard_shows_every_alarmed_metric,
        lambda t: t["Resources"]["Dashboard"]["Properties"].update(
            DashboardBody={
                "Fn::Sub": t["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"].replace(
                    "Hydrator.Outputs.DlqName", "Hydrator.Outputs.HydrateFailureQueueName"
                )
            }
        ),
    ),
    Mutation("DlqUrl output removed", I.outputs_name_everything_the_cli_needs, lambda t: t["Outputs"].pop("DlqUrl")),
    Mutation(
        "StreamArn output names the DLQ",
        I.outputs_name_everything_the_cli_needs,
        lambda t: t["Outputs"]["StreamArn"].update(Value={"Fn::GetAtt": ["Hydrator", "Outputs.DlqArn"]}),
    ),
    hydrator(
        "hydrator's DlqUrl output names the failure queue",
        I.outputs_name_everything_the_cli_needs,
        lambda t: t["Outputs"]["DlqUrl"].update(Value={"Ref": "HydrateFailureQueue"}),
    ),
    Mutation(
        "demo hydrates from a queue it does not have",
        I.demo_passes_the_hydrator_what_it_needs,
        set_parameter("FailureSource", "ExistingQueue"),
    ),
    Mutation(
        "demo's hydrator may read another stream",
        I.demo_passes_the_hydrator_what_it_needs,
        set_parameter("AllowedStreamArns", "arn:aws:kinesis:us-east-1:123456789012:stream/other"),
    ),
    hydrator(
        "queue consumer may purge",
        I.hydrator_role_has_exactly_each_sources_permissions,
        add_action("HydrateRole", "ConsumesExistingQueue", "sqs:PurgeQueue"),
    ),
    hydrator(
        "bucket read whatever the source",
        I.hydrator_role_has_exactly_each_sources_permissions,
        unconditional_statement("HydrateRole", "ReadsFailedEventObjects"),
    ),
    hydrator(
        "queue consumed whatever the source",
        I.hydrator_role_has_exactly_each_sources_permissions,
        unconditional_statement("HydrateRole", "ConsumesExistingQueue"),
    ),
    hydrator(
        "hydrate may read every stream of the account",
        I.hydrator_reads_only_allowed_sources_and_writes_only_its_queues,
        set_statement(
            "HydrateRole",
            "RereadsFailedRange",
            "Resource",
            {"Fn::Sub": "arn:${AWS::Partition}:kinesis:${AWS::Region}:${AWS::AccountId}:stream/*"},
        ),
    ),
    hydrator(
        "hydrate may read the whole bucket",
        I.hydrator_reads_only_allowed_sources_and_writes_only_its_queues,
        set_statement(
            "HydrateRole", "ReadsFailedEventObjects", "Resource", {"Fn::Sub": "arn:${AWS::Partition}:s3:::${ExistingBucketName}/*"}
        ),
    ),
    hydrator(
        "hydrate may write to the stream",
        I.hydrator_reads_only_allowed_sources_and_writes_only_its_queues,
        add_action("HydrateRole", "RereadsFailedRange", "kinesis:PutRecord"),
    ),
    hydrator(
        "hydrate may send to the consumed queue",
        I.hydrator_reads_only_allowed_sources_and_writes_only_its_queues,
        add_action("HydrateRole", "ConsumesExistingQueue", "sqs:SendMessage"),
    ),
    hydrator(
        "hydrate may write to the bucket",
        I.hydrator_reads_only_allowed_sources_and_writes_only_its_queues,
        add_action("HydrateRole", "ReadsFailedEventObjects", "s3:PutObject"),
    ),
    hydrator(
        "hydrate decrypts with any key",
        I.hydrator_reads_only_allowed_sources_and_writes_only_its_queues,
        set_statement(
            "HydrateRole", "DecryptsSourceRecords", "Resource", {"Fn::Sub": "arn:${AWS::Partition}:kms:*:${AWS::AccountId}:key/*"}
        ),
    ),
    hydrator(
        "subscription whatever the source",
        I.hydrator_receives_failures_from_its_source,
        set_condition("FailureSubscription", None),
    ),
    hydrator(
        "queue mapping without partial batch responses",
        I.hydrator_receives_failures_from_its_source,
        delete("FailureQueueMapping.Properties.FunctionResponseTypes"),
    ),
    hydrator(
        "any bucket may invoke hydrate",
        I.hydrator_receives_failures_from_its_source,
        delete("FailureBucketInvokesHydrate.Properties.SourceArn"),
    ),
    hydrator(
        "queue mapping for the bucket source",
        I.hydrator_receives_failures_from_its_source,
        set_condition("FailureQueueMapping", "ReadsBucket"),
    ),
    hydrator(
        "existing queue without its ARN accepted",
        I.hydrator_refuses_a_source_without_its_name,
        lambda t: t["Rules"].pop("ExistingQueueNeedsItsArn"),
    ),
    hydrator(
        "a default allowlist",
        I.hydrator_refuses_a_source_without_its_name,
        lambda t: t["Parameters"]["AllowedStreamArns"].update(Default="*"),
    ),
    hydrator(
        "topic output whatever the source",
        I.hydrator_outputs_what_operators_need,
        lambda t: t["Outputs"]["TopicArn"].update(Condition="SubscribesToTopic"),
    ),
    hydrator(
        "function ARN output removed",
        I.hydrator_outputs_what_operators_need,
        lambda t: t["Outputs"].pop("HydrateFunctionArn"),
    ),
]


def index_lists(template: Template) -> Template:
    """Let mutation paths address list items by position (`Statement.0`)."""

    def wrap(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: wrap(value) for key, value in node.items()}
        if isinstance(node, list):
            return ListByIndex(wrap(value) for value in node)
        return node

    return wrap(template)


class ListByIndex(list):  # type: ignore[type-arg]
    """A list whose items are also reachable by their index as a string key."""

    def __getitem__(self, key: Any) -> Any:
        return super().__getitem__(int(key) if isinstance(key, str) else key)

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(int(key) if isinstance(key, str) else key, value)


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda mutation: mutation.name.replace(" ", "-"))
def test_invariant_catches_mutation(mutation: Mutation, stack: invariants.Stack) -> None:
    """The mutated template still translates, and its invariant rejects it."""
    original = stack.hydrator_sam if mutation.template == "hydrator" else stack.sam
    mutated = index_lists(copy.deepcopy(original))
    mutation.apply(mutated)
    try:
        cfn = translate.translate(mutated)
    except translate.TranslationError as error:
        pytest.fail(f"the mutation must leave a valid SAM template, so the invariant is what fails: {error}")
    if mutation.template == "hydrator":
        mutated_stack = invariants.Stack(stack.sam, stack.cfn, mutated, cfn)
    else:
        mutated_stack = invariants.Stack(mutated, cfn, stack.hydrator_sam, stack.hydrator_cfn)
    with pytest.raises(AssertionError):
        mutation.trips(mutated_stack)


def test_every_invariant_has_a_mutation_that_trips_it() -> None:
    """No invariant goes unproven: each one is tripped by some mutation."""
    proven = {mutation.trips for mutation in MUTATIONS}
    unproven = [check.__name__ for check in invariants.CHECKS if check not in proven]
    assert not unproven, f"invariants no mutation trips: {unproven}"
