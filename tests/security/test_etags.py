"""Optimistic concurrency: every user response carries an ETag; If-Match makes a mutation conditional."""

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import PASSWORD, Api, Reply, Tenant, bearer, sign_in
from tests.security.helpers import admin_user, assert_error

NEW = "Battery-Staple-77"

# each mutation of a user: (name, call(api, tenant, uid, access_token, headers) -> Reply)
Mutation = Callable[[Api, Tenant, str, str, dict[str, str]], Reply]
MUTATIONS: dict[str, Mutation] = {
    "admin patch": lambda api, t, uid, tok, h: api(
        "PATCH", f"/v1/users/{uid}", {"name": "Zed"}, {**t.admin(), **h}
    ),
    "admin patch email": lambda api, t, uid, tok, h: api(
        "PATCH", f"/v1/users/{uid}", {"email": "zed@example.com"}, {**t.admin(), **h}
    ),
    "admin patch email switch": lambda api, t, uid, tok, h: api(
        "PATCH", f"/v1/users/{uid}", {"email": "zed@example.com", "email_verified": True}, {**t.admin(), **h}
    ),
    "self patch": lambda api, t, uid, tok, h: api(
        "PATCH", "/v1/auth/me", {"name": "Zed"}, {**bearer(tok), **h}
    ),
    "self patch email": lambda api, t, uid, tok, h: api(
        "PATCH", "/v1/auth/me", {"email": "zed@example.com"}, {**bearer(tok), **h}
    ),
    "password set": lambda api, t, uid, tok, h: api(
        "POST", f"/v1/users/{uid}/password", {"password": NEW}, {**t.admin(), **h}
    ),
    "password change": lambda api, t, uid, tok, h: api(
        "POST",
        "/v1/auth/password/change",
        {"current_password": PASSWORD, "new_password": NEW},
        {**bearer(tok), **h},
    ),
    "disable": lambda api, t, uid, tok, h: api("POST", f"/v1/users/{uid}/disable", None, {**t.admin(), **h}),
    "enable": lambda api, t, uid, tok, h: api("POST", f"/v1/users/{uid}/enable", None, {**t.admin(), **h}),
}

# what a mutation needs first, to be a change at all ("enable" of an enabled user changes nothing)
BEFORE: dict[str, Callable[[Api, Tenant, str], Reply]] = {
    "enable": lambda api, t, uid: api("POST", f"/v1/users/{uid}/disable", None, t.admin()),
}


def _prepared(api: Api, tenant: Tenant, uid: str, name: str) -> str:
    """The ETag the user has once the mutation's preparation (if any) is made."""
    if name in BEFORE:
        assert BEFORE[name](api, tenant, uid).status == 200
        return '"2"'  # created at 1 (a sign-in moves no version), the preparation 2
    return '"1"'


def _state(api: Api, tenant: Tenant, uid: str) -> tuple[dict[str, Any], str, bool]:
    """What a mutation could change: the user, its ETag, and whether the old password still works."""
    user, etag = admin_user(api, tenant, uid)
    from hellojohn.rules import passwords
    from hellojohn.store import users as store

    stored = store.get(tenant.id, uid)
    assert stored is not None
    return user, etag, bool(passwords.verify(stored.password_hash, PASSWORD))


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_stale_if_match_is_412_and_changes_nothing(
    api: Api, tenant: Tenant, user: dict[str, Any], name: str
) -> None:
    uid = user["id"]
    token = sign_in(api, tenant)["access_token"]
    etag = _prepared(api, tenant, uid, name)
    before = _state(api, tenant, uid)
    assert before[1] == etag
    v = int(etag.strip('"'))
    for stale in (f'"{v - 1}"', f'W/"{v - 1}"', f'"{v + 1}"', '"abc"', '"-1"'):
        reply = MUTATIONS[name](api, tenant, uid, token, {"If-Match": stale})
        assert_error(reply, 412, "precondition_failed")
        assert _state(api, tenant, uid) == before


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_current_if_match_applies_and_returns_the_new_etag(
    api: Api, tenant: Tenant, user: dict[str, Any], name: str
) -> None:
    uid = user["id"]
    token = sign_in(api, tenant)["access_token"]
    _prepared(api, tenant, uid, name)
    _, etag, _ = _state(api, tenant, uid)
    for current in (etag, "W/" + etag):
        reply = MUTATIONS[name](api, tenant, uid, token, {"If-Match": current})
        if reply.status == 200:
            break
    assert reply.status == 200, reply.body
    assert reply.headers["ETag"] == f'"{int(etag.strip(chr(34))) + 1}"'
    assert admin_user(api, tenant, uid)[1] == reply.headers["ETag"]


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_if_match_star_or_absent_is_unconditional(
    api: Api, tenant: Tenant, user: dict[str, Any], name: str
) -> None:
    uid = user["id"]
    token = sign_in(api, tenant)["access_token"]
    reply = MUTATIONS[name](api, tenant, uid, token, {"If-Match": "*"})
    assert reply.status == 200, reply.body


