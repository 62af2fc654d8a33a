"""What infra/template.yaml must keep true, as checks over the stack.

Each check takes the SAM template and its CloudFormation translation, and
raises AssertionError naming what was lost. Most look at the translation: the
event source mapping, subscription and invoke config exist only there, exactly
as CloudFormation will create them. `CHECKS` lists them all; the tests run
every check on the real template and prove each one can fail.
"""

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

Template = dict[str, Any]
Check = Callable[[Template, Template], None]

# Logical ids the local stack and the CLI depend on.
STREAM = "Stream"
DATA_KEY = "DataKey"
TOPIC = "FailureTopic"
DLQ = "DeadLetterQueue"
FAILURE_QUEUE = "HydrateFailureQueue"
PROCESSOR = "ProcessorFunction"
HYDRATE = "HydrateFunction"

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

# Every alarm: the metric it watches, and which way it trips.
# (namespace, metric, dimensions, statistic, comparison)
ALARMS = {
    "RetentionMarginAlarm": (
        "streamdlq", "RetentionMargin", (("StreamName", STREAM),), "Minimum", "LessThanThreshold",
    ),
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

CLI_OUTPUTS = {
    "StreamName": {"Ref": STREAM},
    "StreamArn": {"Fn::GetAtt": [STREAM, "Arn"]},
    "TopicArn": {"Ref": TOPIC},
    "DlqUrl": {"Ref": DLQ},
    "DlqArn": {"Fn::GetAtt": [DLQ, "Arn"]},
    "HydrateFailureQueueUrl": {"Ref": FAILURE_QUEUE},
    "HydrateFailureQueueArn": {"Fn::GetAtt": [FAILURE_QUEUE, "Arn"]},
    "ProcessorFunctionName": {"Ref": PROCESSOR},
    "ProcessorFunctionArn": {"Fn::GetAtt": [PROCESSOR, "Arn"]},
    "ProcessorEventSourceMappingId": {"Ref": f"{PROCESSOR}Kinesis"},
    "HydrateFunctionName": {"Ref": HYDRATE},
    "HydrateFunctionArn": {"Fn::GetAtt": [HYDRATE, "Arn"]},
    "DataKeyArn": {"Fn::GetAtt": [DATA_KEY, "Arn"]},
}


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


def event_source_mapping(cfn: Template) -> dict[str, Any]:
    """The processor's Kinesis event source mapping, as CloudFormation gets it."""
    mappings = {
        logical_id: resource
        for logical_id, resource in resources(cfn, "AWS::Lambda::EventSourceMapping").items()
        if name(resource["Properties"].get("FunctionName")) == PROCESSOR
    }
    mapping = only(mappings, f"event source mapping for {PROCESSOR}")
    assert name(mapping.get("EventSourceArn")) == f"{STREAM}.Arn", "the mapping must read Stream"
    return mapping


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


def via(service: str) -> tuple[tuple[str, str, str], ...]:
    """The condition that limits a KMS grant to use through one AWS service."""
    return (("StringEquals", "kms:ViaService", f"{service}.${{AWS::Region}}.amazonaws.com"),)


def grant_set(*entries: tuple[str, str, tuple[tuple[str, str, str], ...]]) -> set[Any]:
    return {(action.lower(), resource, condition) for action, resource, condition in entries}


def show(granted: set[Any]) -> str:
    """One grant per line, condition included, for assertion messages."""
    lines = [f"{action} on {resource}" + (f" if {list(condition)}" if condition else "") for action, resource, condition in granted]
    return "\n  ".join(sorted(lines)) or "(none)"


# --- the checks -------------------------------------------------------------


def processor_bisects_failed_batches(sam: Template, cfn: Template) -> None:
    """A function error splits the batch, so one poison record fails alone."""
    assert event_source_mapping(cfn).get("BisectBatchOnFunctionError") is True, (
        "BisectBatchOnFunctionError must be true"
    )


def processor_reports_batch_item_failures(sam: Template, cfn: Template) -> None:
    """Partial batch responses are honoured (the mapping ignores them otherwise)."""
    types = event_source_mapping(cfn).get("FunctionResponseTypes")
    assert types == ["ReportBatchItemFailures"], (
        f"FunctionResponseTypes must be ['ReportBatchItemFailures'], not {types!r}"
    )


def mapping_sends_exhausted_batches_to_failure_topic(sam: Template, cfn: Template) -> None:
    """Batches the mapping gives up on reach the topic that hydrate listens to."""
    destination = event_source_mapping(cfn).get("DestinationConfig", {}).get("OnFailure", {})
    assert name(destination.get("Destination")) == TOPIC, (
        f"OnFailure must go to {TOPIC}, not {destination.get('Destination')!r}"
    )
    assert TOPIC in resources(cfn, "AWS::SNS::Topic"), f"{TOPIC} must be an SNS topic"


def mapping_reads_from_trim_horizon_in_order(sam: Template, cfn: Template) -> None:
    """A new mapping skips nothing, and each shard has one batch in flight."""
    mapping = event_source_mapping(cfn)
    assert mapping.get("StartingPosition") == "TRIM_HORIZON", "StartingPosition must be TRIM_HORIZON"
    assert mapping.get("ParallelizationFactor", 1) == 1, "ParallelizationFactor must be 1 (ordered)"
    assert 1 <= mapping.get("BatchSize", 100) <= 10_000, "BatchSize must be 1..10000"


def mapping_gives_up_while_the_stream_still_holds_the_range(sam: Template, cfn: Template) -> None:
    """Retries and record age are bounded well inside the stream's retention.

    Otherwise a poison record blocks its shard until the stream trims it, and
    the range is gone before hydration can read it.
    """
    mapping = event_source_mapping(cfn)
    retries = mapping.get("MaximumRetryAttempts", -1)
    assert 0 <= retries <= 10_000, f"MaximumRetryAttempts must be bounded (0..10000), not {retries}"
    max_age = mapping.get("MaximumRecordAgeInSeconds", -1)
    assert 60 <= max_age <= 604_800, f"MaximumRecordAgeInSeconds must be bounded (60..604800), not {max_age}"
    retention = cfn.get("Parameters", {}).get("RetentionPeriodHours", {})
    shortest_retention = int(retention.get("MinValue", 0)) * 3600
    invoke_config = only(resources(cfn, "AWS::Lambda::EventInvokeConfig"), "invoke config for hydrate")
    queued = invoke_config.get("MaximumEventAgeInSeconds", 21_600)
    assert max_age + queued < shortest_retention, (
        f"a range may wait {max_age} s (record age) + {queued} s (hydrate's async queue), "
        f"which must stay under the shortest retention ({shortest_retention} s)"
    )


def hydrate_is_subscribed_to_failure_topic(sam: Template, cfn: Template) -> None:
    """SNS invokes hydrate for every OnFailure record, and redrives what it cannot deliver."""
    subscriptions = {
        logical_id: resource
        for logical_id, resource in resources(cfn, "AWS::SNS::Subscription").items()
        if name(resource["Properties"].get("TopicArn")) == TOPIC
    }
    subscription = only(subscriptions, f"subscription to {TOPIC}")
    assert subscription.get("Protocol") == "lambda", "the subscription must invoke a function"
    assert name(subscription.get("Endpoint")) == f"{HYDRATE}.Arn", "the subscription must invoke hydrate"
    redrive = subscription.get("RedrivePolicy", {}).get("deadLetterTargetArn")
    assert name(redrive) == f"{FAILURE_QUEUE}.Arn", f"undeliverable records must go to {FAILURE_QUEUE}"
    permissions = [
        permission["Properties"]
        for permission in resources(cfn, "AWS::Lambda::Permission").values()
        if name(permission["Properties"].get("FunctionName")) == HYDRATE
    ]
    assert any(
        permission.get("Principal") == "sns.amazonaws.com" and name(permission.get("SourceArn")) == TOPIC
        for permission in permissions
    ), f"SNS may invoke hydrate only for {TOPIC}"


def hydrate_knows_its_queue_and_allowed_stream(sam: Template, cfn: Template) -> None:
    """Hydrate writes to this stack's DLQ and reads only this stack's stream."""
    variables = properties(cfn, HYDRATE).get("Environment", {}).get("Variables", {})
    assert name(variables.get("DLQ_URL")) == DLQ, f"DLQ_URL must be {DLQ}'s URL"
    assert name(variables.get("ALLOWED_STREAM_ARNS")) == f"{STREAM}.Arn", "ALLOWED_STREAM_ARNS must be Stream's ARN"


def hydrate_failures_land_in_failure_queue(sam: Template, cfn: Template) -> None:
    """A hydration that keeps failing is retried twice, then kept, never dropped."""
    configs = {
        logical_id: resource
        for logical_id, resource in resources(cfn, "AWS::Lambda::EventInvokeConfig").items()
        if name(resource["Properties"].get("FunctionName")) == HYDRATE
    }
    config = only(configs, "invoke config for hydrate")
    assert config.get("MaximumRetryAttempts") == 2, "hydrate must be retried twice"
    destination = config.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
    assert name(destination) == f"{FAILURE_QUEUE}.Arn", f"hydrate's OnFailure must be {FAILURE_QUEUE}"


def hydrate_timeout_fits_largest_range(sam: Template, cfn: Template) -> None:
    """Hydrate has time to re-read a 10,000-record range at the shard's limits."""
    timeout = properties(cfn, HYDRATE).get("Timeout", 3)
    assert 2 * HYDRATION_WORST_CASE_SECONDS <= timeout <= LAMBDA_MAX_TIMEOUT_SECONDS, (
        f"hydrate's Timeout ({timeout} s) must be at least twice the worst case "
        f"({HYDRATION_WORST_CASE_SECONDS} s) and at most {LAMBDA_MAX_TIMEOUT_SECONDS} s"
    )


def stream_and_topic_are_encrypted_with_rotating_key(sam: Template, cfn: Template) -> None:
    """Records at rest in the stream and the topic are under the stack's KMS key."""
    key = properties(cfn, DATA_KEY)
    assert key.get("EnableKeyRotation") is True, "the data key must rotate"
    encryption = properties(cfn, STREAM).get("StreamEncryption", {})
    assert encryption.get("EncryptionType") == "KMS", "the stream must be KMS-encrypted"
    assert name(encryption.get("KeyId")) == DATA_KEY, f"the stream must use {DATA_KEY}"
    assert name(properties(cfn, TOPIC).get("KmsMasterKeyId")) == DATA_KEY, f"the topic must use {DATA_KEY}"


def queues_are_encrypted(sam: Template, cfn: Template) -> None:
    """Every queue is encrypted; the DLQ, which holds payloads, with the data key."""
    queues = resources(cfn, "AWS::SQS::Queue")
    assert {DLQ, FAILURE_QUEUE} <= set(queues), "both queues must exist"
    for logical_id, queue in queues.items():
        queue_properties = queue.get("Properties", {})
        encrypted = "KmsMasterKeyId" in queue_properties or queue_properties.get("SqsManagedSseEnabled") is True
        assert encrypted, f"{logical_id} must be encrypted at rest"
    assert name(properties(cfn, DLQ).get("KmsMasterKeyId")) == DATA_KEY, f"{DLQ} must use {DATA_KEY}"


def queues_and_topic_refuse_plain_http(sam: Template, cfn: Template) -> None:
    """Each queue and the topic deny every request that is not over TLS."""

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
        for queue in resources(cfn, "AWS::SQS::Queue")
    ]
    guarded += [
        (topic, "AWS::SNS::TopicPolicy", "Topics", {"sns:Publish", "sns:*", "*"}, topic)
        for topic in resources(cfn, "AWS::SNS::Topic")
    ]
    for target, policy_type, targets_key, actions, resource in guarded:
        statements = [
            statement
            for policy in resources(cfn, policy_type).values()
            if target in [name(item) for item in policy["Properties"].get(targets_key, [])]
            for statement in as_list(policy["Properties"]["PolicyDocument"].get("Statement", []))
        ]
        assert any(denies_insecure_transport(s, actions, resource) for s in statements), (
            f"{target} must deny requests without TLS (aws:SecureTransport false)"
        )


