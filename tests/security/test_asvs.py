"""The ASVS requirements (docs/SECURITY.md) that no other test of this folder covers."""

from typing import Any

import pytest

from tests.conftest import PASSWORD, Api, Clock, Tenant, bearer, sign_in
from tests.security.helpers import admin_user, assert_error


def _set(api: Api, tenant: Tenant, uid: str, password: str) -> int:
    return api("POST", f"/v1/users/{uid}/password", {"password": password}, tenant.admin()).status


def _signs_in(api: Api, tenant: Tenant, password: str) -> bool:
    body = {"email": "alice@example.com", "password": password}
    return api("POST", "/v1/auth/sign-in", body, tenant.public()).status == 200


# V2.1: password rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "accepted"),
    [
        ("Short-1", False),  # 2.1.1 (the contract's minimum is 8)
        ("abcdefgh-long-enough", True),
        ("x" * 127 + "Y", True),  # 2.1.2: up to 128
        ("x" * 128 + "Y", False),  # 2.1.2: over 128 refused, not truncated
        ("correct horse battery staple", True),  # 2.1.9: no composition rules, spaces allowed
        ("пароль-очень-длинный", True),  # 2.1.4: any Unicode
        ("🔑🔑🔑🔑🔑🔑🔑🔑", True),  # 2.1.4: emoji
        ("password123", False),  # 2.1.7: a common password
        ("alice@example.com", False),  # not the email
    ],
)
def test_password_rules(
    api: Api, tenant: Tenant, user: dict[str, Any], password: str, accepted: bool
) -> None:
    status = _set(api, tenant, user["id"], password)
    assert status == (200 if accepted else 422)
    assert _signs_in(api, tenant, password) is accepted


