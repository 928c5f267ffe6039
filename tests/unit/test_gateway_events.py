"""The API Gateway (REST, proxy integration) side of the runner: how a request is routed and what
event it becomes (local_runner.events, local_runner.server)."""

import base64
import json
from typing import Any

import pytest

from local_runner import events, template
from local_runner.environments import EnvironmentDied, FunctionError, Unavailable
from local_runner.server import Gateway
from local_runner.template import Route

ROUTES = events.route_table(template.functions())


@pytest.mark.parametrize(
    ("method", "path", "resource", "params"),
    [
        ("GET", "/v1/users/usr_1", "/v1/users/{user_id}", {"user_id": "usr_1"}),
        ("POST", "/v1/users/usr_1/disable", "/v1/users/{user_id}/disable", {"user_id": "usr_1"}),
        ("GET", "/v1/users/usr_1%2Fdisable", "/v1/users/{user_id}", {"user_id": "usr_1%2Fdisable"}),
        ("GET", "/v1/users/a%20b", "/v1/users/{user_id}", {"user_id": "a%20b"}),
        ("POST", "/v1/users/usr_1%2Fdisable", None, None),
        ("POST", "/v1/users/usr_1%2fdisable", None, None),
    ],
)
def test_routing_is_on_the_raw_path(method: str, path: str, resource: str | None, params: Any) -> None:
    found = events.find_route(ROUTES, method, path)
    if resource is None:
        assert found is None
        return
    assert found is not None
    route, _, got = found
    assert (route.path, got) == (resource, params)


def test_an_undeclared_encoded_route_is_the_gateways_404() -> None:
    gateway = Gateway([f for f in template.functions() if f.routes])
    reply = gateway.handle("POST", "/v1/users/usr_1%2Fdisable", [], b"{}")
    assert reply.status == 404
    assert json.loads(reply.body)["error"]["code"] == "not_found"


def test_headers_keep_their_spelling_and_every_value() -> None:
    pairs = [("X-Tenant-ID", "a"), ("accept", "text/html"), ("x-tenant-id", "b"), ("User-Agent", "curl")]
    event = events.api_event(Route("GET", "/v1/auth/me"), "/v1/auth/me", headers=pairs)
    assert event["headers"] == {"X-Tenant-ID": "b", "accept": "text/html", "User-Agent": "curl"}
    assert event["multiValueHeaders"] == {
        "X-Tenant-ID": ["a", "b"],
        "accept": ["text/html"],
        "User-Agent": ["curl"],
    }
    assert event["requestContext"]["identity"]["userAgent"] == "curl"
    lower = events.api_event(Route("GET", "/x"), "/x", headers={"user-agent": "wget"})
    assert lower["requestContext"]["identity"]["userAgent"] == "wget"
    none = events.api_event(Route("GET", "/x"), "/x", headers={}, source_ip="198.51.100.7")
    assert none["requestContext"]["identity"] == {"sourceIp": "198.51.100.7", "userAgent": None}


def test_a_text_body_is_utf8_with_invalid_bytes_replaced() -> None:
    raw = b'{"name": "caf\xc3\xa9 \xff"}'
    event = events.api_event(
        Route("POST", "/x"), "/x", headers={"Content-Type": "application/json"}, body=raw
    )
    assert (event["body"], event["isBase64Encoded"]) == ('{"name": "café \ufffd"}', False)
    assert events.api_event(Route("POST", "/x"), "/x", body=b"")["body"] is None


def test_a_binary_media_type_is_base64(monkeypatch: pytest.MonkeyPatch) -> None:
    assert events.binary_media_types() == ()  # the template declares none
    monkeypatch.setattr(events, "binary_media_types", lambda: ("application/octet-stream", "image/*"))
    for media in ("application/octet-stream", "Image/PNG"):
        event = events.api_event(Route("POST", "/x"), "/x", headers={"content-type": media}, body=b"\xff\x00")
        assert (event["body"], event["isBase64Encoded"]) == (base64.b64encode(b"\xff\x00").decode(), True)


@pytest.mark.parametrize(
    ("failure", "status", "code"),
    [
        (FunctionError("ValueError: boom"), 500, "internal_error"),
        (EnvironmentDied("its environment ended"), 500, "internal_error"),
        (Unavailable("10 environments busy for 29.0 s"), 503, "service_unavailable"),
        (ValueError("raised in process"), 500, "internal_error"),
    ],
)
def test_an_invocation_that_does_not_return_is_answered_in_the_contracts_shape(
    failure: Exception, status: int, code: str
) -> None:
    """A handler that raised, an environment that died, none free in time (the runner's execution
    environments), or a handler raising in process: the contract's error, with the request's id."""

    def invoke(function: template.Function, event: dict[str, Any]) -> Any:
        raise failure

    gateway = Gateway([f for f in template.functions() if f.routes], invoker=invoke)
    reply = gateway.handle("GET", "/v1/.well-known/jwks.json", [], b"")
    body = json.loads(reply.body)
    headers = dict(reply.headers)
    assert reply.status == status and body["error"]["code"] == code
    assert body["error"]["request_id"] == headers["X-Request-ID"]
    assert headers.get("Retry-After") == ("1" if status == 503 else None)
