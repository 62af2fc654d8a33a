"""What infra/template.yaml and infra/hydrator.yaml must keep true, as checks.

Each check takes a `Stack` (both SAM templates and their CloudFormation
translations) and raises AssertionError naming what was lost. Most look at
the translations: the event source mappings, subscriptions and invoke config
exist only there, exactly as CloudFormation will create them. The demo stack
nests the hydrator; its checks read the hydrator as the demo deploys it
(`Stack.nested`: resolved for the parameters the demo passes). The hydrator's
own checks resolve it for each failure source a standalone deployment can
choose (`SCENARIOS`). `CHECKS` lists them all; the tests run every check on
the real templates and prove each one can fail.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import resolve

Template = dict[str, Any]

# Logical ids the local stack and the CLI depend on: the demo stack's ...
STREAM = "Stream"
DATA_KEY = "DataKey"
PROCESSOR = "ProcessorFunction"
TABLE = "Table"
TABLE_PROCESSOR = "TableProcessorFunction"
HYDRATOR = "Hydrator"
# ... and the hydrator's.
TOPIC = "FailureTopic"
DLQ = "DeadLetterQueue"
FAILURE_QUEUE = "HydrateFailureQueue"
HYDRATE = "HydrateFunction"
HYDRATOR_KEY = "HydratorKey"
SUBSCRIPTION = "FailureSubscription"
QUEUE_MAPPING = "FailureQueueMapping"

# Worst-case hydration of a 10,000-record range (the largest Kinesis
# BatchSize). The failed batch fitted a 6 MB invocation payload; the shard's
# 2 MiB/s read limit is shared with the mapping, so count on half of it; a
# 10 MiB GetRecords call blocks the shard for ~5 s (count ten such pauses);
# ~6 MB of base64 payloads make ~10 DLQ messages of 1 MiB (1 s each, slow).
HYDRATION_RANGE_BYTES = 6 * 1024 * 1024
SHARD_READ_BYTES_PER_SECOND = 1024 * 1024
THROTTLE_PAUSES, THROTTLE_PAUSE_SECONDS = 10, 5
DLQ_MESSAGES, DLQ_SEND_SECONDS = 10, 1
HYDRATION_WORST_CASE_SECONDS = (
    HYDRATION_RANGE_BYTES // SHARD_READ_BYTES_PER_SECOND
    + THROTTLE_PAUSES * THROTTLE_PAUSE_SECONDS
    + DLQ_MESSAGES * DLQ_SEND_SECONDS
)
LAMBDA_MAX_TIMEOUT_SECONDS = 900

# The metric names the hydrate function emits (embedded metric format) are
# declared once, in Rust; the alarms on them are checked against that file.
EMF_SOURCE = Path(__file__).resolve().parents[2] / "crates" / "core" / "src" / "metrics.rs"

# Every alarm on a single metric: the metric it watches, and which way it
# trips. (namespace, metric, dimensions, statistic, comparison)
ALARMS = {
    "DeadLetterQueueAgeAlarm": (
        "AWS/SQS", "ApproximateAgeOfOldestMessage", (("QueueName", f"{DLQ}.QueueName"),), "Maximum",
        "GreaterThanThreshold",
    ),
    "DeadLetterQueueDepthAlarm": (
        "AWS/SQS", "ApproximateNumberOfMessagesVisible", (("QueueName", f"{DLQ}.QueueName"),), "Maximum",
        "GreaterThanThreshold",
    ),
    "HydrateFailureQueueDepthAlarm": (
        "AWS/SQS", "ApproximateNumberOfMessagesVisible", (("QueueName", f"{FAILURE_QUEUE}.QueueName"),),
        "Maximum", "GreaterThanThreshold",
    ),
    "HydrateErrorsAlarm": ("AWS/Lambda", "Errors", (("FunctionName", HYDRATE),), "Sum", "GreaterThanThreshold"),
    "ProcessorIteratorAgeAlarm": (
        "AWS/Lambda", "IteratorAge", (("FunctionName", PROCESSOR),), "Maximum", "GreaterThanThreshold",
    ),
}
# The retention margin alarm is a Metrics Insights query over every stream
# hydrate reads (the allowlist is a list the template cannot split into one
# alarm per stream): the smallest margin, by the dimension hydrate emits.
RETENTION_MARGIN_ALARM = "RetentionMarginAlarm"
RETENTION_MARGIN_QUERY = "SELECT MIN(RetentionMargin) FROM SCHEMA(streamdlq, StreamName)"

# What `streamdlq --stack` reads from the demo stack's outputs: the demo's
# own resources, and the hydrator's re-exported.
CLI_OUTPUTS = {
    "StreamName": {"Ref": STREAM},
    "StreamArn": {"Fn::GetAtt": [STREAM, "Arn"]},
    "ProcessorFunctionName": {"Ref": PROCESSOR},
    "ProcessorFunctionArn": {"Fn::GetAtt": [PROCESSOR, "Arn"]},
    "ProcessorEventSourceMappingId": {"Ref": f"{PROCESSOR}Kinesis"},
    "TableName": {"Ref": TABLE},
    "TableStreamArn": {"Fn::GetAtt": [TABLE, "StreamArn"]},
    "TableProcessorFunctionName": {"Ref": TABLE_PROCESSOR},
    "TableProcessorEventSourceMappingId": {"Ref": f"{TABLE_PROCESSOR}DynamoDB"},
    "DataKeyArn": {"Fn::GetAtt": [DATA_KEY, "Arn"]},
}
# (demo output, hydrator output, what the hydrator output is)
REEXPORTED_OUTPUTS = [
    ("TopicArn", "TopicArn", TOPIC),
    ("DlqUrl", "DlqUrl", DLQ),
    ("DlqArn", "DlqArn", f"{DLQ}.Arn"),
    ("HydrateFailureQueueUrl", "HydrateFailureQueueUrl", FAILURE_QUEUE),
    ("HydrateFailureQueueArn", "HydrateFailureQueueArn", f"{FAILURE_QUEUE}.Arn"),
    ("HydrateFunctionName", "HydrateFunctionName", HYDRATE),
    ("HydrateFunctionArn", "HydrateFunctionArn", f"{HYDRATE}.Arn"),
]

# Standalone deployments of the hydrator, one per failure source: what an
# operator passes. Streams of both kinds; keys where a source may be encrypted.
ORDERS = "arn:aws:kinesis:eu-west-1:123456789012:stream/orders"
CARTS = "arn:aws:dynamodb:eu-west-1:123456789012:table/carts/stream/2024-01-01T00:00:00.000"
EXISTING_TOPIC = "arn:aws:sns:eu-west-1:123456789012:orders-failures"
EXISTING_QUEUE = "arn:aws:sqs:eu-west-1:123456789012:orders-failures"
EXISTING_BUCKET = "orders-failed-events"
OWN_KEY = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
SOURCE_KEY = "arn:aws:kms:eu-west-1:123456789012:key/66666666-7777-8888-9999-000000000000"
BUCKET_OBJECTS = f"arn:${{AWS::Partition}}:s3:::{EXISTING_BUCKET}/aws/lambda/*"
SCENARIOS: dict[str, dict[str, resolve.Value]] = {
    "CreateTopic": {"AllowedStreamArns": [ORDERS, CARTS]},
    "ExistingTopic": {
        "AllowedStreamArns": [ORDERS],
        "FailureSource": "ExistingTopic",
        "ExistingTopicArn": EXISTING_TOPIC,
        "DataKeyArn": OWN_KEY,
    },
    "ExistingQueue": {
        "AllowedStreamArns": [ORDERS, CARTS],
        "FailureSource": "ExistingQueue",
        "ExistingQueueArn": EXISTING_QUEUE,
        "SourceKeyArns": [SOURCE_KEY],
    },
    "ExistingBucket": {
        "AllowedStreamArns": [CARTS],
        "FailureSource": "ExistingBucket",
        "ExistingBucketName": EXISTING_BUCKET,
    },
}


@dataclass(frozen=True)
class Stack:
    """Both templates as written (SAM) and as translated (CloudFormation)."""

    sam: Template
    cfn: Template
    hydrator_sam: Template
    hydrator_cfn: Template

    @cached_property
    def passed(self) -> dict[str, resolve.Value]:
        """What the demo passes to the hydrator, each value by its name."""
        passed = properties(self.cfn, HYDRATOR).get("Parameters", {})
        declared = self.hydrator_cfn.get("Parameters", {})
        values: dict[str, resolve.Value] = {}
        for key, value in passed.items():
            is_list = declared.get(key, {}).get("Type") == "CommaDelimitedList"
            items = joined(value) if is_list else None
            if items is not None:
                values[key] = items
            else:
                values[key] = [name(value)] if is_list and not isinstance(value, str) else name(value)
        return values

    @cached_property
    def nested(self) -> Template:
        """The hydrator as the demo deploys it."""
        return resolve.resolve(self.hydrator_cfn, self.passed)

    def standalone(self, scenario: str) -> Template:
        """The hydrator as an operator deploys it for one failure source."""
        return resolve.resolve(self.hydrator_cfn, SCENARIOS[scenario])


Check = Callable[[Stack], None]


# --- reading the template -------------------------------------------------


def name(value: Any) -> str:
    """A readable, comparable form of a value that may be an intrinsic."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((key, inner),) = value.items()
        if key == "Ref":
            return str(inner)
        if key == "Fn::GetAtt":
            return ".".join(inner) if isinstance(inner, list) else str(inner)
        if key == "Fn::Sub" and isinstance(inner, str):
            return inner
    return json.dumps(value, sort_keys=True)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def resources(cfn: Template, type_name: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in cfn.get("Resources", {}).items()
        if resource.get("Type") == type_name
    }