def test_no_truncation(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    """2.1.3: two 128-character passwords that differ only in the last character are different."""
    long = "x" * 127
    assert _set(api, tenant, user["id"], long + "A") == 200
    assert not _signs_in(api, tenant, long + "B")
    assert _signs_in(api, tenant, long + "A")


def test_password_never_returned_and_stored_as_argon2id(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    """2.4.1, 2.4.2, 2.5.3: Argon2id with a per-hash salt; no response carries a hash."""
    from hellojohn.store import users as store

    stored = store.get(tenant.id, user["id"])
    assert stored is not None and stored.password_hash
    assert stored.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    salt = stored.password_hash.split("$")[4]
    assert len(salt) >= 16  # base64 of 16 random bytes: far above 32 bits
    # the same password for another user: a new salt, a new hash (setting it again on the same user
    # is refused: it must differ from the current one)
    other = api("POST", "/v1/users", {"email": "same.pass@example.com", "password": PASSWORD}, tenant.admin())
    assert other.status == 201, other.body
    again = store.get(tenant.id, other.body["id"])
    assert again is not None and again.password_hash and again.password_hash != stored.password_hash
    assert again.password_hash.split("$")[4] != salt
    reply = api("GET", f"/v1/users/{user['id']}", headers=tenant.admin())
    shown = repr({k: v for k, v in reply.body.items() if k != "password_change_required"})  # a flag
    assert "password" not in shown and "$argon2" not in repr(reply.body)


# V3: sessions -----------------------------------------------------------------------------------


def test_each_sign_in_is_a_new_session(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    """3.2.1, 3.2.2: a new session id and new tokens on every authentication, 256-bit refresh secrets."""
    first, second = sign_in(api, tenant), sign_in(api, tenant)
    assert first["id"] != second["id"]
    assert first["access_token"] != second["access_token"]
    assert first["refresh_token"] != second["refresh_token"]
    secret = first["refresh_token"].split(".")[2]
    assert len(secret) >= 43  # token_urlsafe(32): 256 bits


def test_sign_out_and_password_change_end_sessions(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    """3.3.1 logout invalidates at once; 3.3.3 a password change can end every other session."""
    keep, other, third = sign_in(api, tenant), sign_in(api, tenant), sign_in(api, tenant)
    assert api("POST", "/v1/auth/sign-out", None, bearer(third["access_token"])).status == 204
    assert_error(api("GET", "/v1/auth/me", headers=bearer(third["access_token"])), 401, "session_revoked")
    assert_error(
        api("POST", "/v1/auth/refresh", {"refresh_token": third["refresh_token"]}, tenant.public()),
        401,
        "session_revoked",
    )
    body = {
        "current_password": PASSWORD,
        "new_password": "Battery-Staple-77",
        "sign_out_other_sessions": True,
    }
    assert api("POST", "/v1/auth/password/change", body, bearer(keep["access_token"])).status == 200
    assert api("GET", "/v1/auth/me", headers=bearer(keep["access_token"])).status == 200
    assert_error(api("GET", "/v1/auth/me", headers=bearer(other["access_token"])), 401, "session_revoked")


def test_refresh_token_reuse_ends_the_session(
    api: Api, tenant: Tenant, user: dict[str, Any], clock: Clock
) -> None:
    """3.5.3 / RFC 9700: a rotated refresh token presented again after the reuse interval (30 s)
    revokes the whole session (within it, it is a retry: tests/handlers/test_refresh_retry.py)."""
    session = sign_in(api, tenant)
    rotated = api("POST", "/v1/auth/refresh", {"refresh_token": session["refresh_token"]}, tenant.public())
    assert rotated.status == 200
    clock.advance(30)
    reuse = api("POST", "/v1/auth/refresh", {"refresh_token": session["refresh_token"]}, tenant.public())
    assert_error(reuse, 401, "session_revoked")
    new_refresh = rotated.body["session"]["refresh_token"]
    assert_error(
        api("POST", "/v1/auth/refresh", {"refresh_token": new_refresh}, tenant.public()),
        401,
        "session_revoked",
    )


def test_no_credential_in_a_url(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    """3.1.1: credentials go in headers or bodies; the API reads none from the query string."""
    session = sign_in(api, tenant)
    for query in (f"?access_token={session['access_token']}", f"?api_key={tenant.secret_key}"):
        assert_error(api("GET", "/v1/auth/me" + query), 401, "unauthorized")


# V4: access control -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field_value",
    [
        ("role", "admin"),
        ("email_verified", True),
        ("public_metadata", {"a": 1}),
        ("private_metadata", {"b": 2}),
    ],
)
def test_self_service_cannot_escalate(
    api: Api, tenant: Tenant, user: dict[str, Any], field_value: tuple[str, Any]
) -> None:
    """4.1.2, 4.1.3, 5.1.2: admin-only fields are refused to the user (403), with the others untouched."""
    name, value = field_value
    session = sign_in(api, tenant)
    before = admin_user(api, tenant, user["id"])
    reply = api("PATCH", "/v1/auth/me", {"name": "Mallory", name: value}, bearer(session["access_token"]))
    assert_error(reply, 403, "forbidden_field")
    assert reply.body["error"]["details"] == [{"field": name, "message": "admin-only field"}]
    assert admin_user(api, tenant, user["id"]) == before


def test_self_view_hides_private_metadata(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    api("PATCH", f"/v1/users/{user['id']}", {"private_metadata": {"plan": "secret"}}, tenant.admin())
    session = sign_in(api, tenant)
    me = api("GET", "/v1/auth/me", headers=bearer(session["access_token"]))
    assert "private_metadata" not in me.body and "secret" not in repr(me.body)


# V5: output encoding ----------------------------------------------------------------------------


def test_verification_email_escapes_html() -> None:
    """5.3.1, 5.3.3: what the tenant or the user wrote is escaped in the email's HTML."""
    from hellojohn.adapters import mail
    from hellojohn.records import Tenant as TenantRecord

    tenant = TenantRecord(
        id="tnt_x", name='<script>alert("x")</script>', verify_url_base='https://a.test/v?x="><b>'
    )
    _, _, body = mail.verification_email(tenant, "bob@example.com", "tok", 0)
    assert "<script>" not in body and "&lt;script&gt;" in body and '"><b>' not in body


def test_the_security_notices_escape_html() -> None:
    """5.3.1: the tenant's name, the addresses and the links are escaped in every notice's HTML."""
    from hellojohn.adapters import mail
    from hellojohn.records import Tenant as TenantRecord

    hostile = '<script>alert("x")</script>'
    tenant = TenantRecord(
        id="tnt_x",
        name=hostile,
        cancel_url_base='https://a.test/c?x="><b>',
        restore_url_base='https://a.test/r?x="><b>',
    )
    bodies = [
        mail.change_requested_email(tenant, "<i>@e***.com", "tok", 0)[2],
        mail.email_changed_email(tenant, "<i>@e***.com", "tok", 0)[2],
        mail.email_restored_email(tenant, "<i>@e***.com")[2],
        mail.password_changed_email(tenant, 0)[2],
    ]
    for body in bodies:
        assert "<script>" not in body and "&lt;script&gt;" in body
        assert '"><b>' not in body and "<i>" not in body
