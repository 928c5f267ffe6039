"""One error shape: the bodies template.yaml answers with before any function runs (API Gateway's
404 for an undeclared route, the WAF's 429) are what `ApiError.payload` builds, and so is the
local runner's own 404."""

import json
from typing import Any

from hellojohn import errors
from hellojohn.errors import ApiError

from local_runner import template
from local_runner.server import error_reply


def _resources() -> dict[str, Any]:
    resources: dict[str, Any] = template.load()["Resources"]
    return resources


def test_the_gateway_404_is_the_api_not_found() -> None:
    responses = _resources()["Api"]["Properties"]["GatewayResponses"]
    missing = responses["MISSING_AUTHENTICATION_TOKEN"]
    body = json.loads(missing["ResponseTemplates"]["application/json"])
    assert missing["StatusCode"] == 404
    assert body == errors.not_found("No such route").payload("$context.requestId")


def test_the_waf_429_has_the_api_shape() -> None:
    bodies = _resources()["ApiWebAcl"]["Properties"]["CustomResponseBodies"]
    body = json.loads(bodies["TooManyAttempts"]["Content"])
    message = body["error"]["message"]
    assert body == ApiError(429, "too_many_attempts", message).payload("")


def test_the_runner_answers_an_undeclared_route_as_api_gateway_does() -> None:
    reply = error_reply(404, "not_found", "No such route", "rid")
    assert json.loads(reply.body) == errors.not_found("No such route").payload("rid")