def properties(cfn: Template, logical_id: str) -> dict[str, Any]:
    resource = cfn.get("Resources", {}).get(logical_id)
    assert resource is not None, f"resource {logical_id} is missing"
    return resource.get("Properties") or {}


def only(found: dict[str, dict[str, Any]], what: str) -> dict[str, Any]:
    assert len(found) == 1, f"expected exactly one {what}, found {sorted(found) or 'none'}"
    return next(iter(found.values())).get("Properties") or {}


def event_source_mapping(cfn: Template, function: str = PROCESSOR, source: str = f"{STREAM}.Arn") -> dict[str, Any]:
    """A function's event source mapping, as CloudFormation gets it: by
    default the processor's on the Kinesis stream."""
    mappings = {
        logical_id: resource
        for logical_id, resource in resources(cfn, "AWS::Lambda::EventSourceMapping").items()
        if name(resource["Properties"].get("FunctionName")) == function
    }
    mapping = only(mappings, f"event source mapping for {function}")
    assert name(mapping.get("EventSourceArn")) == source, f"the mapping of {function} must read {source}"
    return mapping


def table_mapping(cfn: Template) -> dict[str, Any]:
    """The table processor's mapping on the table's stream."""
    return event_source_mapping(cfn, TABLE_PROCESSOR, f"{TABLE}.StreamArn")


# The failure settings a mapping must share with the Kinesis one: what makes
# a poison record reach OnFailure alone, in time, at the hydrator's topic.
FAILURE_SETTINGS = (
    "StartingPosition",
    "BisectBatchOnFunctionError",
    "FunctionResponseTypes",
    "MaximumRetryAttempts",
    "MaximumRecordAgeInSeconds",
    "ParallelizationFactor",
    "DestinationConfig",
)


def grants(cfn: Template, role: str) -> set[tuple[str, str, tuple[tuple[str, str, str], ...]]]:
    """Every (action, resource, condition) a role's Allow statements grant.

    Inline role policies and any AWS::IAM::Policy attached to the role count.
    """
    documents = [policy["PolicyDocument"] for policy in properties(cfn, role).get("Policies", [])]
    for policy_type in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for resource in resources(cfn, policy_type).values():
            attached = [name(attached_role) for attached_role in resource["Properties"].get("Roles", [])]
            if role in attached:
                documents.append(resource["Properties"]["PolicyDocument"])
    granted = set()
    for document in documents:
        for statement in as_list(document.get("Statement", [])):
            if statement.get("Effect") != "Allow":
                continue
            condition = tuple(
                sorted(
                    (operator, key, name(value))
                    for operator, entries in (statement.get("Condition") or {}).items()
                    for key, values in entries.items()
                    for value in as_list(values)
                )
            )
            for action in as_list(statement.get("Action", [])):
                for resource in as_list(statement.get("Resource", [])):
                    granted.add((action.lower(), name(resource), condition))
    return granted


def via(*services: str) -> tuple[tuple[str, str, str], ...]:
    """The condition that limits a KMS grant to use through these AWS services."""
    return tuple(
        sorted(("StringEquals", "kms:ViaService", f"{service}.${{AWS::Region}}.amazonaws.com") for service in services)
    )


def grant_set(*entries: tuple[str, str, tuple[tuple[str, str, str], ...]]) -> set[Any]:
    return {(action.lower(), resource, condition) for action, resource, condition in entries}


