"""Temporary passwords (issue 13, part 3): `POST /v1/users/{id}/password` with `temporary: true`.

The user signs in with it; until they change it, every access-token route but GET /v1/auth/me,
POST /v1/auth/password/change and POST /v1/auth/sign-out answers 403 password_change_required
(one gate, `hellojohn.edge.auth.access_token`). It expires after the tenant's days."""

import re
from typing import Any

import pytest

from tests.conftest import PASSWORD, Api, Clock, Tenant, bearer, sign_in
from tests.handlers.helpers import get_user

TEMPORARY = "Temporary-Pass-123"
NEW = "Brand-New-Secret-99"
ALLOWED = {("GET", "/v1/auth/me"), ("POST", "/v1/auth/password/change"), ("POST", "/v1/auth/sign-out")}


def set_temporary(api: Api, tenant: Tenant, uid: str, **extra: Any) -> dict[str, Any]:
    body = {"password": TEMPORARY, "temporary": True, **extra}
    reply = api("POST", f"/v1/users/{uid}/password", body, tenant.admin())
    assert reply.status == 200, reply.body
    return dict(reply.body)


def change(api: Api, token: str, current: str = TEMPORARY, new: str = NEW) -> Any:
    body = {"current_password": current, "new_password": new}
    return api("POST", "/v1/auth/password/change", body, bearer(token))


