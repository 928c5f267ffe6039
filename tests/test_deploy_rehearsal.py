"""A deploy rehearsal: the SAM-translated template created as a stack in moto's CloudFormation.

What it shows: the stack creates; every resource the code names exists with its ARN resolved; the
table has its stream, TTL and index; the stream's event source mapping has its filter, batch size,
retries, bisect and failure destination, and the queues' mappings theirs; each queue its redrive
policy; each role's policies name real ARNs; each function's environment is complete
(`hellojohn.config.Settings` validates it) and points at the stack's own resources.

What it cannot show, left out explicitly:
- `AWS::ApiGateway::Deployment` (and so `AWS::ApiGateway::Stage` and the WAF's
  `AWS::WAFv2::WebACLAssociation`, which needs the stage): moto cannot deploy a REST API defined
  by a `Body` ("The REST API doesn't contain any methods"). They are removed before creating.
- `AWS::SecretsManager::Secret`, `AWS::WAFv2::WebACL` and `AWS::ApiGateway::Account` (the
  account's CloudWatch role for access logs): moto 5.2.5 has no CloudFormation support for them
  (it warns and creates nothing). So the secret's ARN is not resolved: moto drops
  the functions' SIGNING_KEY_SECRET variable, and the roles' secret grant names no real ARN; the
  test checks the template's `Ref` instead, and tests/iam/ the grant against the ARN the code reads.
- `AWS::SQS::QueuePolicy` (EventBridge's leave to send the webhook rule's events to
  WebhookEventQueue): moto 5.2.5 has no CloudFormation support for it; moto's EventBridge delivers
  to a queue without one, so tests/webhooks shows the route, not the policy (`make template` lints it).
- `AWS::CloudWatch::Alarm` (the operator's alarms, docs/OPERATIONS.md): moto 5.2.5 has no
  CloudFormation support for it either (it warns and creates none), so the rehearsal shows only that
  a stack with them (and their `HasAlarmTopic` condition) creates; tests/test_operations.py reads what
  each watches from the template and its translation.
- `AWS::Lambda::Alias` (SnapStart's `live` alias of each function): moto's CloudFormation has no
  support for it, so what refers to an alias (API Gateway's permissions, the event source
  mappings) is pointed at the alias's function instead; tests/snapstart/test_template.py checks
  the alias wiring of the translation.
- The table's TTL: moto's CloudFormation ignores `TimeToLiveSpecification` (the table reports
  TTL DISABLED); the test checks the specification the stack is given.
- A role's `ManagedPolicyArns`: moto's CloudFormation attaches none; the test checks that the six
  idempotent functions' roles reference the idempotency policy, and that policy's document in moto.
- IAM itself: moto stores policies but enforces none; that is tests/iam/'s work.
"""

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest

from scripts.translate import translated

REGION = "us-east-1"
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS.* not supported by moto:UserWarning")
UNDEPLOYABLE = ("AWS::ApiGateway::Deployment", "AWS::ApiGateway::Stage", "AWS::WAFv2::WebACLAssociation")
UNSUPPORTED = (
    "AWS::SecretsManager::Secret",
    "AWS::WAFv2::WebACL",
    "AWS::ApiGateway::Account",
    "AWS::CloudWatch::Alarm",
    "AWS::SQS::QueuePolicy",
)
SENDERS = "arn:aws:ses:us-east-1:123456789012:identity/acme.test"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def stack() -> Any:
    from moto import mock_aws

    doc = translated()
    for logical_id in [k for k, v in doc["Resources"].items() if v["Type"] in UNDEPLOYABLE]:
        del doc["Resources"][logical_id]
    doc = _aliases_as_functions(doc)
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as archive:
            archive.writestr("app.py", "def lambda_handler(event, context):\n    return None\n")
        buckets: set[str] = set()
        for resource in doc["Resources"].values():
            location = resource["Properties"].get("Code") or resource["Properties"].get("Content") or {}
            if "S3Key" in location:
                if location["S3Bucket"] not in buckets:
                    s3.create_bucket(Bucket=location["S3Bucket"])
                    buckets.add(location["S3Bucket"])
                s3.put_object(Bucket=location["S3Bucket"], Key=location["S3Key"], Body=code.getvalue())
        cfn = boto3.client("cloudformation", region_name=REGION)
        cfn.create_stack(
            StackName="hellojohn-users-dev",
            TemplateBody=json.dumps(doc),
            Capabilities=["CAPABILITY_IAM"],
            Parameters=[{"ParameterKey": "EmailSenderIdentityArns", "ParameterValue": SENDERS}],
        )
        summaries = cfn.list_stack_resources(StackName="hellojohn-users-dev")["StackResourceSummaries"]
        physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in summaries}
        status = cfn.describe_stacks(StackName="hellojohn-users-dev")["Stacks"][0]["StackStatus"]
        yield {"doc": doc, "physical": physical, "status": status}