def stream_reads(stream: str) -> set[Any]:
    """Re-reading a failed range of one stream, Kinesis or DynamoDB: the
    statement lists both services' actions on the allowlist, and each
    applies only to its own kind of stream ARN."""
    return grant_set(
        ("kinesis:GetShardIterator", stream, ()),
        ("kinesis:GetRecords", stream, ()),
        ("kinesis:DescribeStreamSummary", stream, ()),
        ("dynamodb:GetShardIterator", stream, ()),
        ("dynamodb:GetRecords", stream, ()),
        ("dynamodb:DescribeStream", stream, ()),
    )


def show(granted: set[Any]) -> str:
    """One grant per line, condition included, for assertion messages."""
    lines = [f"{action} on {resource}" + (f" if {list(condition)}" if condition else "") for action, resource, condition in granted]
    return "\n  ".join(sorted(lines)) or "(none)"


def assert_grants(template: Template, role: str, expected: set[Any], context: str = "") -> None:
    granted = grants(template, role)
    assert granted == expected, (
        f"{context + ': ' if context else ''}{role} grants differ.\n"
        f" extra:\n  {show(granted - expected)}\n missing:\n  {show(expected - granted)}"
    )


def joined(value: Any) -> list[str] | None:
    """The items of `Fn::Join [",", [...]]`, by name."""
    if isinstance(value, dict) and set(value) == {"Fn::Join"}:
        separator, items = value["Fn::Join"]
        if separator == "," and isinstance(items, list):
            return [name(item) for item in items]
    return None


def assert_subscribed(template: Template, topic: str) -> None:
    """SNS invokes hydrate for every record of `topic`, and redrives what it cannot deliver."""
    subscriptions = {
        logical_id: resource
        for logical_id, resource in resources(template, "AWS::SNS::Subscription").items()
        if name(resource["Properties"].get("TopicArn")) == topic
    }
    subscription = only(subscriptions, f"subscription to {topic}")
    assert subscription.get("Protocol") == "lambda", "the subscription must invoke a function"
    assert name(subscription.get("Endpoint")) == f"{HYDRATE}.Arn", "the subscription must invoke hydrate"
    redrive = subscription.get("RedrivePolicy", {}).get("deadLetterTargetArn")
    assert name(redrive) == f"{FAILURE_QUEUE}.Arn", f"undeliverable records must go to {FAILURE_QUEUE}"
    permissions = [
        permission["Properties"]
        for permission in resources(template, "AWS::Lambda::Permission").values()
        if name(permission["Properties"].get("FunctionName")) == HYDRATE
    ]
    assert any(
        permission.get("Principal") == "sns.amazonaws.com" and name(permission.get("SourceArn")) == topic
        for permission in permissions
    ), f"SNS may invoke hydrate only for {topic}"
    redrives = [
        statement
        for policy in resources(template, "AWS::SQS::QueuePolicy").values()
        if f"{FAILURE_QUEUE}" in [name(queue) for queue in policy["Properties"].get("Queues", [])]
        for statement in as_list(policy["Properties"]["PolicyDocument"].get("Statement", []))
        if statement.get("Effect") == "Allow" and statement.get("Principal") == {"Service": "sns.amazonaws.com"}
    ]
    assert any(
        name(statement.get("Condition", {}).get("ArnEquals", {}).get("aws:SourceArn")) == topic for statement in redrives
    ), f"{FAILURE_QUEUE} must accept SNS redrives from {topic} (and only from it)"


def assert_tls_only(template: Template) -> None:
    """Each queue and topic of a deployment denies every request that is not over TLS."""

    def denies_insecure_transport(statement: dict[str, Any], actions: set[str], target: str) -> bool:
        return (
            statement.get("Effect") == "Deny"
            and statement.get("Principal") in ("*", {"AWS": "*"})
            and bool(actions & set(as_list(statement.get("Action", []))))
            and target in {name(resource) for resource in as_list(statement.get("Resource", []))}
            and statement.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") in ("false", False)
        )

    guarded: list[tuple[str, str, str, set[str], str]] = [
        (queue, "AWS::SQS::QueuePolicy", "Queues", {"sqs:*", "*"}, f"{queue}.Arn")
        for queue in resources(template, "AWS::SQS::Queue")
    ]
    guarded += [
        (topic, "AWS::SNS::TopicPolicy", "Topics", {"sns:Publish", "sns:*", "*"}, topic)
        for topic in resources(template, "AWS::SNS::Topic")
    ]
    for target, policy_type, targets_key, actions, resource in guarded:
        statements = [
            statement
            for policy in resources(template, policy_type).values()
            if target in [name(item) for item in policy["Properties"].get(targets_key, [])]
            for statement in as_list(policy["Properties"]["PolicyDocument"].get("Statement", []))
        ]
        assert any(denies_insecure_transport(s, actions, resource) for s in statements), (
            f"{target} must deny requests without TLS (aws:SecureTransport false)"
        )


def nested_output(stack: Stack, key: str) -> str:
    """The hydrator output a demo value `!GetAtt Hydrator.Outputs.<key>` names."""
    outputs = stack.nested.get("Outputs", {})
    assert key in outputs, f"the hydrator, as the demo deploys it, has no output {key}"
    return name(outputs[key]["Value"])


def through_hydrator(stack: Stack, value: str) -> str:
    """`Hydrator.Outputs.X` becomes what the hydrator's output X names."""
    prefix = f"{HYDRATOR}.Outputs."
    return nested_output(stack, value[len(prefix):]) if value.startswith(prefix) else value


# --- the demo stack -----------------------------------------------------------


def processor_bisects_failed_batches(stack: Stack) -> None:
    """A function error splits the batch, so one poison record fails alone."""
    assert event_source_mapping(stack.cfn).get("BisectBatchOnFunctionError") is True, (
        "BisectBatchOnFunctionError must be true"
    )


def processor_reports_batch_item_failures(stack: Stack) -> None:
    """Partial batch responses are honoured (the mapping ignores them otherwise)."""
    types = event_source_mapping(stack.cfn).get("FunctionResponseTypes")
    assert types == ["ReportBatchItemFailures"], (
        f"FunctionResponseTypes must be ['ReportBatchItemFailures'], not {types!r}"
    )


