"""PATCH /v1/auth/me (access token): the self-service column of the seed page."""

from typing import Any

import pytest

from tests.conftest import Api, Clock, Tenant, bearer, sign_in
from tests.handlers.helpers import get_user


@pytest.fixture
def session(api: Api, tenant: Tenant, user: dict[str, Any]) -> dict[str, Any]:
    return sign_in(api, tenant)


def me_patch(api: Api, session: dict[str, Any], body: Any, **headers: str) -> Any:
    return api("PATCH", "/v1/auth/me", body, {**bearer(session["access_token"]), **headers})


def me(api: Api, session: dict[str, Any]) -> dict[str, Any]:
    reply = api("GET", "/v1/auth/me", headers=bearer(session["access_token"]))
    assert reply.status == 200, reply.body
    return dict(reply.body)


def test_the_seed_react_form(api: Api, tenant: Tenant, user: dict[str, Any], session: dict[str, Any]) -> None:
    """`update({name, avatar_url})` from the seed's EditProfile form, with the avatar input left empty."""
    api("PATCH", f"/v1/users/{user['id']}", {"avatar_url": "https://cdn.example.com/a.png"}, tenant.admin())
    reply = me_patch(api, session, {"name": "Alice Q. Public", "avatar_url": ""})
    assert reply.status == 200, reply.body
    assert reply.body["name"] == "Alice Q. Public"
    assert reply.body["avatar_url"] is None
    assert "private_metadata" not in reply.body
    assert me(api, session) == reply.body
    assert get_user(api, tenant, user["id"])["avatar_url"] is None


def test_the_seed_react_form_setting_an_avatar(api: Api, session: dict[str, Any]) -> None:
    reply = me_patch(api, session, {"name": "Alice", "avatar_url": "https://cdn.example.com/me.png"})
    assert reply.status == 200, reply.body
    assert reply.body["avatar_url"] == "https://cdn.example.com/me.png"


def test_phone_number_and_name(
    api: Api, tenant: Tenant, user: dict[str, Any], session: dict[str, Any]
) -> None:
    before = get_user(api, tenant, user["id"])
    reply = me_patch(api, session, {"phone_number": "+1 415 555 2671"})
    assert reply.status == 200, reply.body
    assert reply.body["phone_number"] == "+14155552671"
    after = get_user(api, tenant, user["id"])
    changed = {k for k in after if after[k] != before[k]}
    assert "phone_number" in changed
    assert changed <= {"phone_number", "updated_at"}


def test_email_change_needs_verification(
    api: Api, tenant: Tenant, user: dict[str, Any], session: dict[str, Any]
) -> None:
    reply = me_patch(api, session, {"email": "alice.self@example.com"})
    assert reply.status == 200, reply.body
    assert reply.body["email"] == "alice@example.com"
    assert reply.body["pending_email"] == "alice.self@example.com"
    assert get_user(api, tenant, user["id"])["pending_email"] == "alice.self@example.com"


ADMIN_ONLY = {
    "role": "admin",
    "email_verified": True,
    "public_metadata": {"plan": "free-upgrade"},
    "private_metadata": {"credit": 1_000_000},
}


@pytest.mark.parametrize("field", sorted(ADMIN_ONLY))
def test_admin_only_field_is_forbidden_field_and_nothing_changes(
    api: Api, tenant: Tenant, user: dict[str, Any], session: dict[str, Any], field: str
) -> None:
    before = get_user(api, tenant, user["id"])
    reply = me_patch(api, session, {"name": "Mallory", field: ADMIN_ONLY[field]})
    assert reply.status == 403, reply.body
    assert reply.error == "forbidden_field"
    assert [d["field"] for d in reply.body["error"]["details"]] == [field]
    assert field in reply.body["error"]["message"]
    assert get_user(api, tenant, user["id"]) == before


def test_forbidden_field_names_every_admin_field_sent(
    api: Api, tenant: Tenant, user: dict[str, Any], session: dict[str, Any]
) -> None:
    before = get_user(api, tenant, user["id"])
    reply = me_patch(api, session, {"email": "new@example.com", **ADMIN_ONLY})
    assert reply.status == 403, reply.body
    assert reply.error == "forbidden_field"
    assert sorted(d["field"] for d in reply.body["error"]["details"]) == sorted(ADMIN_ONLY)
    assert get_user(api, tenant, user["id"]) == before


