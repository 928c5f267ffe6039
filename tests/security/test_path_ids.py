"""Every path parameter of every route in template.yaml is checked against its id's shape
(`hellojohn.ids`) before any AWS call: 422 `validation_failed` naming the parameter. Authentication
still comes first: without a credential, a bad id is 401 like any other request.

Before: `GET /v1/users/{user_id}/events` never checked its id (a 5,000-character id was 200 on
moto; on DynamoDB a partition key over 2,048 bytes is an error, a 500), and the other routes
answered a malformed id 404 after their own check."""

import re
from collections.abc import Callable
from typing import Any

import pytest

from local_runner import template
from tests.awscalls import counting
from tests.conftest import Api, Tenant, bearer, sign_in
from tests.security.helpers import assert_error, table_items

WELL_FORMED = {
    "user_id": "usr_01HZZZZZZZZZZZZZZZZZZZZZZZ",
    "session_id": "ses_01HZZZZZZZZZZZZZZZZZZZZZZZ",
    "webhook_id": "whk_01HZZZZZZZZZZZZZZZZZZZZZZZ",
}
"""A well-formed id for each path parameter the template declares (a new one must be added here)."""

BAD: dict[str, Callable[[str], str]] = {
    "over-long": lambda good: good + "Z" * 5000,
    "malformed": lambda good: good[:4] + "not-a-ulid",
    "another kind": lambda good: ("ses_" if good.startswith("usr_") else "usr_") + good[4:],
    "lower case": lambda good: good[:4] + good[4:].lower(),
}


def _routes() -> list[tuple[str, str, list[str]]]:
    """(method, path, parameter names) of every route with path parameters, from the template."""
    found = []
    for function in template.functions():
        for route in function.routes:
            names = re.findall(r"{(\w+)}", route.path)
            if names and route.method != "OPTIONS":  # the preflight reads no id (and no AWS)
                found.append((route.method, route.path, names))
    return sorted(found, key=lambda r: (r[1], r[0]))


ROUTES = _routes()
CASES = [(m, p, name) for m, p, names in ROUTES for name in names]


def test_the_walk_covers_every_route_with_an_id() -> None:
    """12 routes, 13 path parameters today; each parameter has a well-formed value to vary from."""
    assert len(ROUTES) >= 12 and len(CASES) >= 13, ROUTES
    assert {name for _, _, name in CASES} <= set(WELL_FORMED), "give the new parameter a shape in ids.py"


def _credential(path: str, tenant: Tenant, token: str) -> dict[str, str]:
    return bearer(token) if path.startswith("/v1/auth/") else tenant.admin()


REQUESTS: dict[tuple[str, str], dict[str, Any]] = {
    ("PATCH", "/v1/users/{user_id}"): {"body": {"name": "Path ids"}},
    ("PATCH", "/v1/users/{user_id}/metadata"): {"body": {"public_metadata": {"plan": "path-ids"}}},
    ("POST", "/v1/users/{user_id}/password"): {"body": {"password": "Path-Ids-Pass-4711"}},
    ("PATCH", "/v1/webhooks/{webhook_id}"): {"body": {"description": "Path ids"}},
}
"""The body of each route with an id that needs one: valid, so the id is the only fault."""


def _request(path: str, method: str) -> dict[str, Any]:
    return REQUESTS.get((method, path), {})


def _url(path: str, values: dict[str, str], query: dict[str, str]) -> str:
    url = re.sub(r"{(\w+)}", lambda m: values[m.group(1)], path)
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@pytest.mark.parametrize(("method", "path", "name"), CASES)
def test_a_bad_id_is_422_naming_the_parameter_with_no_aws_call(
    api: Api, tenant: Tenant, user: dict[str, Any], method: str, path: str, name: str
) -> None:
    token = sign_in(api, tenant)["access_token"]
    headers = _credential(path, tenant, token)
    request = _request(path, method)
    api("GET", "/v1/users?limit=1", headers=tenant.admin())  # the key and tenant caches are warm
    api("GET", "/v1/auth/me", headers=bearer(token))  # and the signing keys
    before = table_items()
    for kind, make in BAD.items():
        values = {**WELL_FORMED, name: make(WELL_FORMED[name])}
        with counting() as calls:
            reply = api(method, _url(path, values, request.get("query", {})), request.get("body"), headers)
        assert_error(reply, 422, "validation_failed")
        assert [d["field"] for d in reply.body["error"]["details"]] == [name], (kind, reply.body)
        assert reply.body["error"]["message"].startswith(f"{name}: must be a "), reply.body
        assert calls.names() == [], (kind, calls.names())
    assert table_items() == before


@pytest.mark.parametrize(("method", "path", "name"), CASES)
def test_without_a_credential_a_bad_id_is_still_401(
    api: Api, tenant: Tenant, method: str, path: str, name: str
) -> None:
    """Authentication before validation: an anonymous caller learns nothing about its id."""
    values = {**WELL_FORMED, name: WELL_FORMED[name] + "Z" * 5000}
    request = _request(path, method)
    with counting() as calls:
        reply = api(method, _url(path, values, request.get("query", {})), request.get("body"))
    assert_error(reply, 401, "unauthorized")
    assert reply.body["error"]["details"] == []
    assert calls.names() == []


def test_the_issues_history_request(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    """The finding as reported: a 5,000-character id on the history route was answered 200."""
    reply = api("GET", f"/v1/users/{'u' * 5000}/events", headers=tenant.admin())
    assert_error(reply, 422, "validation_failed")
    assert reply.body["error"]["details"][0]["field"] == "user_id"
    # a well-formed id still reads the history; an unknown one is an empty page, as before
    assert api("GET", f"/v1/users/{user['id']}/events", headers=tenant.admin()).status == 200


def test_the_openapi_document_gives_each_id_its_shape() -> None:
    import json

    from scripts import openapi

    doc = json.loads(openapi.DOC.read_text())
    for method, path, names in ROUTES:
        params = {p["name"]: p for p in doc["paths"][path][method.lower()]["parameters"] if p["in"] == "path"}
        for name in names:
            prefix = WELL_FORMED[name][:4]
            assert params[name]["schema"]["pattern"].startswith(f"^{prefix}"), (path, params[name])
            assert params[name]["schema"]["maxLength"] == 30