def mapping_sends_exhausted_batches_to_failure_topic(stack: Stack) -> None:
    """Batches the mapping gives up on reach the topic that hydrate listens to."""
    destination = event_source_mapping(stack.cfn).get("DestinationConfig", {}).get("OnFailure", {})
    target = name(destination.get("Destination"))
    assert target == f"{HYDRATOR}.Outputs.TopicArn", (
        f"OnFailure must go to the hydrator's topic (!GetAtt {HYDRATOR}.Outputs.TopicArn), not {target}"
    )
    assert through_hydrator(stack, target) == TOPIC, f"the hydrator's TopicArn output must be {TOPIC}"
    assert TOPIC in resources(stack.nested, "AWS::SNS::Topic"), f"the hydrator must create {TOPIC}"


def mapping_reads_from_trim_horizon_in_order(stack: Stack) -> None:
    """A new mapping skips nothing, and each shard has one batch in flight."""
    mapping = event_source_mapping(stack.cfn)
    assert mapping.get("StartingPosition") == "TRIM_HORIZON", "StartingPosition must be TRIM_HORIZON"
    assert mapping.get("ParallelizationFactor", 1) == 1, "ParallelizationFactor must be 1 (ordered)"
    assert 1 <= mapping.get("BatchSize", 100) <= 10_000, "BatchSize must be 1..10000"


def mapping_gives_up_while_the_stream_still_holds_the_range(stack: Stack) -> None:
    """Retries and record age are bounded well inside the stream's retention.

    Otherwise a poison record blocks its shard until the stream trims it, and
    the range is gone before hydration can read it.
    """
    mapping = event_source_mapping(stack.cfn)
    retries = mapping.get("MaximumRetryAttempts", -1)
    assert 0 <= retries <= 10_000, f"MaximumRetryAttempts must be bounded (0..10000), not {retries}"
    max_age = mapping.get("MaximumRecordAgeInSeconds", -1)
    assert 60 <= max_age <= 604_800, f"MaximumRecordAgeInSeconds must be bounded (60..604800), not {max_age}"
    retention = stack.cfn.get("Parameters", {}).get("RetentionPeriodHours", {})
    shortest_retention = int(retention.get("MinValue", 0)) * 3600
    invoke_config = only(resources(stack.nested, "AWS::Lambda::EventInvokeConfig"), "invoke config for hydrate")
    queued = invoke_config.get("MaximumEventAgeInSeconds", 21_600)
    assert max_age + queued < shortest_retention, (
        f"a range may wait {max_age} s (record age) + {queued} s (hydrate's async queue), "
        f"which must stay under the shortest retention ({shortest_retention} s)"
    )


def table_mapping_fails_like_the_stream_mapping(stack: Stack) -> None:
    """The table's stream has a mapping with the Kinesis mapping's failure settings
    (partial batch responses, bisect, bounded retries and record age, OnFailure
    to the same topic), on a NEW_AND_OLD_IMAGES stream, so a poison item is
    hydrated with both images."""
    stream_mapping = event_source_mapping(stack.cfn)
    mapping = table_mapping(stack.cfn)
    for setting in FAILURE_SETTINGS:
        assert mapping.get(setting) == stream_mapping.get(setting), (
            f"the table mapping's {setting} must be the stream mapping's "
            f"({stream_mapping.get(setting)!r}), not {mapping.get(setting)!r}"
        )
    view = properties(stack.cfn, TABLE).get("StreamSpecification", {}).get("StreamViewType")
    assert view == "NEW_AND_OLD_IMAGES", f"the table's stream must be NEW_AND_OLD_IMAGES, not {view!r}"


def hydrate_is_subscribed_to_failure_topic(stack: Stack) -> None:
    """SNS invokes hydrate for every OnFailure record, and redrives what it cannot deliver."""
    assert_subscribed(stack.nested, TOPIC)


def hydrate_knows_its_queue_and_allowed_stream(stack: Stack) -> None:
    """Hydrate writes to its DLQ and reads only the demo's stream."""
    variables = properties(stack.nested, HYDRATE).get("Environment", {}).get("Variables", {})
    assert name(variables.get("DLQ_URL")) == DLQ, f"DLQ_URL must be {DLQ}'s URL"
    allowed = joined(variables.get("ALLOWED_STREAM_ARNS"))
    expected = [f"{STREAM}.Arn", f"{TABLE}.StreamArn"]
    assert allowed == expected, f"ALLOWED_STREAM_ARNS must be {expected}, not {allowed}"


def hydrate_failures_land_in_failure_queue(stack: Stack) -> None:
    """A hydration that keeps failing is retried twice, then kept, never dropped."""
    configs = {
        logical_id: resource
        for logical_id, resource in resources(stack.nested, "AWS::Lambda::EventInvokeConfig").items()
        if name(resource["Properties"].get("FunctionName")) == HYDRATE
    }
    config = only(configs, "invoke config for hydrate")
    assert config.get("MaximumRetryAttempts") == 2, "hydrate must be retried twice"
    destination = config.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
    assert name(destination) == f"{FAILURE_QUEUE}.Arn", f"hydrate's OnFailure must be {FAILURE_QUEUE}"


def hydrate_timeout_fits_largest_range(stack: Stack) -> None:
    """Hydrate has time to re-read a 10,000-record range at the shard's limits."""
    timeout = properties(stack.nested, HYDRATE).get("Timeout", 3)
    assert 2 * HYDRATION_WORST_CASE_SECONDS <= timeout <= LAMBDA_MAX_TIMEOUT_SECONDS, (
        f"hydrate's Timeout ({timeout} s) must be at least twice the worst case "
        f"({HYDRATION_WORST_CASE_SECONDS} s) and at most {LAMBDA_MAX_TIMEOUT_SECONDS} s"
    )


def stream_and_topic_are_encrypted_with_rotating_key(stack: Stack) -> None:
    """Records at rest in the stream and the topic are under the stack's one KMS key."""
    key = properties(stack.cfn, DATA_KEY)
    assert key.get("EnableKeyRotation") is True, "the data key must rotate"
    encryption = properties(stack.cfn, STREAM).get("StreamEncryption", {})
    assert encryption.get("EncryptionType") == "KMS", "the stream must be KMS-encrypted"
    assert name(encryption.get("KeyId")) == DATA_KEY, f"the stream must use {DATA_KEY}"
    topic_key = name(properties(stack.nested, TOPIC).get("KmsMasterKeyId"))
    assert topic_key == f"{DATA_KEY}.Arn", f"the topic must use {DATA_KEY}, not {topic_key}"
    assert HYDRATOR_KEY not in stack.nested["Resources"], f"the demo's hydrator must use {DATA_KEY}, not a key of its own"