def test_the_flag_shows_in_both_views_and_a_change_clears_it(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    assert user["password_change_required"] is False
    admin = set_temporary(api, tenant, user["id"])
    assert admin["password_change_required"] is True
    assert get_user(api, tenant, user["id"])["password_change_required"] is True
    session = sign_in(api, tenant, password=TEMPORARY)
    me = api("GET", "/v1/auth/me", headers=bearer(session["access_token"]))
    assert me.status == 200 and me.body["password_change_required"] is True
    assert "private_metadata" not in me.body

    changed = change(api, session["access_token"])
    assert changed.status == 200, changed.body
    assert changed.body["password_change_required"] is False
    assert get_user(api, tenant, user["id"])["password_change_required"] is False
    # the token issued while the password was temporary keeps its claim; a refresh lifts it
    stale = api("PATCH", "/v1/auth/me", {"name": "A"}, bearer(session["access_token"]))
    assert stale.error == "password_change_required"
    fresh = api("POST", "/v1/auth/refresh", {"refresh_token": session["refresh_token"]}, tenant.public())
    assert fresh.status == 200, fresh.body
    patched = api("PATCH", "/v1/auth/me", {"name": "A"}, bearer(fresh.body["session"]["access_token"]))
    assert patched.status == 200, patched.body
    # and the new password signs in ungated
    again = sign_in(api, tenant, password=NEW)
    assert api("PATCH", "/v1/auth/me", {"name": "B"}, bearer(again["access_token"])).status == 200


def test_setting_a_temporary_password_signs_every_session_out(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    """The gate reads only the token's claim: a token issued before the password became temporary
    must not stay live, or it would skip the gate."""
    before = sign_in(api, tenant)
    set_temporary(api, tenant, user["id"])
    for method, path, body in (("GET", "/v1/auth/me", None), ("PATCH", "/v1/auth/me", {"name": "X"})):
        reply = api(method, path, body, bearer(before["access_token"]))
        assert reply.error == "session_revoked", (method, path, reply.body)
    refreshed = api("POST", "/v1/auth/refresh", {"refresh_token": before["refresh_token"]}, tenant.public())
    assert refreshed.error == "session_revoked"


def test_temporary_signs_every_session_out_even_with_sign_out_all_sessions_false(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    """What a generated client sends (the field's default, false) must work: a temporary password
    signs every session out whatever the flag says, as the OpenAPI document's description states."""
    before = sign_in(api, tenant, user["email"])
    body = {"password": TEMPORARY, "temporary": True, "sign_out_all_sessions": False}
    reply = api("POST", f"/v1/users/{user['id']}/password", body, tenant.admin())
    assert reply.status == 200, reply.body
    assert reply.body["password_change_required"] is True
    assert api("GET", "/v1/auth/me", headers=bearer(before["access_token"])).error == "session_revoked"


def test_an_admin_setting_a_password_that_is_not_temporary_clears_the_flag(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    set_temporary(api, tenant, user["id"])
    reply = api("POST", f"/v1/users/{user['id']}/password", {"password": NEW}, tenant.admin())
    assert reply.status == 200 and reply.body["password_change_required"] is False
    session = sign_in(api, tenant, password=NEW)
    assert api("PATCH", "/v1/auth/me", {"name": "Z"}, bearer(session["access_token"])).status == 200


def test_changing_a_temporary_password_to_itself_keeps_the_flag(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    """The admin's choice cannot be made permanent by "changing" it to itself: 422, and the gate
    stays until a password of the user's own is set."""
    set_temporary(api, tenant, user["id"])
    session = sign_in(api, tenant, password=TEMPORARY)
    same = change(api, session["access_token"], new=TEMPORARY)
    assert (same.status, same.error) == (422, "password_too_weak"), same.body
    assert same.body["error"]["message"] == "Password must differ from the current password"
    assert get_user(api, tenant, user["id"])["password_change_required"] is True
    again = sign_in(api, tenant, password=TEMPORARY)
    assert api("PATCH", "/v1/auth/me", {"name": "X"}, bearer(again["access_token"])).error == (
        "password_change_required"
    )
    assert change(api, again["access_token"]).status == 200  # a different one lifts it
    assert get_user(api, tenant, user["id"])["password_change_required"] is False


def test_an_admin_setting_the_temporary_password_again_keeps_the_flag(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    set_temporary(api, tenant, user["id"])
    reply = api("POST", f"/v1/users/{user['id']}/password", {"password": TEMPORARY}, tenant.admin())
    assert (reply.status, reply.error) == (422, "password_too_weak"), reply.body
    assert get_user(api, tenant, user["id"])["password_change_required"] is True


def _concrete(path: str, uid: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: uid if m.group(1) == "user_id" else "ses_x", path)


def test_the_gate_covers_every_access_token_route_of_the_template(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    """Every route template.yaml declares: the ones that take an access token answer a temporary
    password's token 403 password_change_required before anything else, except the allow-list.
    A route added later is in this loop without a change here."""
    set_temporary(api, tenant, user["id"])
    token = sign_in(api, tenant, password=TEMPORARY)["access_token"]
    access_routes = set()
    for route, _ in api.routes:
        if route.method == "OPTIONS":
            continue
        path = _concrete(route.path, user["id"])
        if api(route.method, path, {}).status != 401:
            continue  # public (the JWKS): no credential at all
        key = (route.method, route.path)
        if key in ALLOWED:
            access_routes.add(key)
            continue
        reply = api(route.method, path, {}, bearer(token))
        if reply.error == "forbidden":
            continue  # a secret- or publishable-key route: an access token is refused anyway
        assert (reply.status, reply.error) == (403, "password_change_required"), (key, reply.body)
        assert "password" in reply.body["error"]["message"]
        access_routes.add(key)
    assert {("PATCH", "/v1/auth/me")} | ALLOWED <= access_routes
    # nothing was changed by the refused requests
    assert get_user(api, tenant, user["id"])["name"] == "Alice"


def test_me_change_and_sign_out_are_allowed(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    set_temporary(api, tenant, user["id"])
    one = sign_in(api, tenant, password=TEMPORARY)
    two = sign_in(api, tenant, password=TEMPORARY)
    assert api("GET", "/v1/auth/me", headers=bearer(one["access_token"])).status == 200
    assert api("POST", "/v1/auth/sign-out", headers=bearer(one["access_token"])).status == 204
    assert api("GET", "/v1/auth/me", headers=bearer(one["access_token"])).error == "session_revoked"
    assert change(api, two["access_token"]).status == 200


def test_admin_routes_are_not_gated(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    set_temporary(api, tenant, user["id"])
    reply = api("PATCH", f"/v1/users/{user['id']}", {"name": "Admin-set"}, tenant.admin())
    assert reply.status == 200 and reply.body["password_change_required"] is True


def test_the_temporary_password_expires_after_the_tenants_days(
    api: Api, tenant: Tenant, user: dict[str, Any], clock: Clock
) -> None:
    set_temporary(api, tenant, user["id"])
    clock.advance(7 * 86400 - 60)
    inside = sign_in(api, tenant, password=TEMPORARY)
    clock.advance(120)
    reply = api(
        "POST", "/v1/auth/sign-in", {"email": "alice@example.com", "password": TEMPORARY}, tenant.public()
    )
    assert (reply.status, reply.error) == (403, "temporary_password_expired")
    # a session opened in time cannot change it either once it has expired
    late = change(api, inside["access_token"])
    assert (late.status, late.error) == (403, "temporary_password_expired")
    # a new password from the admin lets the user in
    api("POST", f"/v1/users/{user['id']}/password", {"password": NEW}, tenant.admin())
    assert sign_in(api, tenant, password=NEW)["access_token"]


def test_the_days_are_the_tenants_setting(
    api: Api, tenant: Tenant, user: dict[str, Any], clock: Clock
) -> None:
    from hellojohn.edge import caches
    from hellojohn.store import tenants as tenant_store

    stored = tenant_store.get(tenant.id)
    assert stored is not None and stored.temporary_password_days == 7  # the default
    _set_days(tenant.id, 1)
    caches.forget_data()
    set_temporary(api, tenant, user["id"])
    clock.advance(86400 + 1)
    reply = api(
        "POST", "/v1/auth/sign-in", {"email": "alice@example.com", "password": TEMPORARY}, tenant.public()
    )
    assert reply.error == "temporary_password_expired"


def _set_days(tid: str, days: int) -> None:
    import boto3
    from hellojohn.config import settings
    from hellojohn.store import keys

    boto3.client("dynamodb").update_item(
        TableName=settings().table_name,
        Key=keys.tenant(tid),
        UpdateExpression="SET temporary_password_days = :d",
        ExpressionAttributeValues={":d": {"N": str(days)}},
    )


@pytest.mark.parametrize("expired", [False, True])
def test_a_wrong_password_is_any_wrong_password(
    api: Api, tenant: Tenant, user: dict[str, Any], clock: Clock, expired: bool
) -> None:
    """Only the right temporary password learns that it expired; a wrong one is 401
    invalid_credentials and counts towards the lock, as without a temporary password."""
    set_temporary(api, tenant, user["id"])
    if expired:
        clock.advance(8 * 86400)
    wrong = {"email": "alice@example.com", "password": "Not-The-Password-1"}
    unknown = {"email": "nobody@example.com", "password": "Not-The-Password-1"}
    first = api("POST", "/v1/auth/sign-in", wrong, tenant.public())
    stranger = api("POST", "/v1/auth/sign-in", unknown, tenant.public())
    assert first.status == stranger.status == 401
    assert first.error == stranger.error == "invalid_credentials"
    assert first.body["error"]["message"] == stranger.body["error"]["message"]
    codes = [api("POST", "/v1/auth/sign-in", wrong, tenant.public()).error for _ in range(10)]
    assert "too_many_attempts" in codes  # the lock still applies
    right = api(
        "POST", "/v1/auth/sign-in", {"email": "alice@example.com", "password": TEMPORARY}, tenant.public()
    )
    assert right.error == "too_many_attempts"  # locked: not even the right password gets through


def test_a_wrong_current_password_during_a_temporary_one(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    set_temporary(api, tenant, user["id"])
    session = sign_in(api, tenant, password=TEMPORARY)
    reply = change(api, session["access_token"], current=PASSWORD)
    assert (reply.status, reply.error) == (401, "invalid_credentials")
    assert get_user(api, tenant, user["id"])["password_change_required"] is True