def test_every_user_response_carries_its_etag(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    uid = user["id"]
    created = api("POST", "/v1/users", {"email": "e@example.com"}, tenant.admin())
    assert created.status == 201 and created.headers["ETag"] == '"1"'
    token = sign_in(api, tenant)["access_token"]
    requests: list[Callable[[], Reply]] = [
        lambda: api("GET", f"/v1/users/{uid}", headers=tenant.admin()),
        lambda: api("GET", "/v1/auth/me", headers=bearer(token)),
        lambda: api("PATCH", f"/v1/users/{uid}", {"name": "A"}, tenant.admin()),
        lambda: api("PATCH", "/v1/auth/me", {"name": "B"}, bearer(token)),
        lambda: api("POST", f"/v1/users/{uid}/disable", None, tenant.admin()),
        lambda: api("POST", f"/v1/users/{uid}/enable", None, tenant.admin()),
        lambda: api("POST", f"/v1/users/{uid}/password", {"password": NEW}, tenant.admin()),
        lambda: api(
            "POST",
            "/v1/auth/password/change",
            {"current_password": NEW, "new_password": PASSWORD},
            bearer(token),
        ),
    ]
    for request in requests:
        reply = request()
        assert reply.status == 200, reply.body
        etag = reply.headers["ETag"]
        assert etag.startswith('"') and etag.endswith('"') and etag.strip('"').isdigit()
        assert api("GET", f"/v1/users/{uid}", headers=tenant.admin()).headers["ETag"] == etag


def test_read_modify_write_with_etag(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    """Two admins read the same version; the second write, made on a stale read, is refused."""
    uid = user["id"]
    _, etag = admin_user(api, tenant, uid)
    first = api("PATCH", f"/v1/users/{uid}", {"role": "admin"}, {**tenant.admin(), "If-Match": etag})
    second = api("PATCH", f"/v1/users/{uid}", {"role": "member"}, {**tenant.admin(), "If-Match": etag})
    assert first.status == 200
    assert_error(second, 412, "precondition_failed")
    assert admin_user(api, tenant, uid)[0]["role"] == "admin"


def test_without_if_match_concurrent_changes_are_both_kept(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    """No If-Match: each write applies only what it names, so interleaved writes lose nothing."""
    uid = user["id"]
    token = sign_in(api, tenant)["access_token"]
    assert api("PATCH", f"/v1/users/{uid}", {"role": "admin"}, tenant.admin()).status == 200
    assert api("PATCH", "/v1/auth/me", {"phone_number": "+14155552671"}, bearer(token)).status == 200
    assert api("PATCH", f"/v1/users/{uid}", {"email": "new@example.com"}, tenant.admin()).status == 200
    assert api("POST", f"/v1/users/{uid}/disable", None, tenant.admin()).status == 200
    final, _ = admin_user(api, tenant, uid)
    assert (final["role"], final["phone_number"], final["pending_email"], final["disabled"]) == (
        "admin",
        "+14155552671",
        "new@example.com",
        True,
    )