def queues_are_encrypted(stack: Stack) -> None:
    """Every queue is encrypted; the DLQ, which holds payloads, with the data key."""
    queues = resources(stack.nested, "AWS::SQS::Queue")
    assert {DLQ, FAILURE_QUEUE} <= set(queues), "both queues must exist"
    for logical_id, queue in queues.items():
        queue_properties = queue.get("Properties", {})
        encrypted = "KmsMasterKeyId" in queue_properties or queue_properties.get("SqsManagedSseEnabled") is True
        assert encrypted, f"{logical_id} must be encrypted at rest"
    dlq_key = name(properties(stack.nested, DLQ).get("KmsMasterKeyId"))
    assert dlq_key == f"{DATA_KEY}.Arn", f"{DLQ} must use {DATA_KEY}, not {dlq_key}"


def queues_and_topic_refuse_plain_http(stack: Stack) -> None:
    """Each queue and the topic deny every request that is not over TLS."""
    for scenario in SCENARIOS:
        assert_tls_only(stack.standalone(scenario))
    assert_tls_only(stack.nested)


def dead_letter_queue_keeps_14_days_of_1_mib_messages(stack: Stack) -> None:
    """The SQS maxima: two weeks to replay, and as few parts per failure as possible."""
    for queue in (DLQ, FAILURE_QUEUE):
        queue_properties = properties(stack.nested, queue)
        assert queue_properties.get("MessageRetentionPeriod") == 1_209_600, f"{queue} must keep messages 14 days"
        assert queue_properties.get("MaximumMessageSize") == 1_048_576, f"{queue} must accept 1 MiB messages"


def no_wildcard_permissions(stack: Stack) -> None:
    """No role of either stack is granted `*` actions or resources, nor an AWS managed policy."""
    for template in (stack.cfn, stack.hydrator_cfn):
        for role_id, role in resources(template, "AWS::IAM::Role").items():
            managed = role["Properties"].get("ManagedPolicyArns", [])
            assert not managed, f"{role_id} must not attach managed policies: {[name(arn) for arn in managed]}"
        for policy_type in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for policy_id in resources(template, policy_type):
                raise AssertionError(f"{policy_id}: permissions belong inline in the function roles")
    deployments = [stack.cfn, stack.nested, *(stack.standalone(scenario) for scenario in SCENARIOS)]
    for template in deployments:
        for role_id in resources(template, "AWS::IAM::Role"):
            for action, resource, _condition in grants(template, role_id):
                assert "*" not in action, f"{role_id} must not be granted wildcard action {action}"
                assert resource != "*", f"{role_id} must not be granted {action} on every resource"


def hydrate_role_has_exactly_its_permissions(stack: Stack) -> None:
    """In the demo, hydrate re-reads the demo's stream and table stream and writes its queues, nothing else."""
    expected = stream_reads(f"{STREAM}.Arn") | stream_reads(f"{TABLE}.StreamArn") | grant_set(
        ("kms:Decrypt", f"{DATA_KEY}.Arn", via("kinesis", "dynamodb", "sqs", "s3")),
        ("sqs:SendMessage", f"{DLQ}.Arn", ()),
        ("kms:Decrypt", f"{DATA_KEY}.Arn", via("sqs")),
        ("kms:GenerateDataKey", f"{DATA_KEY}.Arn", via("sqs")),
        ("sqs:SendMessage", f"{FAILURE_QUEUE}.Arn", ()),
        ("logs:CreateLogStream", "HydrateLogGroup.Arn", ()),
        ("logs:PutLogEvents", "HydrateLogGroup.Arn", ()),
    )
    assert_grants(stack.nested, "HydrateRole", expected)


def processor_role_has_exactly_its_permissions(stack: Stack) -> None:
    """The processor's role holds only what its mapping and OnFailure destination use."""
    expected = grant_set(
        ("kinesis:DescribeStream", f"{STREAM}.Arn", ()),
        ("kinesis:DescribeStreamSummary", f"{STREAM}.Arn", ()),
        ("kinesis:GetRecords", f"{STREAM}.Arn", ()),
        ("kinesis:GetShardIterator", f"{STREAM}.Arn", ()),
        ("kinesis:ListShards", f"{STREAM}.Arn", ()),
        ("kms:Decrypt", f"{DATA_KEY}.Arn", via("kinesis")),
        ("sns:Publish", f"{HYDRATOR}.Outputs.TopicArn", ()),
        ("kms:Decrypt", f"{DATA_KEY}.Arn", via("sns")),
        ("kms:GenerateDataKey", f"{DATA_KEY}.Arn", via("sns")),
        ("logs:CreateLogStream", "ProcessorLogGroup.Arn", ()),
        ("logs:PutLogEvents", "ProcessorLogGroup.Arn", ()),
    )
    assert_grants(stack.cfn, "ProcessorRole", expected)


def functions_run_as_their_own_roles(stack: Stack) -> None:
    """Each function has its own role, assumable by Lambda alone."""
    for template, own_roles in (
        (stack.cfn, {PROCESSOR: "ProcessorRole", TABLE_PROCESSOR: "TableProcessorRole"}),
        (stack.hydrator_cfn, {HYDRATE: "HydrateRole"}),
    ):
        functions = resources(template, "AWS::Lambda::Function")
        assert set(functions) == set(own_roles), f"unexpected functions: {sorted(functions)}"
        roles = resources(template, "AWS::IAM::Role")
        assert set(roles) == set(own_roles.values()), f"unexpected roles: {sorted(roles)}"
        for function, role in own_roles.items():
            assert name(properties(template, function).get("Role")) == f"{role}.Arn", f"{function} must use {role}"
            for statement in as_list(roles[role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]):
                assert statement.get("Principal") == {"Service": "lambda.amazonaws.com"}, (
                    f"{role} may be assumed by Lambda only"
                )


def functions_are_rust_on_arm64_with_json_logs(stack: Stack) -> None:
    """Every function builds with cargo-lambda for arm64 and logs JSON."""
    for sam, cfn, function, crate, binary in (
        (stack.sam, stack.cfn, PROCESSOR, "processor", "processor"),
        (stack.sam, stack.cfn, TABLE_PROCESSOR, "processor", "table-processor"),
        (stack.hydrator_sam, stack.hydrator_cfn, HYDRATE, "hydrate", "hydrate"),
    ):
        resource = sam["Resources"][function]
        metadata = resource.get("Metadata", {})
        assert metadata.get("BuildMethod") == "rust-cargolambda", f"{function} must build with cargo-lambda"
        assert metadata.get("BuildProperties", {}).get("Binary") == binary, f"{function} must build {binary}"
        assert resource["Properties"].get("CodeUri") == f"../crates/{crate}", f"{function} must build crates/{crate}"
        function_properties = properties(cfn, function)
        assert function_properties.get("Runtime") == "provided.al2023", f"{function} must run on provided.al2023"
        assert function_properties.get("Architectures") == ["arm64"], f"{function} must run on arm64"
        assert function_properties.get("Handler") == "bootstrap", f"{function}'s handler must be bootstrap"
        assert function_properties.get("LoggingConfig", {}).get("LogFormat") == "JSON", f"{function} must log JSON"


