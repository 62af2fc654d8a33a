"""infra/template.yaml keeps every invariant, and every invariant can fail.

Each mutation below is a plausible edit that loses something the stack relies
on. It is applied to an in-memory copy of the template, translated like the
real one, and must trip the invariant it names: a check that no mutation can
trip proves nothing, so every check needs at least one.
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
def test_template_keeps_invariant(check: invariants.Check, sam_template: Template, cfn_template: Template) -> None:
    """The committed template satisfies the invariant."""
    check(sam_template, cfn_template)


# --- mutations ----------------------------------------------------------------


def resource(template: Template, logical_id: str) -> dict[str, Any]:
    return template["Resources"][logical_id]["Properties"]


def kinesis_event(template: Template) -> dict[str, Any]:
    return resource(template, "ProcessorFunction")["Events"]["Kinesis"]["Properties"]


def statement(template: Template, role: str, sid: str) -> dict[str, Any]:
    statements = resource(template, role)["Policies"][0]["PolicyDocument"]["Statement"]
    return next(s for s in statements if s.get("Sid") == sid)


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


def replace_role_with_sam_policies(function: str) -> Callable[[Template], None]:
    """Let SAM generate the role from a policy template, as a quick edit would."""

    def mutate(template: Template) -> None:
        properties = resource(template, function)
        del properties["Role"]
        properties["Policies"] = [{"KinesisStreamReadPolicy": {"StreamName": {"Ref": "Stream"}}}]

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
        statements = resource(template, role)["Policies"][0]["PolicyDocument"]["Statement"]
        statements.remove(statement(template, role, sid))

    return mutate


def event(key: str, value: Any) -> Callable[[Template], None]:
    def mutate(template: Template) -> None:
        kinesis_event(template)[key] = value

    return mutate


def drop_event(key: str) -> Callable[[Template], None]:
    def mutate(template: Template) -> None:
        del kinesis_event(template)[key]

    return mutate


@dataclass(frozen=True)
class Mutation:
    name: str
    trips: invariants.Check
    apply: Callable[[Template], None]


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
    Mutation(
        "OnFailure to the DLQ",
        I.mapping_sends_exhausted_batches_to_failure_topic,
        event("DestinationConfig", {"OnFailure": {"Type": "SQS", "Destination": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}}}),
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
    Mutation(
        "hydrate unsubscribed",
        I.hydrate_is_subscribed_to_failure_topic,
        delete("HydrateFunction.Properties.Events.Failures"),
    ),
    Mutation(
        "subscription redrive removed",
        I.hydrate_is_subscribed_to_failure_topic,
        delete("HydrateFunction.Properties.Events.Failures.Properties.RedrivePolicy"),
    ),
    Mutation(
        "DLQ_URL points at the failure queue",
        I.hydrate_knows_its_queue_and_allowed_stream,
        set_in("HydrateFunction.Properties.Environment.Variables.DLQ_URL", {"Ref": "HydrateFailureQueue"}),
    ),
    Mutation(
        "any stream allowed",
        I.hydrate_knows_its_queue_and_allowed_stream,
        set_in("HydrateFunction.Properties.Environment.Variables.ALLOWED_STREAM_ARNS", "*"),
    ),
    Mutation(
        "hydrate not retried",
        I.hydrate_failures_land_in_failure_queue,
        set_in("HydrateFunction.Properties.EventInvokeConfig.MaximumRetryAttempts", 0),
    ),
    Mutation(
        "hydrate OnFailure removed",
        I.hydrate_failures_land_in_failure_queue,
        delete("HydrateFunction.Properties.EventInvokeConfig.DestinationConfig"),
    ),
    Mutation(
        "hydrate timeout too short",
        I.hydrate_timeout_fits_largest_range,
        set_in("HydrateFunction.Properties.Timeout", 30),
    ),
    Mutation(
        "stream unencrypted",
        I.stream_and_topic_are_encrypted_with_rotating_key,
        delete("Stream.Properties.StreamEncryption"),
    ),
    Mutation(
        "topic unencrypted",
        I.stream_and_topic_are_encrypted_with_rotating_key,
        delete("FailureTopic.Properties.KmsMasterKeyId"),
    ),
    Mutation(
        "key rotation off",
        I.stream_and_topic_are_encrypted_with_rotating_key,
        set_in("DataKey.Properties.EnableKeyRotation", False),
    ),
    Mutation("DLQ unencrypted", I.queues_are_encrypted, delete("DeadLetterQueue.Properties.KmsMasterKeyId")),
    Mutation(
        "failure queue unencrypted",
        I.queues_are_encrypted,
        set_in("HydrateFailureQueue.Properties.SqsManagedSseEnabled", False),
    ),
    Mutation("DLQ policy removed", I.queues_and_topic_refuse_plain_http, delete_resource("DeadLetterQueuePolicy")),
    Mutation(
        "failure queue denies TLS instead",
        I.queues_and_topic_refuse_plain_http,
        set_in(
            "HydrateFailureQueuePolicy.Properties.PolicyDocument.Statement.0.Condition",
            {"Bool": {"aws:SecureTransport": "true"}},
        ),
    ),
    Mutation("topic policy removed", I.queues_and_topic_refuse_plain_http, delete_resource("FailureTopicPolicy")),
    Mutation(
        "DLQ keeps 4 days",
        I.dead_letter_queue_keeps_14_days_of_1_mib_messages,
        set_in("DeadLetterQueue.Properties.MessageRetentionPeriod", 345_600),
    ),
    Mutation(
        "DLQ takes 256 KiB",
        I.dead_letter_queue_keeps_14_days_of_1_mib_messages,
        set_in("DeadLetterQueue.Properties.MaximumMessageSize", 262_144),
    ),
    Mutation(
        "processor kinesis:*",
        I.no_wildcard_permissions,
        set_statement("ProcessorRole", "EventSourceMappingReadsStream", "Action", "kinesis:*"),
    ),
    Mutation(
        "hydrate reads every stream",
        I.no_wildcard_permissions,
        set_statement("HydrateRole", "RereadsFailedRange", "Resource", "*"),
    ),
    Mutation(
        "managed policy attached",
        I.no_wildcard_permissions,
        set_in(
            "HydrateRole.Properties.ManagedPolicyArns",
            ["arn:aws:iam::aws:policy/service-role/AWSLambdaKinesisExecutionRole"],
        ),
    ),
    Mutation(
        "SAM policy template instead of the role",
        I.no_wildcard_permissions,
        replace_role_with_sam_policies("HydrateFunction"),
    ),
    Mutation(
        "hydrate may describe the stream",
        I.hydrate_role_has_exactly_its_permissions,
        add_action("HydrateRole", "RereadsFailedRange", "kinesis:DescribeStream"),
    ),
    Mutation(
        "hydrate may put records",
        I.hydrate_role_has_exactly_its_permissions,
        add_action("HydrateRole", "RereadsFailedRange", "kinesis:PutRecords"),
    ),
    Mutation(
        "hydrate decrypts outside Kinesis",
        I.hydrate_role_has_exactly_its_permissions,
        set_statement("HydrateRole", "DecryptStreamRecords", "Condition", {}),
    ),
    Mutation(
        "hydrate may receive from the DLQ",
        I.hydrate_role_has_exactly_its_permissions,
        add_action("HydrateRole", "WritesDeadLetterQueue", "sqs:ReceiveMessage"),
    ),
    Mutation(
        "hydrate loses the DLQ",
        I.hydrate_role_has_exactly_its_permissions,
        drop_statement("HydrateRole", "WritesDeadLetterQueue"),
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
    Mutation(
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
        replace_role_with_sam_policies("ProcessorFunction"),
    ),
    Mutation(
        "x86_64 build",
        I.functions_are_rust_on_arm64_with_json_logs,
        set_in("ProcessorFunction.Properties.Architectures", ["x86_64"]),
    ),
    Mutation(
        "text logs",
        I.functions_are_rust_on_arm64_with_json_logs,
        set_in("HydrateFunction.Properties.LoggingConfig.LogFormat", "Text"),
    ),
    Mutation(
        "build method removed",
        I.functions_are_rust_on_arm64_with_json_logs,
        delete("HydrateFunction.Metadata.BuildMethod"),
    ),
    Mutation(
        "wrong binary",
        I.functions_are_rust_on_arm64_with_json_logs,
        set_in("HydrateFunction.Metadata.BuildProperties.Binary", "processor"),
    ),
    Mutation(
        "DLQ alarm removed", I.alarms_watch_every_failure_path, delete_resource("DeadLetterQueueDepthAlarm")
    ),
    Mutation(
        "iterator age on the wrong function",
        I.alarms_watch_every_failure_path,
        set_in("ProcessorIteratorAgeAlarm.Properties.Dimensions.0.Value", {"Ref": "HydrateFunction"}),
    ),
    Mutation("hydrate errors unwatched", I.alarms_watch_every_failure_path, delete_resource("HydrateErrorsAlarm")),
    Mutation(
        "failure queue unwatched",
        I.alarms_watch_every_failure_path,
        delete_resource("HydrateFailureQueueDepthAlarm"),
    ),
    Mutation(
        "retention margin alarm on a misspelt metric",
        I.alarms_watch_the_metrics_they_name,
        set_in("RetentionMarginAlarm.Properties.MetricName", "RetentionMarginSeconds"),
    ),
    Mutation(
        "retention margin alarm by function instead of stream",
        I.alarms_watch_the_metrics_they_name,
        set_in(
            "RetentionMarginAlarm.Properties.Dimensions",
            [{"Name": "FunctionName", "Value": {"Ref": "HydrateFunction"}}],
        ),
    ),
    Mutation(
        "retention margin alarm trips on large margins",
        I.alarms_watch_the_metrics_they_name,
        set_in("RetentionMarginAlarm.Properties.ComparisonOperator", "GreaterThanThreshold"),
    ),
    Mutation(
        "retention margin alarm averages away the near miss",
        I.alarms_watch_the_metrics_they_name,
        set_in("RetentionMarginAlarm.Properties.Statistic", "Average"),
    ),
    Mutation(
        "retention margin alarm removed",
        I.alarms_watch_the_metrics_they_name,
        delete_resource("RetentionMarginAlarm"),
    ),
    Mutation(
        "DLQ age alarm watches the failure queue",
        I.alarms_watch_the_metrics_they_name,
        set_in(
            "DeadLetterQueueAgeAlarm.Properties.Dimensions.0.Value",
            {"Fn::GetAtt": ["HydrateFailureQueue", "QueueName"]},
        ),
    ),
    Mutation(
        "DLQ age alarm watches depth",
        I.alarms_watch_the_metrics_they_name,
        set_in("DeadLetterQueueAgeAlarm.Properties.MetricName", "ApproximateNumberOfMessagesVisible"),
    ),
    Mutation(
        "hydrate errors alarm watches throttles",
        I.alarms_watch_the_metrics_they_name,
        set_in("HydrateErrorsAlarm.Properties.MetricName", "Throttles"),
    ),
    Mutation(
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
    Mutation(
        "retention margin threshold hard-coded",
        I.retention_margin_alarm_uses_its_parameter,
        set_in("RetentionMarginAlarm.Properties.Threshold", 3600),
    ),
    Mutation(
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
        "hydrate cannot describe the stream",
        I.hydrate_role_has_exactly_its_permissions,
        set_statement("HydrateRole", "RereadsFailedRange", "Action", ["kinesis:GetShardIterator", "kinesis:GetRecords"]),
    ),
    Mutation("DlqUrl output removed", I.outputs_name_everything_the_cli_needs, lambda t: t["Outputs"].pop("DlqUrl")),
    Mutation(
        "StreamArn output names the DLQ",
        I.outputs_name_everything_the_cli_needs,
        lambda t: t["Outputs"]["StreamArn"].update(Value={"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}),
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
def test_invariant_catches_mutation(mutation: Mutation, sam_template: Template) -> None:
    """The mutated template still translates, and its invariant rejects it."""
    mutated = index_lists(copy.deepcopy(sam_template))
    mutation.apply(mutated)
    try:
        cfn = translate.translate(mutated)
    except translate.TranslationError as error:
        pytest.fail(f"the mutation must leave a valid SAM template, so the invariant is what fails: {error}")
    with pytest.raises(AssertionError):
        mutation.trips(mutated, cfn)


def test_every_invariant_has_a_mutation_that_trips_it() -> None:
    """No invariant goes unproven: each one is tripped by some mutation."""
    proven = {mutation.trips for mutation in MUTATIONS}
    unproven = [check.__name__ for check in invariants.CHECKS if check not in proven]
    assert not unproven, f"invariants no mutation trips: {unproven}"