def dead_letter_queue_keeps_14_days_of_1_mib_messages(sam: Template, cfn: Template) -> None:
    """The SQS maxima: two weeks to replay, and as few parts per failure as possible."""
    for queue in (DLQ, FAILURE_QUEUE):
        queue_properties = properties(cfn, queue)
        assert queue_properties.get("MessageRetentionPeriod") == 1_209_600, f"{queue} must keep messages 14 days"
        assert queue_properties.get("MaximumMessageSize") == 1_048_576, f"{queue} must accept 1 MiB messages"


def no_wildcard_permissions(sam: Template, cfn: Template) -> None:
    """No role is granted `*` actions or resources, nor an AWS managed policy."""
    for role_id, role in resources(cfn, "AWS::IAM::Role").items():
        managed = role["Properties"].get("ManagedPolicyArns", [])
        assert not managed, f"{role_id} must not attach managed policies: {[name(arn) for arn in managed]}"
        for action, resource, _condition in grants(cfn, role_id):
            assert "*" not in action, f"{role_id} must not be granted wildcard action {action}"
            assert resource != "*", f"{role_id} must not be granted {action} on every resource"
    for policy_type in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for policy_id in resources(cfn, policy_type):
            raise AssertionError(f"{policy_id}: permissions belong inline in the function roles")