def test_forbidden_field_even_when_null_or_invalid(
    api: Api, tenant: Tenant, user: dict[str, Any], session: dict[str, Any]
) -> None:
    before = get_user(api, tenant, user["id"])
    for body in ({"role": None}, {"email_verified": "yes"}, {"private_metadata": [1]}):
        reply = me_patch(api, session, body)
        assert reply.status == 403, reply.body
        assert reply.error == "forbidden_field"
    assert get_user(api, tenant, user["id"]) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone_number": "555-2671"}, "phone_number"),
        ({"avatar_url": "data:image/png;base64,AAAA"}, "avatar_url"),
        ({"email": "nope"}, "email"),
        ({"email": None}, "email"),
        ({"name": "x" * 257}, "name"),
        ({"display_name": "typo"}, "display_name"),
        ({"id": "usr_01HABCDEF12345600000000000"}, "id"),
    ],
)
def test_invalid_self_update_is_422(
    api: Api, tenant: Tenant, user: dict[str, Any], session: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    before = get_user(api, tenant, user["id"])
    reply = me_patch(api, session, body)
    assert reply.status == 422, reply.body
    assert field in [d["field"] for d in reply.body["error"]["details"]]
    assert get_user(api, tenant, user["id"]) == before


def test_email_taken_is_409(api: Api, tenant: Tenant, user: dict[str, Any], session: dict[str, Any]) -> None:
    api("POST", "/v1/users", {"email": "bob@example.com"}, tenant.admin())
    reply = me_patch(api, session, {"email": "Bob@Example.com"})
    assert reply.status == 409
    assert reply.error == "email_taken"
    assert get_user(api, tenant, user["id"])["pending_email"] is None


def test_stale_if_match_is_412_and_nothing_changes(
    api: Api, tenant: Tenant, user: dict[str, Any], session: dict[str, Any]
) -> None:
    etag = api("GET", "/v1/auth/me", headers=bearer(session["access_token"])).headers["ETag"]
    assert me_patch(api, session, {"name": "First"}, **{"If-Match": etag}).status == 200
    before = get_user(api, tenant, user["id"])
    for body in ({"name": "Second"}, {"email": "second@example.com"}):
        reply = me_patch(api, session, body, **{"If-Match": etag})
        assert reply.status == 412, reply.body
        assert reply.error == "precondition_failed"
    assert get_user(api, tenant, user["id"]) == before


def test_revoked_session_cannot_update(
    api: Api, tenant: Tenant, user: dict[str, Any], session: dict[str, Any]
) -> None:
    assert api("POST", "/v1/auth/sign-out", headers=bearer(session["access_token"])).status == 204
    for body in ({"name": "Ghost"}, {"email": "ghost@example.com"}):
        reply = me_patch(api, session, body)
        assert reply.status == 401, reply.body
        assert reply.error == "session_revoked"
    after = get_user(api, tenant, user["id"])
    assert after["name"] == "Alice"
    assert after["pending_email"] is None


def test_api_keys_cannot_use_auth_me(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    for headers in (tenant.admin(), tenant.public()):
        reply = api("PATCH", "/v1/auth/me", {"name": "X"}, headers)
        assert reply.status == 403, reply.body
    assert api("PATCH", "/v1/auth/me", {"name": "X"}).status == 401
    assert api("PATCH", "/v1/auth/me", {"name": "X"}, bearer("not-a-jwt")).status == 401


def test_tenant_header_must_match_the_token(
    api: Api, other_tenant: Tenant, user: dict[str, Any], session: dict[str, Any]
) -> None:
    reply = me_patch(api, session, {"name": "X"}, **{"X-Tenant-ID": other_tenant.id})
    assert reply.status == 403
    assert reply.error == "tenant_mismatch"


def test_an_access_token_lives_its_ttl_plus_the_leeway_then_refresh_works(
    api: Api, tenant: Tenant, user: dict[str, Any], clock: Clock
) -> None:
    """15 minutes (ACCESS_TOKEN_TTL_SECONDS) and 5 s of clock skew; then token_expired, and the
    refresh token still gets a new access token (the SDK's path)."""
    session = sign_in(api, tenant)
    clock.advance(900 + 3)  # (a second of margin: the real clock may tick between the calls)
    assert api("GET", "/v1/auth/me", headers=bearer(session["access_token"])).status == 200
    clock.advance(2)
    late = api("GET", "/v1/auth/me", headers=bearer(session["access_token"]))
    assert (late.status, late.error) == (401, "token_expired")
    renewed = api("POST", "/v1/auth/refresh", {"refresh_token": session["refresh_token"]}, tenant.public())
    assert renewed.status == 200, renewed.body
    assert me(api, renewed.body["session"])["id"] == user["id"]
