"""SnapStart, aliases and versions as SAM translates template.yaml (the template CloudFormation gets)."""

import functools
import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
WORKERS = {
    "StreamRouterFunction",
    "EmailWorkerFunction",
    "SessionCleanupFunction",
    "WebhookDispatchFunction",
    "WebhookDeliveryFunction",
}
# every function folder is one function of the template (tests/test_events.py holds the pairing)
FUNCTIONS = len(list(ROOT.glob("functions/*/app.py")))


def _translate(layer_key: str) -> dict[str, Any]:
    """SAM's translation, with the code and the layer at S3 locations as `sam package` leaves them."""
    import boto3
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    template = yaml_parse((ROOT / "template.yaml").read_text())
    template["Resources"]["SharedLayer"]["Properties"]["ContentUri"] = f"s3://bucket/{layer_key}"
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://bucket/code"
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    boto3.setup_default_session(region_name="us-east-1")
    translated: dict[str, Any] = transform(template, {}, NoManagedPolicies())
    return translated


@functools.cache
def translated(layer_key: str = "layer-1") -> dict[str, Any]:
    return _translate(layer_key)


def _of(kind: str, layer_key: str = "layer-1") -> dict[str, dict[str, Any]]:
    return {k: r for k, r in translated(layer_key)["Resources"].items() if r["Type"] == kind}


def test_snapstart_on_every_api_function_and_off_on_the_workers() -> None:
    functions = _of("AWS::Lambda::Function")
    assert len(functions) == FUNCTIONS
    switch = {"Fn::If": ["SnapStartOn", "PublishedVersions", "None"]}
    for name, resource in functions.items():
        expected = {"ApplyOn": "None"} if name in WORKERS else {"ApplyOn": switch}
        assert resource["Properties"]["SnapStart"] == expected, name
    params = translated()["Parameters"]["SnapStart"]
    assert (params["Default"], params["AllowedValues"]) == ("on", ["on", "off"])


def test_api_gateway_and_the_event_sources_invoke_the_live_alias() -> None:
    aliases = _of("AWS::Lambda::Alias")
    assert {a["Properties"]["Name"] for a in aliases.values()} == {"live"} and len(aliases) == FUNCTIONS
    paths = translated()["Resources"]["Api"]["Properties"]["Body"]["paths"]
    uris = [
        op["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
        for ops in paths.values()
        for op in ops.values()
    ]
    assert uris and all(uri.endswith("Aliaslive}/invocations") for uri in uris), uris
    permissions = _of("AWS::Lambda::Permission")
    assert permissions and all(
        p["Properties"]["FunctionName"]["Ref"].endswith("Aliaslive") for p in permissions.values()
    )
    mappings = _of("AWS::Lambda::EventSourceMapping")
    assert {m["Properties"]["FunctionName"]["Ref"] for m in mappings.values()} == {
        f"{w}Aliaslive" for w in WORKERS
    }


def test_old_versions_are_deleted_and_a_new_layer_publishes_new_versions() -> None:
    versions = _of("AWS::Lambda::Version")
    assert len(versions) == FUNCTIONS
    assert all(v.get("DeletionPolicy") == "Delete" for v in versions.values())
    # the code is all in the layer: a new layer must move every alias to a new version
    assert not set(versions) & set(_of("AWS::Lambda::Version", "layer-2"))
