"""The edge's rate limit and the idempotency permissions, as template.yaml declares them."""

import re
from typing import Any

from local_runner import template


def _resources(kind: str) -> dict[str, dict[str, Any]]:
    return template.resources(kind)


def test_sign_in_rate_limit_per_source_ip() -> None:
    [acl] = _resources("AWS::WAFv2::WebACL").values()
    assert acl["Scope"] == "REGIONAL" and acl["DefaultAction"] == {"Allow": {}}
    rule, bad_inputs = acl["Rules"]
    assert bad_inputs["Statement"]["ManagedRuleGroupStatement"] == {
        "VendorName": "AWS",
        "Name": "AWSManagedRulesKnownBadInputsRuleSet",
    }
    assert bad_inputs["OverrideAction"] == {"None": {}} and bad_inputs["Priority"] > rule["Priority"]
    rate = rule["Statement"]["RateBasedStatement"]
    assert rate["AggregateKeyType"] == "IP" and rate["EvaluationWindowSec"] == 300
    assert rate["Limit"] == {"Ref": "SignInRateLimit"}
    assert template.load()["Parameters"]["SignInRateLimit"]["Default"] == 100
    method, path = rate["ScopeDownStatement"]["AndStatement"]["Statements"]
    assert method["ByteMatchStatement"]["SearchString"] == "POST"
    assert path["ByteMatchStatement"]["SearchString"] == "/v1/auth/sign-in"
    response = rule["Action"]["Block"]["CustomResponse"]
    assert response["ResponseCode"] == 429
    assert response["ResponseHeaders"] == [{"Name": "Retry-After", "Value": "300"}]
    body = acl["CustomResponseBodies"][response["CustomResponseBodyKey"]]
    assert body["ContentType"] == "APPLICATION_JSON" and '"code": "too_many_attempts"' in body["Content"]


def test_web_acl_is_associated_with_the_api_stage() -> None:
    """The association names the stage SAM generates (`ApiStage`) and waits for it."""
    [association] = [
        v for v in template.load()["Resources"].values() if v["Type"] == "AWS::WAFv2::WebACLAssociation"
    ]
    assert association["DependsOn"] == "ApiStage"
    arn = association["Properties"]["ResourceArn"]["Fn::Sub"]
    assert re.fullmatch(
        r"arn:\$\{AWS::Partition\}:apigateway:\$\{AWS::Region\}::/restapis/\$\{Api\}/stages/\$\{Stage\}", arn
    )
    assert template.load()["Resources"]["Api"]["Properties"]["StageName"] == {"Ref": "Stage"}


def test_sam_names_the_stage_api_stage(monkeypatch: Any) -> None:
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    text = re.sub(r"(CodeUri|ContentUri): \S+", r"\1: s3://bucket/key.zip", template.TEMPLATE.read_text())

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    out = transform(yaml_parse(text), {}, NoManagedPolicies())
    stages = [k for k, v in out["Resources"].items() if v["Type"] == "AWS::ApiGateway::Stage"]
    assert stages == ["ApiStage"]


IDEMPOTENT = (
    "UsersCreate",
    "UsersSetPassword",
    "UsersDisable",
    "UsersEnable",
    "AuthPasswordChange",
    "AuthSignOut",
    "UsersSessionRevoke",
    "UsersSessionsRevoke",
    "AuthSessionRevoke",
    "UsersDelete",
    "UsersRestore",
    "AuthMeDelete",
)


def test_idempotent_functions_may_write_only_their_own_records() -> None:
    """One managed policy holds the idempotency rights, scoped to IDEM# items; only the twelve
    functions that take an Idempotency-Key attach it (what they may do beyond it: tests/iam/)."""
    idem_policy = _resources("AWS::IAM::ManagedPolicy")["IdempotencyPolicy"]
    [idem] = idem_policy["PolicyDocument"]["Statement"]
    assert idem["Sid"] == "IdempotencyRecords"
    assert sorted(idem["Action"]) == ["dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
    assert idem["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["IDEM#*"]}}
    functions = _resources("AWS::Serverless::Function")
    attached = {
        name.removesuffix("Function")
        for name, props in functions.items()
        if {"Ref": "IdempotencyPolicy"} in props.get("Policies", [])
    }
    assert attached == set(IDEMPOTENT)