def hydrate_role_has_exactly_its_permissions(sam: Template, cfn: Template) -> None:
    """Hydrate re-reads this stream's ranges and writes its queues, nothing else."""
    expected = grant_set(
        ("kinesis:GetShardIterator", f"{STREAM}.Arn", ()),
        ("kinesis:GetRecords", f"{STREAM}.Arn", ()),
        ("kinesis:DescribeStreamSummary", f"{STREAM}.Arn", ()),
        ("kms:Decrypt", f"{DATA_KEY}.Arn", via("kinesis")),
        ("sqs:SendMessage", f"{DLQ}.Arn", ()),
        ("kms:Decrypt", f"{DATA_KEY}.Arn", via("sqs")),
        ("kms:GenerateDataKey", f"{DATA_KEY}.Arn", via("sqs")),
        ("sqs:SendMessage", f"{FAILURE_QUEUE}.Arn", ()),
        ("logs:CreateLogStream", "HydrateLogGroup.Arn", ()),
        ("logs:PutLogEvents", "HydrateLogGroup.Arn", ()),
    )
    granted = grants(cfn, "HydrateRole")
    assert granted == expected, (
        f"HydrateRole grants differ.\n extra:\n  {show(granted - expected)}\n missing:\n  {show(expected - granted)}"
    )


