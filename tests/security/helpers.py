"""Small helpers shared by the security tests."""

import ast
from typing import Any

from tests.conftest import Api, Reply, Tenant


def invoke(api: Api, method: str, path: str, **event: Any) -> Reply:
    """Call the route's handler with an API Gateway event whose fields `event` overrides
    (e.g. a base64 body), for what `api(...)` cannot express."""
    from local_runner import events, functions
    from local_runner.invoke import LambdaContext

    found = events.find_route(api.routes, method, path)
    if found is None:
        raise AssertionError(f"no route for {method} {path}")
    route, function, params = found
    built = events.api_event(route, path, path_params=params)
    built.update(event)
    headers = built.get("headers") or {}
    built["multiValueHeaders"] = {k: [v] for k, v in headers.items()}
    return Reply.of(functions.handler(function)(built, LambdaContext.of(function)))


def assert_error(reply: Reply, status: int, code: str) -> None:
    """The contract's one error shape, with this status and code."""
    assert reply.status == status, (reply.status, reply.body)
    assert reply.headers.get("Content-Type", "application/json").startswith("application/json")
    assert isinstance(reply.body, dict) and set(reply.body) == {"error"}, reply.body
    err = reply.body["error"]
    assert set(err) == {"code", "message", "status", "request_id", "details"}, err
    assert err["code"] == code and err["status"] == status, err
    assert isinstance(err["message"], str) and err["message"]
    assert isinstance(err["details"], list)
    assert reply.headers.get("X-Request-ID") == err["request_id"]


def admin_user(api: Api, tenant: Tenant, uid: str) -> tuple[dict[str, Any], str]:
    """The user as an admin reads it, and its ETag."""
    reply = api("GET", f"/v1/users/{uid}", headers=tenant.admin())
    assert reply.status == 200, reply.body
    return dict(reply.body), reply.headers["ETag"]


def table_items() -> list[dict[str, Any]]:
    """Every item of the table (a test-only Scan), sorted: to prove that nothing was written."""
    import boto3
    from hellojohn.config import settings

    client = boto3.client("dynamodb")
    items: list[dict[str, Any]] = []
    request: dict[str, Any] = {"TableName": settings().table_name, "ConsistentRead": True}
    while True:
        out = client.scan(**request)
        items.extend(out.get("Items", []))
        if not out.get("LastEvaluatedKey"):
            break
        request["ExclusiveStartKey"] = out["LastEvaluatedKey"]
    return sorted(items, key=lambda i: (i["PK"]["S"], i["SK"]["S"]))


NOT_ISSUED = [
    '"²"',  # str.isdigit says yes, int() says no
    '"٣"',  # an Arabic-Indic digit: int() says yes, but no ETag of ours is one
    '"' + "9" * 40 + '"',  # 40 digits: over boto3's 38-digit Decimal context
    "9" * 41,
    '"' + "9" * 19 + '"',  # more digits than a version ever has
    '"02"',  # a leading zero: not how a version is written
    '"2", "3"',  # a list of tags
    'W/"2", "2"',
    '"2"x',
    "garbage",
    '""',
    "W/",
]


WRITE_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PATCH", "/v1/auth/me"): {"name": "If-Match walk"},
    ("PATCH", "/v1/users/{user_id}"): {"name": "If-Match walk"},
    ("PATCH", "/v1/users/{user_id}/metadata"): {"public_metadata": {"plan": "if-match-walk"}},
}
"""A valid body for the If-Match routes that need one (the password routes' bodies depend on the
user: the tests build them)."""


def routes_taking_if_match() -> list[tuple[str, str, bool]]:
    """(method, path, caller is the user) of every route whose handler calls `if_match`."""
    from local_runner import template

    found = []
    for function in template.functions():
        app = function.code_dir / "app.py"
        if not function.routes or not app.exists():
            continue
        source = app.read_text()
        calls = {
            node.func.id
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        }
        if "if_match" in calls:
            found += [(r.method, r.path, "auth.access_token" in source) for r in function.routes]
    return sorted(found)


def email_claims(tenant: Tenant) -> dict[str, str]:
    """Every email claim item of the tenant: address -> user id (a test-only Scan)."""
    prefix = f"TNT#{tenant.id}#EMAIL#"
    return {
        i["PK"]["S"].removeprefix(prefix): i["user_id"]["S"]
        for i in table_items()
        if i["PK"]["S"].startswith(prefix)
    }
