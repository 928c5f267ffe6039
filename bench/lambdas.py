"""The functions of template.yaml, run in this process against moto, and timed one handler call at a time.

The API Gateway event is built before the clock starts: only `lambda_handler(event, context)` is
timed, which is what Lambda bills.
"""

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

from local_runner import events, functions, template

REGION = "us-east-1"
SAFE_ENV = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
    "POWERTOOLS_DEV": "false",
}
_UNSAFE = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ENDPOINT_URL",
)


def safe_environ() -> None:
    """Dummy credentials and no endpoint override: nothing here can reach real AWS."""
    for key in list(os.environ):
        if key in _UNSAFE or key.startswith("AWS_ENDPOINT_URL_"):
            del os.environ[key]
    os.environ.update(SAFE_ENV)


class Context:
    function_name = "bench"
    memory_limit_in_mb = 256
    invoked_function_arn = f"arn:aws:lambda:{REGION}:123456789012:function:bench"
    aws_request_id = "bench-request"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def reset_caches() -> None:
    """Every per-process cache of the service: the next request is a cold one."""
    from aws_lambda_powertools.utilities import parameters
    from hellojohn import config, jobs, mailer, tenancy
    from hellojohn.store import client

    config.settings.cache_clear()
    client.dynamodb.cache_clear()
    jobs.sqs.cache_clear()
    mailer.ses.cache_clear()
    tenancy.clear_caches()
    parameters.clear_caches()


@contextmanager
def moto_env() -> Iterator[dict[str, str]]:
    """moto in-process (mock_aws, made lean: bench.motolean), the template's resources, and the
    functions' environment."""
    from moto import mock_aws

    from bench.motolean import lean
    from local_runner import provision

    safe_environ()
    with mock_aws():
        refs = provision.create_all()
        os.environ.update(provision.function_environment(template.functions()[0], refs))
        os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # the workers log an INFO line per job
        reset_caches()
        try:
            with lean(REGION):
                yield refs
        finally:
            reset_caches()


@cache
def by_id() -> dict[str, template.Function]:
    return {f.logical_id: f for f in template.functions()}


def memory_mb(logical_id: str) -> int:
    doc = template.load()
    props = doc["Resources"][logical_id]["Properties"]
    return int(props.get("MemorySize") or doc.get("Globals", {}).get("Function", {}).get("MemorySize", 128))


@dataclass
class Reply:
    status: int
    body: Any
    seconds: float
    function: str


def api_event(
    method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[template.Function, dict[str, Any]]:
    """The function API Gateway would route the request to, and the proxy event it would send."""
    parts = urlsplit(path)
    hdrs = dict(headers or {})
    payload = json.dumps(body) if body is not None else None
    if payload is not None:
        hdrs.setdefault("Content-Type", "application/json")
    found = events.find_route(events.route_table(template.functions()), method, parts.path)
    if found is None:
        raise LookupError(f"no route for {method} {path}")
    route, function, params = found
    event = events.api_event(
        route, parts.path, headers=hdrs, body=payload, query=parse_qs(parts.query), path_params=params
    )
    return function, event


def call(method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Reply:
    """One API request, its handler call timed."""
    function, event = api_event(method, path, body, headers)
    handler = functions.handler(function)
    context = Context()
    start = time.perf_counter()
    result = handler(event, context)
    seconds = time.perf_counter() - start
    text = result.get("body") or ""
    return Reply(result["statusCode"], json.loads(text) if text else None, seconds, function.logical_id)


def invoke(logical_id: str, event: dict[str, Any]) -> tuple[float, Any]:
    """A non-API function (stream, SQS), timed."""
    handler = functions.handler(by_id()[logical_id])
    start = time.perf_counter()
    result = handler(event, Context())
    return time.perf_counter() - start, result


def sqs_event(bodies: list[dict[str, Any]], queue: str = "queue") -> dict[str, Any]:
    return events.job_event(bodies, f"arn:aws:sqs:{REGION}:123456789012:{queue}", REGION)