def all_alarms(stack: Stack) -> dict[str, dict[str, Any]]:
    """The demo's alarms and its hydrator's, by logical id."""
    return {**resources(stack.cfn, "AWS::CloudWatch::Alarm"), **resources(stack.nested, "AWS::CloudWatch::Alarm")}


def alarms_watch_every_failure_path(stack: Stack) -> None:
    """Records in either queue, processor lag and hydrate errors each raise an alarm."""
    watched = set()
    for alarm in all_alarms(stack).values():
        alarm_properties = alarm["Properties"]
        if alarm_properties.get("ComparisonOperator") != "GreaterThanThreshold":
            continue
        dimensions = tuple(sorted((d["Name"], name(d["Value"])) for d in alarm_properties.get("Dimensions", [])))
        watched.add((alarm_properties.get("Namespace"), alarm_properties.get("MetricName"), dimensions))
    expected = {
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", (("QueueName", f"{DLQ}.QueueName"),)),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", (("QueueName", f"{FAILURE_QUEUE}.QueueName"),)),
        ("AWS/Lambda", "IteratorAge", (("FunctionName", PROCESSOR),)),
        ("AWS/Lambda", "Errors", (("FunctionName", HYDRATE),)),
    }
    missing = expected - watched
    assert not missing, f"alarms missing for: {sorted(missing)}"


def emitted_metric_names() -> set[str]:
    """The metric names declared in crates/core/src/metrics.rs."""
    source = EMF_SOURCE.read_text(encoding="utf-8")
    return set(re.findall(r'^pub const [A-Z_]+: &str = "([A-Za-z]+)";', source, re.MULTILINE))


def alarms_watch_the_metrics_they_name(stack: Stack) -> None:
    """Each alarm watches exactly its metric, dimensions, statistic and direction.

    An alarm on a misspelt metric or a dimension the metric never has stays
    in INSUFFICIENT_DATA (missing data is not breaching) and never fires. The
    retention margin alarm's query must name the metric and dimension the
    hydrate function emits, by the names declared in crates/core/src/metrics.rs.
    """
    alarms = all_alarms(stack)
    expected_ids = {*ALARMS, RETENTION_MARGIN_ALARM}
    assert set(alarms) == expected_ids, f"alarms differ: {sorted(set(alarms) ^ expected_ids)}"
    for alarm_id, (namespace, metric, dimensions, statistic, comparison) in ALARMS.items():
        alarm = alarms[alarm_id]["Properties"]
        watched = (
            alarm.get("Namespace"),
            alarm.get("MetricName"),
            tuple(sorted((d["Name"], name(d["Value"])) for d in alarm.get("Dimensions", []))),
            alarm.get("Statistic"),
            alarm.get("ComparisonOperator"),
        )
        assert watched == (namespace, metric, dimensions, statistic, comparison), (
            f"{alarm_id} watches {watched}, not {(namespace, metric, dimensions, statistic, comparison)}"
        )
    margin = alarms[RETENTION_MARGIN_ALARM]["Properties"]
    queries = [query for query in margin.get("Metrics", []) if query.get("ReturnData", True)]
    expressions = [query.get("Expression") for query in queries]
    assert expressions == [RETENTION_MARGIN_QUERY], (
        f"{RETENTION_MARGIN_ALARM} must query {RETENTION_MARGIN_QUERY!r}, not {expressions}"
    )
    assert margin.get("ComparisonOperator") == "LessThanThreshold", f"{RETENTION_MARGIN_ALARM} must trip on small margins"
    emitted = emitted_metric_names()
    assert {"streamdlq", "RetentionMargin", "StreamName"} <= emitted, (
        f"{RETENTION_MARGIN_ALARM} queries what hydrate no longer emits ({sorted(emitted)})"
    )


def retention_margin_alarm_uses_its_parameter(stack: Stack) -> None:
    """The near-miss threshold is the RetentionMarginAlarmSeconds parameter, passed through."""
    threshold = properties(stack.nested, RETENTION_MARGIN_ALARM).get("Threshold")
    assert name(threshold) == "RetentionMarginAlarmSeconds", f"threshold must be the parameter, not {threshold!r}"
    dlq_age = properties(stack.nested, "DeadLetterQueueAgeAlarm").get("Threshold")
    retention = properties(stack.nested, DLQ).get("MessageRetentionPeriod")
    assert isinstance(dlq_age, int) and 0 < dlq_age < retention, (
        f"the DLQ age alarm ({dlq_age} s) must trip before SQS retention ({retention} s) deletes"
    )


def dashboard_shows_every_alarmed_metric(stack: Stack) -> None:
    """The dashboard graphs every metric an alarm watches, with the same dimensions."""
    dashboards = resources(stack.cfn, "AWS::CloudWatch::Dashboard")
    body = only(dashboards, "dashboard").get("DashboardBody")
    text = body.get("Fn::Sub") if isinstance(body, dict) else body
    assert isinstance(text, str), "DashboardBody must be a Fn::Sub string"

    # `${Id}` and `${Id.Attribute}` become the names ALARMS uses, through the
    # hydrator's outputs for `${Hydrator.Outputs.X}`; the one unquoted
    # substitution, the threshold annotation, becomes a number.
    def substitute(match: re.Match[str]) -> str:
        if match.group(1) == "RetentionMarginAlarmSeconds":
            return "0"
        return through_hydrator(stack, match.group(1))

    document = json.loads(re.sub(r"\$\{([A-Za-z0-9:.]+)\}", substitute, text))
    graphed = set()
    for widget in document["widgets"]:
        for line in widget.get("properties", {}).get("metrics", []):
            fields = [field for field in line if isinstance(field, str)]
            namespace, metric, rest = fields[0], fields[1], fields[2:]
            graphed.add((namespace, metric, tuple(sorted(zip(rest[::2], rest[1::2], strict=True)))))
    for alarm_id, (namespace, metric, dimensions, _statistic, _comparison) in ALARMS.items():
        assert (namespace, metric, dimensions) in graphed, f"the dashboard must graph {alarm_id}'s metric {metric}"
    margin = ("streamdlq", "RetentionMargin", (("StreamName", STREAM),))
    assert margin in graphed, "the dashboard must graph the stream's RetentionMargin"


