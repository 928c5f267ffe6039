"""The edge's rate limit and the idempotency permissions, as template.yaml declares them."""

import re
from typing import Any

from local_runner import template


def _resources(kind: str) -> dict[str, dict[str, Any]]:
    return template.resources(kind)


def test_sign_in_rate_limit_per_source_ip() -> None:
    [acl] = _resources("AWS::WAFv2::WebACL").values()
    assert acl["Scope"] == "REGIONAL" and acl["DefaultAction"] == {"Allow": {}}
    [rule] = acl["Rules"]
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
)


def test_idempotent_functions_may_write_only_their_own_records() -> None:
    functions = _resources("AWS::Serverless::Function")
    for name in IDEMPOTENT:
        statements = [s for p in functions[f"{name}Function"]["Policies"] for s in p["Statement"]]
        [idem] = [s for s in statements if s.get("Sid") == "IdempotencyRecords"]
        assert sorted(idem["Action"]) == [
            "dynamodb:DeleteItem",
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
        ]
        assert idem["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["IDEM#*"]}}
    others = [k for k in functions if k.removesuffix("Function") not in IDEMPOTENT]
    for name in others:
        statements = [s for p in functions[name].get("Policies", []) for s in p.get("Statement", [])]
        assert not [s for s in statements if s.get("Sid") == "IdempotencyRecords"], name
