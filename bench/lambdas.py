"""The API functions of template.yaml, run in this process against moto, one handler call timed at a time.

The API Gateway event is built before the clock starts: only `lambda_handler(event, context)` is
timed, which is what Lambda bills.
"""

import json
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from hellojohn.edge import caches

from local_runner import events, functions, template
from local_runner.aws import safe_environment, use_safe_environment
from local_runner.invoke import REGION, LambdaContext

# As Lambda runs a function: without Powertools' dev mode (pretty-printed logs, extra checks), whatever
# this shell says, and with LAMBDA_TASK_ROOT set, so that X-Ray's SDK starts in its Lambda mode (outside
# it, its import builds two X-Ray clients for centralised sampling, about 150 ms Lambda never pays).
# The Tracer stays off: with no X-Ray daemon and no trace header there is nothing to send to.
LAMBDA_LIKE = {
    "POWERTOOLS_DEV": "false",
    "LAMBDA_TASK_ROOT": "/var/task",
    "POWERTOOLS_TRACE_DISABLED": "true",
}


def environment(base: Mapping[str, str], endpoint: str | None = None) -> dict[str, str]:
    """`base` for a measured subprocess: `local_runner.aws.safe_environment` (nothing can reach real
    AWS), without Powertools' dev mode."""
    return {**safe_environment(base, endpoint, REGION), **LAMBDA_LIKE}


def use_environment(endpoint: str | None = None) -> None:
    """This process's environment made `environment(os.environ, endpoint)`, and boto3's default
    session made anew from it."""
    use_safe_environment(endpoint, REGION)
    os.environ.update(LAMBDA_LIKE)


@contextmanager
def moto_env() -> Iterator[dict[str, str]]:
    """moto in-process (mock_aws, made lean: bench.motolean), the template's resources, and the
    functions' environment."""
    from moto import mock_aws

    from bench.motolean import lean
    from local_runner import provision

    use_environment()
    with mock_aws():
        refs = provision.create_all()
        os.environ.update(provision.environment(template.functions(), refs))
        os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # the workers log an INFO line per job
        caches.reset()
        try:
            with lean(REGION):
                yield refs
        finally:
            caches.reset()


@dataclass
class Reply:
    status: int
    body: Any
    seconds: float


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
    context = LambdaContext.of(function)
    start = time.perf_counter()
    result = handler(event, context)
    seconds = time.perf_counter() - start
    text = result.get("body") or ""
    return Reply(result["statusCode"], json.loads(text) if text else None, seconds)