def _aliases_as_functions(doc: dict[str, Any]) -> dict[str, Any]:
    """The template with each `AWS::Lambda::Alias` removed and every `Ref` to it (and `${…}` in `Fn::Sub`)
    made one to its function (moto creates no alias from CloudFormation, and its `Ref` of an
    `AWS::Lambda::Version` is not the version's ARN)."""
    aliases = {
        logical_id: resource["Properties"]["FunctionName"]["Ref"]
        for logical_id, resource in doc["Resources"].items()
        if resource["Type"] == "AWS::Lambda::Alias"
    }
    text = json.dumps({**doc, "Resources": {k: v for k, v in doc["Resources"].items() if k not in aliases}})
    for alias, function in aliases.items():
        text = text.replace(json.dumps({"Ref": alias}), json.dumps({"Ref": function}))
        text = text.replace(f"${{{alias}}}", f"${{{function}}}")  # in Fn::Sub strings (the API's Body)
    result: dict[str, Any] = json.loads(text)
    return result


def _of_type(stack: Any, kind: str) -> list[str]:
    return [k for k, v in stack["doc"]["Resources"].items() if v["Type"] == kind]


def test_the_stack_creates_every_resource_moto_supports(stack: Any) -> None:
    assert stack["status"] == "CREATE_COMPLETE"
    expected = {k for k, v in stack["doc"]["Resources"].items() if v["Type"] not in UNSUPPORTED}
    assert expected <= set(stack["physical"])