def processor_role_has_exactly_its_permissions(sam: Template, cfn: Template) -> None:
    """The processor's role holds only what its mapping and OnFailure destination use."""
    expected = grant_set(
        ("kinesis:DescribeStream", f"{STREAM}.Arn", ()),
        ("kinesis:DescribeStreamSummary", f"{STREAM}.Arn", ()),
        ("kinesis:GetRecords", f"{STREAM}.Arn", ()),
        ("kinesis:GetShardIterator", f"{STREAM}.Arn", ()),
        ("kinesis:ListShards", f"{STREAM}.Arn", ()),
        ("kms:Decrypt", f"{DATA_KEY}.Arn", via("kinesis")),
        ("sns:Publish", TOPIC, ()),
        ("kms:Decrypt", f"{DATA_KEY}.Arn", via("sns")),
        ("kms:GenerateDataKey", f"{DATA_KEY}.Arn", via("sns")),
        ("logs:CreateLogStream", "ProcessorLogGroup.Arn", ()),
        ("logs:PutLogEvents", "ProcessorLogGroup.Arn", ()),
    )
    granted = grants(cfn, "ProcessorRole")
    assert granted == expected, (
        f"ProcessorRole grants differ.\n extra:\n  {show(granted - expected)}\n missing:\n  {show(expected - granted)}"
    )


def functions_run_as_their_own_roles(sam: Template, cfn: Template) -> None:
    """Each function has its own role, assumable by Lambda alone."""
    functions = resources(cfn, "AWS::Lambda::Function")
    assert set(functions) == {PROCESSOR, HYDRATE}, f"unexpected functions: {sorted(functions)}"
    assert name(properties(cfn, PROCESSOR).get("Role")) == "ProcessorRole.Arn", "processor must use ProcessorRole"
    assert name(properties(cfn, HYDRATE).get("Role")) == "HydrateRole.Arn", "hydrate must use HydrateRole"
    roles = resources(cfn, "AWS::IAM::Role")
    assert set(roles) == {"ProcessorRole", "HydrateRole"}, f"unexpected roles: {sorted(roles)}"
    for role_id, role in roles.items():
        for statement in as_list(role["Properties"]["AssumeRolePolicyDocument"]["Statement"]):
            assert statement.get("Principal") == {"Service": "lambda.amazonaws.com"}, (
                f"{role_id} may be assumed by Lambda only"
            )


def functions_are_rust_on_arm64_with_json_logs(sam: Template, cfn: Template) -> None:
    """Both functions build with cargo-lambda for arm64 and log JSON."""
    for function, binary in ((PROCESSOR, "processor"), (HYDRATE, "hydrate")):
        resource = sam["Resources"][function]
        metadata = resource.get("Metadata", {})
        assert metadata.get("BuildMethod") == "rust-cargolambda", f"{function} must build with cargo-lambda"
        assert metadata.get("BuildProperties", {}).get("Binary") == binary, f"{function} must build {binary}"
        assert resource["Properties"].get("CodeUri") == f"../crates/{binary}", f"{function} must build crates/{binary}"
        function_properties = properties(cfn, function)
        assert function_properties.get("Runtime") == "provided.al2023", f"{function} must run on provided.al2023"
        assert function_properties.get("Architectures") == ["arm64"], f"{function} must run on arm64"
        assert function_properties.get("Handler") == "bootstrap", f"{function}'s handler must be bootstrap"
        assert function_properties.get("LoggingConfig", {}).get("LogFormat") == "JSON", f"{function} must log JSON"