def outputs_name_everything_the_cli_needs(stack: Stack) -> None:
    """The CLI finds every stream, topic, queue and function in the demo's outputs."""
    outputs = {key: output.get("Value") for key, output in stack.cfn.get("Outputs", {}).items()}
    for key, value in CLI_OUTPUTS.items():
        assert key in outputs, f"output {key} is missing"
        assert outputs[key] == value, f"output {key} must be {name(value)}, not {name(outputs[key])}"
    for key, hydrator_key, target in REEXPORTED_OUTPUTS:
        assert key in outputs, f"output {key} is missing"
        exported = name(outputs[key])
        assert exported == f"{HYDRATOR}.Outputs.{hydrator_key}", (
            f"output {key} must re-export {HYDRATOR}.Outputs.{hydrator_key}, not {exported}"
        )
        assert nested_output(stack, hydrator_key) == target, f"the hydrator's {hydrator_key} must be {target}"
    assert f"{PROCESSOR}Kinesis" in resources(stack.cfn, "AWS::Lambda::EventSourceMapping"), (
        "ProcessorEventSourceMappingId must name the generated mapping"
    )


def demo_passes_the_hydrator_what_it_needs(stack: Stack) -> None:
    """The nested hydrator reads the demo's stream, creates the topic and shares the key."""
    nested = properties(stack.cfn, HYDRATOR)
    assert nested.get("TemplateURL") == "hydrator.yaml" or str(nested.get("TemplateURL", "")).endswith(
        "/hydrator.yaml"
    ), f"{HYDRATOR} must nest hydrator.yaml, not {nested.get('TemplateURL')!r}"
    expected = {
        "AllowedStreamArns": [f"{STREAM}.Arn", f"{TABLE}.StreamArn"],
        "FailureSource": "CreateTopic",
        "DataKeyArn": f"{DATA_KEY}.Arn",
        "SourceKeyArns": [f"{DATA_KEY}.Arn"],
        "AlarmTopicArn": "AlarmTopicArn",
        "RetentionMarginAlarmSeconds": "RetentionMarginAlarmSeconds",
    }
    assert stack.passed == expected, f"{HYDRATOR} is given {stack.passed}, not {expected}"


# --- the hydrator, standalone -------------------------------------------------

# What each failure source adds to the role, beyond reading the allowed
# streams and writing the queues and logs.
SOURCE_GRANTS: dict[str, set[Any]] = {
    "CreateTopic": set(),
    "ExistingTopic": set(),
    "ExistingQueue": grant_set(
        ("sqs:ReceiveMessage", EXISTING_QUEUE, ()),
        ("sqs:DeleteMessage", EXISTING_QUEUE, ()),
        ("sqs:GetQueueAttributes", EXISTING_QUEUE, ()),
    ),
    "ExistingBucket": grant_set(("s3:GetObject", BUCKET_OBJECTS, ())),
}


def expected_hydrator_grants(scenario: str) -> set[Any]:
    """Exactly what the hydrate role may do in one standalone deployment."""
    parameters = SCENARIOS[scenario]
    data_key = str(parameters.get("DataKeyArn", f"{HYDRATOR_KEY}.Arn"))
    expected = set(SOURCE_GRANTS[scenario])
    for stream in parameters["AllowedStreamArns"]:
        expected |= stream_reads(stream)
    for key in parameters.get("SourceKeyArns", []):
        expected |= grant_set(("kms:Decrypt", key, via("kinesis", "dynamodb", "sqs", "s3")))
    return expected | grant_set(
        ("sqs:SendMessage", f"{DLQ}.Arn", ()),
        ("kms:Decrypt", data_key, via("sqs")),
        ("kms:GenerateDataKey", data_key, via("sqs")),
        ("sqs:SendMessage", f"{FAILURE_QUEUE}.Arn", ()),
        ("logs:CreateLogStream", "HydrateLogGroup.Arn", ()),
        ("logs:PutLogEvents", "HydrateLogGroup.Arn", ()),
    )


def hydrator_role_has_exactly_each_sources_permissions(stack: Stack) -> None:
    """For every failure source, the hydrate role holds exactly what that source needs."""
    for scenario in SCENARIOS:
        assert_grants(stack.standalone(scenario), "HydrateRole", expected_hydrator_grants(scenario), scenario)


STREAM_READS = {
    "kinesis:getsharditerator", "kinesis:getrecords", "kinesis:describestreamsummary",
    "dynamodb:getsharditerator", "dynamodb:getrecords", "dynamodb:describestream",
}
QUEUE_CONSUMPTION = {"sqs:receivemessage", "sqs:deletemessage", "sqs:getqueueattributes"}


def hydrator_reads_only_allowed_sources_and_writes_only_its_queues(stack: Stack) -> None:
    """What the must-show asks, for every failure source: the role reads only the
    allowed streams (and the bucket's failed-event objects, the queue it
    consumes, when given) and writes only its DLQ (and its own failure queue,
    which Lambda writes with the function's role, and its logs)."""
    for scenario, parameters in SCENARIOS.items():
        template = stack.standalone(scenario)
        streams = set(parameters["AllowedStreamArns"])
        bucket = {BUCKET_OBJECTS} if parameters.get("FailureSource") == "ExistingBucket" else set()
        queue = {EXISTING_QUEUE} if parameters.get("FailureSource") == "ExistingQueue" else set()
        data_key = str(parameters.get("DataKeyArn", f"{HYDRATOR_KEY}.Arn"))
        source_keys = set(parameters.get("SourceKeyArns", []))
        for action, resource, condition in grants(template, "HydrateRole"):
            where = f"{scenario}: HydrateRole grants {action} on {resource}"
            if action in STREAM_READS:
                assert resource in streams, f"{where}, which is not an allowed stream"
            elif action == "s3:getobject":
                assert resource in bucket, f"{where}, which is not the failed-event bucket's aws/lambda/ objects"
            elif action in QUEUE_CONSUMPTION:
                assert resource in queue, f"{where}, which is not the consumed failure queue"
            elif action == "sqs:sendmessage":
                assert resource in {f"{DLQ}.Arn", f"{FAILURE_QUEUE}.Arn"}, f"{where}: it writes only its own queues"
            elif action in {"logs:createlogstream", "logs:putlogevents"}:
                assert resource == "HydrateLogGroup.Arn", f"{where}: it writes only its own log group"
            elif action == "kms:generatedatakey":
                assert (resource, condition) == (data_key, via("sqs")), f"{where}: it encrypts only DLQ messages"
            elif action == "kms:decrypt":
                assert (resource, condition) == (data_key, via("sqs")) or resource in source_keys, (
                    f"{where}: it decrypts only with its data key and the given source keys"
                )
            else:
                raise AssertionError(f"{where}, which hydration never needs")


