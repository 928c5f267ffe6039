"""Create the template's table, queues, event bus and its rules, KMS keys and secrets in moto (or
wherever boto3 points).

An `AWS::Events::Rule` is created on its bus with its event pattern and its SQS targets, so moto's
EventBridge routes each put event to the queues whose rule's pattern matches it, as AWS does; the
queues' mappings (`local_runner.esm`) then invoke their functions.
"""

import json
import secrets
from typing import TYPE_CHECKING, Any

import boto3

from local_runner import template

if TYPE_CHECKING:
    from mypy_boto3_sqs.literals import QueueAttributeNameType


def _physical(logical_id: str, prefix: str) -> str:
    return f"{prefix}-{logical_id}"


def create_all(prefix: str = "hellojohn-local") -> dict[str, str]:
    """Create every resource; return the values `Ref` resolves to (names, URLs), by logical id."""
    refs: dict[str, str] = {}
    dynamodb = boto3.client("dynamodb")
    for logical_id, props in template.resources("AWS::DynamoDB::Table").items():
        name = _physical(logical_id, prefix)
        params: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props["BillingMode"],
        }
        if props.get("GlobalSecondaryIndexes"):
            params["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        if props.get("StreamSpecification"):
            params["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        dynamodb.create_table(**params)
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        refs[logical_id] = name
    sqs = boto3.client("sqs")
    queues = template.resources("AWS::SQS::Queue")
    # dead-letter queues first, so redrive policies can name them
    ordered = sorted(queues, key=lambda q: "RedrivePolicy" in queues[q])
    for logical_id in ordered:
        props = queues[logical_id]
        attributes: dict[QueueAttributeNameType, str] = {}
        if "VisibilityTimeout" in props:
            attributes["VisibilityTimeout"] = str(props["VisibilityTimeout"])
        if "RedrivePolicy" in props:
            dlq = props["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
            arn = sqs.get_queue_attributes(QueueUrl=refs[dlq], AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            max_receives = str(props["RedrivePolicy"]["maxReceiveCount"])
            redrive = {"deadLetterTargetArn": arn, "maxReceiveCount": max_receives}
            attributes["RedrivePolicy"] = json.dumps(redrive)
        refs[logical_id] = sqs.create_queue(QueueName=_physical(logical_id, prefix), Attributes=attributes)[
            "QueueUrl"
        ]
    events = boto3.client("events")
    for logical_id in template.resources("AWS::Events::EventBus"):
        refs[logical_id] = _physical(logical_id, prefix)
        events.create_event_bus(Name=refs[logical_id])
    kms = boto3.client("kms")
    for logical_id, props in template.resources("AWS::KMS::Key").items():
        refs[logical_id] = kms.create_key(Description=str(props.get("Description", logical_id)))[
            "KeyMetadata"
        ]["KeyId"]
    _rules(refs, prefix)
    sm = boto3.client("secretsmanager")
    for logical_id, props in template.resources("AWS::SecretsManager::Secret").items():
        gen = props["GenerateSecretString"]
        value = json.loads(gen.get("SecretStringTemplate", "{}"))
        value[gen["GenerateStringKey"]] = secrets.token_urlsafe(48)[: int(gen.get("PasswordLength", 64))]
        name = _physical(logical_id, prefix)
        sm.create_secret(Name=name, SecretString=json.dumps(value))
        refs[logical_id] = name
    return refs


def _rules(refs: dict[str, str], prefix: str) -> None:
    """Each EventBridge rule on its bus, with its pattern and its SQS targets (moto routes by them)."""
    events = boto3.client("events")
    sqs = boto3.client("sqs")
    queues = template.resources("AWS::SQS::Queue")
    for logical_id, props in template.resources("AWS::Events::Rule").items():
        named = props["EventBusName"]  # Ref, or Fn::GetAtt …Name: the bus's name either way
        bus = refs[named["Ref"] if "Ref" in named else named["Fn::GetAtt"][0]]
        name = _physical(logical_id, prefix)
        events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(props["EventPattern"]))
        targets = []
        for target in props["Targets"]:
            [queue, attribute] = target["Arn"]["Fn::GetAtt"]
            if attribute != "Arn" or queue not in queues:
                raise ValueError(
                    f"{logical_id}: the local runner routes rules to SQS queues of the template only"
                )
            arn = sqs.get_queue_attributes(QueueUrl=refs[queue], AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            targets.append({"Id": target["Id"], "Arn": arn})
        events.put_targets(Rule=name, EventBusName=bus, Targets=targets)  # type: ignore[arg-type]


def function_environment(
    function: template.Function, refs: dict[str, str], stage: str = "dev"
) -> dict[str, str]:
    """A function's environment with `Ref`s resolved to the local resources."""
    params = {"Stage": stage, "TokenIssuer": "http://127.0.0.1"}
    env: dict[str, str] = {}
    for key, value in function.environment.items():
        if isinstance(value, dict) and "Ref" in value:
            ref = value["Ref"]
            env[key] = refs.get(ref) or params.get(ref, "")
        elif isinstance(value, dict) and "Fn::GetAtt" in value:  # a resource's name (the bus's)
            logical_id, attribute = value["Fn::GetAtt"]
            if attribute != "Name":
                raise ValueError(f"{key}: the local runner resolves Fn::GetAtt …Name only")
            env[key] = refs[logical_id]
        else:
            env[key] = str(value)
    return env


def environment(fns: list[template.Function], refs: dict[str, str]) -> dict[str, str]:
    """Every function's environment in one (the local runner and the tests run them all in one
    process): the Globals all share, plus what single functions add (the router's bus)."""
    env: dict[str, str] = {}
    for function in fns:
        for key, value in function_environment(function, refs).items():
            if env.get(key, value) != value:
                print(f"! {key} differs between functions; the local runner uses one value: {env[key]}")
            env.setdefault(key, value)
    return env