def test_the_table_has_its_stream_ttl_and_index(stack: Any) -> None:
    ddb = boto3.client("dynamodb", region_name=REGION)
    [name] = [stack["physical"][k] for k in _of_type(stack, "AWS::DynamoDB::Table")]
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert table["LatestStreamArn"].startswith(table["TableArn"] + "/stream/")
    [index] = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "GSI1" and index["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    # moto's CloudFormation does not apply TimeToLiveSpecification (the table reports DISABLED):
    # what it can show is the specification the stack was given
    [spec] = [stack["doc"]["Resources"][k]["Properties"] for k in _of_type(stack, "AWS::DynamoDB::Table")]
    assert spec["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}


def _queue_arn(stack: Any, logical_id: str) -> str:
    sqs = boto3.client("sqs", region_name=REGION)
    url = stack["physical"][logical_id]
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def test_the_stream_mapping_filters_batches_retries_bisects_and_dead_letters(stack: Any) -> None:
    lam = boto3.client("lambda", region_name=REGION)
    ddb = boto3.client("dynamodb", region_name=REGION)
    stream = ddb.describe_table(TableName=stack["physical"]["Table"])["Table"]["LatestStreamArn"]
    [mapping] = lam.list_event_source_mappings(FunctionName=stack["physical"]["StreamRouterFunction"])[
        "EventSourceMappings"
    ]
    assert mapping["EventSourceArn"] == stream
    assert mapping["BatchSize"] == 100 and mapping["MaximumRetryAttempts"] == 10
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert json.loads(mapping["FilterCriteria"]["Filters"][0]["Pattern"]) == {
        "dynamodb": {"Keys": {"SK": {"S": ["USER"]}}}
    }
    destination = mapping["DestinationConfig"]["OnFailure"]["Destination"]
    assert destination == _queue_arn(stack, "StreamDeadLetterQueue")


@pytest.mark.parametrize(
    ("function", "queue"),
    [("EmailWorkerFunction", "EmailQueue"), ("SessionCleanupFunction", "SessionCleanupQueue")],
)
def test_each_worker_is_mapped_to_its_queue(stack: Any, function: str, queue: str) -> None:
    lam = boto3.client("lambda", region_name=REGION)
    [mapping] = lam.list_event_source_mappings(FunctionName=stack["physical"][function])[
        "EventSourceMappings"
    ]
    assert mapping["EventSourceArn"] == _queue_arn(stack, queue)
    assert mapping["BatchSize"] == 10 and mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


@pytest.mark.parametrize(
    ("queue", "dead_letters"),
    [("EmailQueue", "EmailDeadLetterQueue"), ("SessionCleanupQueue", "SessionCleanupDeadLetterQueue")],
)
def test_each_job_queue_redrives_to_its_dead_letter_queue(stack: Any, queue: str, dead_letters: str) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    attributes = sqs.get_queue_attributes(QueueUrl=stack["physical"][queue], AttributeNames=["All"])[
        "Attributes"
    ]
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == _queue_arn(stack, dead_letters)
    assert int(redrive["maxReceiveCount"]) == 5


def _document(value: Any) -> dict[str, Any]:
    """A policy document as moto returns it: a dict, JSON, or (a managed policy created by
    CloudFormation) the Python repr of the dict."""
    import ast

    if isinstance(value, dict):
        return value
    try:
        parsed: dict[str, Any] = json.loads(value)
    except ValueError:
        parsed = ast.literal_eval(value)
    return parsed


def _resources(document: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for statement in document["Statement"]:
        if "Resource" not in statement:  # moto drops a Ref to a resource it did not create (the secret)
            assert statement["Action"] == "secretsmanager:GetSecretValue", statement
            continue
        value = statement["Resource"]
        found += value if isinstance(value, list) else [value]
    return found


def test_every_role_names_real_arns(stack: Any) -> None:
    iam = boto3.client("iam", region_name=REGION)
    ddb = boto3.client("dynamodb", region_name=REGION)
    table_arn = ddb.describe_table(TableName=stack["physical"]["Table"])["Table"]["TableArn"]
    queues = {_queue_arn(stack, q) for q in _of_type(stack, "AWS::SQS::Queue")}
    policy_arn = stack["physical"]["IdempotencyPolicy"]
    version = iam.get_policy(PolicyArn=policy_arn)["Policy"]["DefaultVersionId"]
    idem = iam.get_policy_version(PolicyArn=policy_arn, VersionId=version)["PolicyVersion"]["Document"]
    assert _resources(_document(idem)) == [table_arn]
    attached_idem = 0
    for role_id in _of_type(stack, "AWS::IAM::Role"):
        role = stack["physical"][role_id]
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
            document = _document(iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"])
            for arn in _resources(document):
                assert arn.startswith("arn:aws:"), (role_id, name, arn)
                service = arn.split(":")[2]
                if service == "dynamodb":
                    assert arn in {table_arn, f"{table_arn}/index/GSI1"}, (role_id, arn)
                elif service == "sqs":
                    assert arn in queues, (role_id, arn)
                elif service == "ses":
                    assert arn == SENDERS, (role_id, arn)
        # moto's CloudFormation ignores a role's ManagedPolicyArns: what it can show is the reference
        arns = stack["doc"]["Resources"][role_id]["Properties"].get("ManagedPolicyArns", [])
        attached_idem += {"Ref": "IdempotencyPolicy"} in arns
    # exactly the functions whose handler serves an Idempotency-Key (edge/idempotency.once)
    assert attached_idem == sum("idempotency.once(" in p.read_text() for p in ROOT.glob("functions/*/app.py"))
    assert attached_idem == 12


def test_every_function_environment_is_complete_and_names_the_stacks_resources(stack: Any) -> None:
    from hellojohn.config import Settings

    lam = boto3.client("lambda", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    # SIGNING_KEY_SECRET is a Ref to the secret, which moto does not create: the variable is dropped
    required = {f.alias for f in Settings.model_fields.values() if f.is_required()} - {"SIGNING_KEY_SECRET"}
    urls = {
        sqs.get_queue_url(QueueName=u.rsplit("/", 1)[-1])["QueueUrl"]
        for u in (stack["physical"]["EmailQueue"], stack["physical"]["SessionCleanupQueue"])
    }
    for function_id in _of_type(stack, "AWS::Lambda::Function"):
        env = lam.get_function_configuration(FunctionName=stack["physical"][function_id])["Environment"][
            "Variables"
        ]
        assert required <= set(env), function_id
        Settings.model_validate({"SIGNING_KEY_SECRET": "not-created-by-moto", **env})
        assert env["TABLE_NAME"] == stack["physical"]["Table"]
        assert {env["EMAIL_QUEUE_URL"], env["SESSION_CLEANUP_QUEUE_URL"]} == urls
        assert env["STAGE"] == "dev"
        declared = stack["doc"]["Resources"][function_id]["Properties"]["Environment"]["Variables"]
        assert declared["SIGNING_KEY_SECRET"] == {"Ref": "SigningKeySecret"}