def hydrator_receives_failures_from_its_source(stack: Stack) -> None:
    """Each failure source is wired to hydrate, and only that one."""
    for scenario in SCENARIOS:
        template = stack.standalone(scenario)
        topics = resources(template, "AWS::SNS::Topic")
        mappings = resources(template, "AWS::Lambda::EventSourceMapping")
        s3_permissions = [
            permission["Properties"]
            for permission in resources(template, "AWS::Lambda::Permission").values()
            if permission["Properties"].get("Principal") == "s3.amazonaws.com"
        ]
        if scenario == "CreateTopic":
            assert set(topics) == {TOPIC}, f"{scenario}: the hydrator must create {TOPIC}"
            assert_subscribed(template, TOPIC)
        elif scenario == "ExistingTopic":
            assert not topics, f"{scenario}: no topic of its own"
            assert_subscribed(template, EXISTING_TOPIC)
        else:
            assert not topics, f"{scenario}: no topic"
            assert not resources(template, "AWS::SNS::Subscription"), f"{scenario}: no subscription"
        if scenario == "ExistingQueue":
            mapping = only(mappings, f"{scenario}: mapping of the failure queue")
            assert name(mapping.get("EventSourceArn")) == EXISTING_QUEUE, f"{scenario}: must consume {EXISTING_QUEUE}"
            assert name(mapping.get("FunctionName")) == HYDRATE, f"{scenario}: the mapping must invoke hydrate"
            assert mapping.get("FunctionResponseTypes") == ["ReportBatchItemFailures"], (
                f"{scenario}: one failed message must not return the others (ReportBatchItemFailures)"
            )
        else:
            assert not mappings, f"{scenario}: no event source mapping"
        if scenario == "ExistingBucket":
            assert len(s3_permissions) == 1, f"{scenario}: S3 must be allowed to invoke hydrate"
            (permission,) = s3_permissions
            assert name(permission.get("FunctionName")) == HYDRATE, f"{scenario}: S3 may invoke hydrate"
            assert name(permission.get("SourceArn")) == f"arn:${{AWS::Partition}}:s3:::{EXISTING_BUCKET}", (
                f"{scenario}: S3 may invoke hydrate for {EXISTING_BUCKET} only"
            )
            assert name(permission.get("SourceAccount")) == "AWS::AccountId", (
                f"{scenario}: only this account's bucket of that name (bucket ARNs carry no account)"
            )
        else:
            assert not s3_permissions, f"{scenario}: S3 may not invoke hydrate"


def hydrator_refuses_a_source_without_its_name(stack: Stack) -> None:
    """ExistingTopic, ExistingQueue and ExistingBucket each need their value, before deploy."""
    rules = stack.hydrator_cfn.get("Rules", {})
    for source, parameter in (
        ("ExistingTopic", "ExistingTopicArn"),
        ("ExistingQueue", "ExistingQueueArn"),
        ("ExistingBucket", "ExistingBucketName"),
    ):
        needs_value = {"Fn::Not": [{"Fn::Equals": [{"Ref": parameter}, ""]}]}
        assert any(
            rule.get("RuleCondition") == {"Fn::Equals": [{"Ref": "FailureSource"}, source]}
            and any(assertion.get("Assert") == needs_value for assertion in rule.get("Assertions", []))
            for rule in rules.values()
        ), f"a rule must refuse FailureSource {source} without {parameter}"
    allowlist = stack.hydrator_cfn["Parameters"].get("AllowedStreamArns", {})
    assert allowlist.get("Type") == "CommaDelimitedList" and "Default" not in allowlist, (
        "AllowedStreamArns must be a required list: no default allowlist"
    )


def hydrator_outputs_what_operators_need(stack: Stack) -> None:
    """The topic to name in a mapping (when created), the DLQ and the function."""
    for scenario in SCENARIOS:
        outputs = {key: name(output["Value"]) for key, output in stack.standalone(scenario)["Outputs"].items()}
        expected = {
            "DlqUrl": DLQ,
            "DlqArn": f"{DLQ}.Arn",
            "HydrateFunctionName": HYDRATE,
            "HydrateFunctionArn": f"{HYDRATE}.Arn",
        }
        if scenario == "CreateTopic":
            expected["TopicArn"] = TOPIC
        for key, value in expected.items():
            assert outputs.get(key) == value, f"{scenario}: output {key} must be {value}, not {outputs.get(key)}"
        if scenario != "CreateTopic":
            assert "TopicArn" not in outputs, f"{scenario}: no TopicArn output without a created topic"


CHECKS: list[Check] = [
    processor_bisects_failed_batches,
    processor_reports_batch_item_failures,
    table_mapping_fails_like_the_stream_mapping,
    mapping_sends_exhausted_batches_to_failure_topic,
    mapping_reads_from_trim_horizon_in_order,
    mapping_gives_up_while_the_stream_still_holds_the_range,
    hydrate_is_subscribed_to_failure_topic,
    hydrate_knows_its_queue_and_allowed_stream,
    hydrate_failures_land_in_failure_queue,
    hydrate_timeout_fits_largest_range,
    stream_and_topic_are_encrypted_with_rotating_key,
    queues_are_encrypted,
    queues_and_topic_refuse_plain_http,
    dead_letter_queue_keeps_14_days_of_1_mib_messages,
    no_wildcard_permissions,
    hydrate_role_has_exactly_its_permissions,
    processor_role_has_exactly_its_permissions,
    functions_run_as_their_own_roles,
    functions_are_rust_on_arm64_with_json_logs,
    alarms_watch_every_failure_path,
    alarms_watch_the_metrics_they_name,
    retention_margin_alarm_uses_its_parameter,
    dashboard_shows_every_alarmed_metric,
    outputs_name_everything_the_cli_needs,
    demo_passes_the_hydrator_what_it_needs,
    hydrator_role_has_exactly_each_sources_permissions,
    hydrator_reads_only_allowed_sources_and_writes_only_its_queues,
    hydrator_receives_failures_from_its_source,
    hydrator_refuses_a_source_without_its_name,
    hydrator_outputs_what_operators_need,
]
