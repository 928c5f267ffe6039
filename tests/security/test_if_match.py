"""If-Match, the one parser (`hellojohn.edge.resolver.if_match`), and writes that change nothing.

The routes that take If-Match are found from the code: every function of template.yaml whose
handler calls `if_match`. Each answers anything that is not a version this API issued with 412
`precondition_failed` (never 500) and changes nothing.
"""

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import PASSWORD, Api, Reply, Tenant, bearer, sign_in
from tests.pipeline import Pipeline
from tests.security.helpers import NOT_ISSUED, WRITE_BODIES, admin_user, assert_error, routes_taking_if_match

NEW = "Battery-Staple-77"
ROUTES = routes_taking_if_match()


def test_the_walk_finds_every_writing_route() -> None:
    """A floor, so a walk that found nothing cannot pass: the 8 user writes of the contract."""
    assert len(ROUTES) >= 8, ROUTES
    assert ("PATCH", "/v1/users/{user_id}/metadata", False) in ROUTES
    assert ("POST", "/v1/auth/password/change", True) in ROUTES


def _request(method: str, path: str, by_user: bool, uid: str) -> tuple[str, Any]:
    body = WRITE_BODIES.get((method, path))
    if path == "/v1/auth/password/change":
        body = {"current_password": PASSWORD, "new_password": NEW}
    if path.endswith("/password") and not by_user:
        body = {"password": NEW}
    return path.replace("{user_id}", uid), body


@pytest.mark.parametrize(("method", "path", "by_user"), ROUTES)
def test_if_match_not_issued_by_this_api_is_412_on_every_route(
    api: Api, tenant: Tenant, user: dict[str, Any], method: str, path: str, by_user: bool
) -> None:
    uid = user["id"]
    token = sign_in(api, tenant)["access_token"]
    credential = bearer(token) if by_user else tenant.admin()
    before = admin_user(api, tenant, uid)
    target, body = _request(method, path, by_user, uid)
    for value in NOT_ISSUED:
        reply = api(method, target, body, {**credential, "If-Match": value})
        assert_error(reply, 412, "precondition_failed")
        assert admin_user(api, tenant, uid) == before, value
    applied = api(method, target, body, {**credential, "If-Match": before[1]})
    assert applied.status == 200, applied.body  # the same request with the current ETag goes through


def test_the_header_twice_is_412(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    """Two If-Match headers (API Gateway's multiValueHeaders) are a list: not one version."""
    from local_runner import events, functions
    from local_runner.invoke import LambdaContext

    path = f"/v1/users/{user['id']}"
    route, function, params = events.find_route(api.routes, "PATCH", path) or (None, None, None)
    assert route is not None and function is not None
    event = events.api_event(
        route,
        path,
        headers={**tenant.admin(), "Content-Type": "application/json", "If-Match": '"1"'},
        body='{"name": "Twice"}',
        query={},
        path_params=params,
    )
    event["multiValueHeaders"] = {**(event.get("multiValueHeaders") or {}), "If-Match": ['"1"', '"1"']}
    reply = Reply.of(functions.handler(function)(event, LambdaContext.of(function)))
    assert_error(reply, 412, "precondition_failed")
    assert admin_user(api, tenant, user["id"])[0]["name"] == "Alice"


# -- a write that changes nothing is not a write ---------------------------------------------------

NoOp = Callable[[Api, Tenant, str, str, dict[str, str]], Reply]
NO_OPS: dict[str, NoOp] = {
    "enable an enabled user": lambda api, t, uid, tok, h: api(
        "POST", f"/v1/users/{uid}/enable", None, {**t.admin(), **h}
    ),
    "unlock an unlocked user": lambda api, t, uid, tok, h: api(
        "POST", f"/v1/users/{uid}/unlock", None, {**t.admin(), **h}
    ),
    "admin PATCH of the same name": lambda api, t, uid, tok, h: api(
        "PATCH", f"/v1/users/{uid}", {"name": "Alice", "role": "member"}, {**t.admin(), **h}
    ),
    "admin PATCH of the same email": lambda api, t, uid, tok, h: api(
        "PATCH", f"/v1/users/{uid}", {"email": "alice@example.com"}, {**t.admin(), **h}
    ),
    "admin PATCH clearing empty metadata": lambda api, t, uid, tok, h: api(
        "PATCH", f"/v1/users/{uid}", {"public_metadata": None, "private_metadata": {}}, {**t.admin(), **h}
    ),
    "self PATCH of the same name": lambda api, t, uid, tok, h: api(
        "PATCH", "/v1/auth/me", {"name": "Alice"}, {**bearer(tok), **h}
    ),
    "an empty metadata merge": lambda api, t, uid, tok, h: api(
        "PATCH", f"/v1/users/{uid}/metadata", {"public_metadata": {}}, {**t.admin(), **h}
    ),
    "a merge removing what is absent": lambda api, t, uid, tok, h: api(
        "PATCH", f"/v1/users/{uid}/metadata", {"private_metadata": {"gone": None}}, {**t.admin(), **h}
    ),
}


@pytest.fixture
def pipe(aws: dict[str, str]) -> Pipeline:
    return Pipeline(aws)


@pytest.mark.parametrize("name", list(NO_OPS))
@pytest.mark.parametrize("if_match", [False, True])
def test_a_write_that_changes_nothing_keeps_the_etag_and_makes_no_stream_record(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline, name: str, if_match: bool
) -> None:
    uid = user["id"]
    token = sign_in(api, tenant)["access_token"]
    pipe.pump()
    before, etag = admin_user(api, tenant, uid)
    # with If-Match: the caller's ETag still matches, and still will after the answer
    reply = NO_OPS[name](api, tenant, uid, token, {"If-Match": etag} if if_match else {})
    assert reply.status == 200, reply.body
    assert reply.headers["ETag"] == etag
    assert admin_user(api, tenant, uid) == (before, etag)
    assert pipe.pending_records() == []  # no write: nothing on the stream, so no event, no history


def test_disabling_a_disabled_user_keeps_when_it_was_disabled(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    uid = user["id"]
    first = api("POST", f"/v1/users/{uid}/disable", None, tenant.admin())
    assert first.status == 200
    pipe.pump()
    again = api("POST", f"/v1/users/{uid}/disable", {"revoke_sessions": True}, tenant.admin())
    assert again.status == 200 and again.headers["ETag"] == first.headers["ETag"]
    assert again.body["disabled_at"] == first.body["disabled_at"]
    assert pipe.pending_records() == []


def test_a_real_change_still_moves_the_etag(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    uid = user["id"]
    _, etag = admin_user(api, tenant, uid)
    reply = api("PATCH", f"/v1/users/{uid}", {"name": "alice"}, tenant.admin())  # re-cased: a change
    assert reply.status == 200 and reply.headers["ETag"] == f'"{int(etag.strip(chr(34))) + 1}"'