def alarms_watch_every_failure_path(sam: Template, cfn: Template) -> None:
    """Records in either queue, processor lag and hydrate errors each raise an alarm."""
    watched = set()
    for alarm in resources(cfn, "AWS::CloudWatch::Alarm").values():
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


def alarms_watch_the_metrics_they_name(sam: Template, cfn: Template) -> None:
    """Each alarm watches exactly its metric, dimensions, statistic and direction.

    An alarm on a misspelt metric or a dimension the metric never has stays
    in INSUFFICIENT_DATA (missing data is not breaching) and never fires.
    Metrics in the streamdlq namespace must be ones the hydrate function
    emits, by the names declared in crates/core/src/metrics.rs.
    """
    alarms = resources(cfn, "AWS::CloudWatch::Alarm")
    assert set(alarms) == set(ALARMS), f"alarms differ: {sorted(set(alarms) ^ set(ALARMS))}"
    emitted = emitted_metric_names()
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
        if namespace == "streamdlq":
            assert metric in emitted and {d for d, _ in dimensions} <= emitted, (
                f"{alarm_id}: {metric} by {dimensions} is not what hydrate emits ({sorted(emitted)})"
            )


def retention_margin_alarm_uses_its_parameter(sam: Template, cfn: Template) -> None:
    """The near-miss threshold is the RetentionMarginAlarmSeconds parameter."""
    threshold = properties(cfn, "RetentionMarginAlarm").get("Threshold")
    assert name(threshold) == "RetentionMarginAlarmSeconds", f"threshold must be the parameter, not {threshold!r}"
    dlq_age = properties(cfn, "DeadLetterQueueAgeAlarm").get("Threshold")
    retention = properties(cfn, DLQ).get("MessageRetentionPeriod")
    assert isinstance(dlq_age, int) and 0 < dlq_age < retention, (
        f"the DLQ age alarm ({dlq_age} s) must trip before SQS retention ({retention} s) deletes"
    )


def dashboard_shows_every_alarmed_metric(sam: Template, cfn: Template) -> None:
    """The dashboard graphs every metric an alarm watches, with the same dimensions."""
    dashboards = resources(cfn, "AWS::CloudWatch::Dashboard")
    body = only(dashboards, "dashboard").get("DashboardBody")
    text = body.get("Fn::Sub") if isinstance(body, dict) else body
    assert isinstance(text, str), "DashboardBody must be a Fn::Sub string"
    # `${Id}` and `${Id.Attribute}` become the names ALARMS uses; the one
    # unquoted substitution, the threshold annotation, becomes a number.
    def substitute(match: re.Match[str]) -> str:
        return "0" if match.group(1) == "RetentionMarginAlarmSeconds" else match.group(1)

    document = json.loads(re.sub(r"\$\{([A-Za-z0-9:.]+)\}", substitute, text))
    graphed = set()
    for widget in document["widgets"]:
        for line in widget.get("properties", {}).get("metrics", []):
            fields = [field for field in line if isinstance(field, str)]
            namespace, metric, rest = fields[0], fields[1], fields[2:]
            graphed.add((namespace, metric, tuple(sorted(zip(rest[::2], rest[1::2], strict=True)))))
    for alarm_id, (namespace, metric, dimensions, _statistic, _comparison) in ALARMS.items():
        assert (namespace, metric, dimensions) in graphed, f"the dashboard must graph {alarm_id}'s metric {metric}"


def outputs_name_everything_the_cli_needs(sam: Template, cfn: Template) -> None:
    """The CLI finds every stream, topic, queue and function in the stack outputs."""
    outputs = {key: output.get("Value") for key, output in cfn.get("Outputs", {}).items()}
    for key, value in CLI_OUTPUTS.items():
        assert key in outputs, f"output {key} is missing"
        assert outputs[key] == value, f"output {key} must be {name(value)}, not {name(outputs[key])}"
    assert f"{PROCESSOR}Kinesis" in resources(cfn, "AWS::Lambda::EventSourceMapping"), (
        "ProcessorEventSourceMappingId must name the generated mapping"
    )


CHECKS: list[Check] = [
    processor_bisects_failed_batches,
    processor_reports_batch_item_failures,
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
]
