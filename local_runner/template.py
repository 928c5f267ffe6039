"""template.yaml, read as data: the functions, their routes and triggers, and the AWS resources.

The runner and the tests both take everything from here, so they cannot drift from the template.
"""

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (`!Ref X` becomes `{"Ref": "X"}`)."""


def _tag(name: str) -> Any:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if name == "GetAtt":
                value = str(value).split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {"Ref" if name == "Ref" else f"Fn::{name}": value}

    return construct


for _name in (
    "Ref",
    "GetAtt",
    "Sub",
    "If",
    "Equals",
    "Join",
    "Select",
    "Split",
    "Not",
    "And",
    "Or",
    "FindInMap",
):
    _CfnLoader.add_constructor(f"!{_name}", _tag(_name))


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # API Gateway resource path, e.g. /v1/users/{user_id}


@dataclass(frozen=True)
class Function:
    logical_id: str
    code_dir: Path
    handler: str
    routes: tuple[Route, ...] = ()
    queue: str | None = None  # logical id of the SQS queue that triggers it
    batch_size: int = 10
    environment: dict[str, Any] = field(default_factory=dict)
    stream: str | None = None  # logical id of the table whose stream triggers it
    filter_patterns: tuple[dict[str, Any], ...] = ()  # the trigger's FilterCriteria patterns, parsed
    max_retry_attempts: int = -1  # a stream trigger's MaximumRetryAttempts (-1: until the record expires)
    max_record_age: int = -1  # a stream trigger's MaximumRecordAgeInSeconds (-1: the stream's 24 hours)
    on_failure: str | None = None  # logical id of the SQS queue of a stream trigger's OnFailure destination
    bisect: bool = False  # a stream trigger's BisectBatchOnFunctionError
    report_batch_item_failures: bool = False  # FunctionResponseTypes has ReportBatchItemFailures
    timeout: int = 3  # seconds
    memory_mb: int = 128


@cache
def load() -> dict[str, Any]:
    with TEMPLATE.open() as fh:
        document = yaml.load(fh, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass with CFN tags only
    if not isinstance(document, dict):
        raise ValueError(f"{TEMPLATE} is not a YAML mapping")
    return document


def resources(kind: str) -> dict[str, dict[str, Any]]:
    return {k: v.get("Properties", {}) for k, v in load()["Resources"].items() if v["Type"] == kind}


def functions() -> list[Function]:
    import json

    doc = load()
    global_fn = doc.get("Globals", {}).get("Function", {})
    global_env = global_fn.get("Environment", {}).get("Variables", {})
    found = []
    for logical_id, props in resources("AWS::Serverless::Function").items():
        routes: list[Route] = []
        patterns: list[dict[str, Any]] = []
        queue = None
        stream = None
        on_failure = None
        max_retries = -1
        max_age = -1
        batch_size = 10
        bisect = False
        partial = False
        for event in (props.get("Events") or {}).values():
            p = event.get("Properties", {})
            if event["Type"] == "Api":
                routes.append(Route(p["Method"].upper(), p["Path"]))
            elif event["Type"] == "DynamoDB":
                stream = p["Stream"]["Fn::GetAtt"][0]
                batch_size = int(p.get("BatchSize", 100))
                max_retries = int(p.get("MaximumRetryAttempts", -1))
                max_age = int(p.get("MaximumRecordAgeInSeconds", -1))
                bisect = bool(p.get("BisectBatchOnFunctionError", False))
                partial = "ReportBatchItemFailures" in (p.get("FunctionResponseTypes") or [])
                destination = ((p.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
                if isinstance(destination, dict) and "Fn::GetAtt" in destination:
                    on_failure = destination["Fn::GetAtt"][0]
                for f in (p.get("FilterCriteria") or {}).get("Filters", []):
                    patterns.append(json.loads(f["Pattern"]))
            elif event["Type"] == "SQS":
                queue = p["Queue"]["Fn::GetAtt"][0]
                batch_size = int(p.get("BatchSize", 10))
                partial = "ReportBatchItemFailures" in (p.get("FunctionResponseTypes") or [])
                for f in (p.get("FilterCriteria") or {}).get("Filters", []):
                    patterns.append(json.loads(f["Pattern"]))
        env = {**global_env, **(props.get("Environment", {}).get("Variables", {}))}
        found.append(
            Function(
                logical_id=logical_id,
                code_dir=ROOT / props["CodeUri"],
                handler=props.get("Handler", global_fn.get("Handler")),
                routes=tuple(routes),
                queue=queue,
                batch_size=batch_size,
                environment=env,
                stream=stream,
                filter_patterns=tuple(patterns),
                max_retry_attempts=max_retries,
                max_record_age=max_age,
                on_failure=on_failure,
                bisect=bisect,
                report_batch_item_failures=partial,
                timeout=int(props.get("Timeout", global_fn.get("Timeout", 3))),
                memory_mb=int(props.get("MemorySize", global_fn.get("MemorySize", 128))),
            )
        )
    return found
