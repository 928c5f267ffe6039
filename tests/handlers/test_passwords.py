"""POST /v1/auth/password/change (access token) and POST /v1/users/{user_id}/password (secret key)."""

import unicodedata
from typing import Any

import pytest

from tests.conftest import PASSWORD, Api, Tenant, bearer, sign_in
from tests.handlers.helpers import can_sign_in, get_user

NEW = "NewPassword456!"


def change(api: Api, session: dict[str, Any], current: str, new: str, **extra: Any) -> Any:
    body = {"current_password": current, "new_password": new, **extra}
    return api("POST", "/v1/auth/password/change", body, bearer(session["access_token"]))


def admin_set(api: Api, tenant: Tenant, uid: str, password: str, **extra: Any) -> Any:
    return api("POST", f"/v1/users/{uid}/password", {"password": password, **extra}, tenant.admin())


def etag(api: Api, tenant: Tenant, uid: str) -> str:
    """The user's version as its ETag: any write of the user changes it."""
    return str(api("GET", f"/v1/users/{uid}", headers=tenant.admin()).headers["ETag"])


def works(api: Api, tenant: Tenant, session: dict[str, Any]) -> tuple[int, int]:
    """(GET /auth/me with the access token, POST /auth/refresh with the refresh token)."""
    me = api("GET", "/v1/auth/me", headers=bearer(session["access_token"]))
    refreshed = api("POST", "/v1/auth/refresh", {"refresh_token": session["refresh_token"]}, tenant.public())
    if refreshed.status == 200:
        session.update(refreshed.body["session"])
    return me.status, refreshed.status


def assert_revoked(api: Api, tenant: Tenant, session: dict[str, Any]) -> None:
    me = api("GET", "/v1/auth/me", headers=bearer(session["access_token"]))
    assert (me.status, me.error) == (401, "session_revoked"), me.body
    refreshed = api("POST", "/v1/auth/refresh", {"refresh_token": session["refresh_token"]}, tenant.public())
    assert (refreshed.status, refreshed.error) == (401, "session_revoked"), refreshed.body


# -- the user changes their own -------------------------------------------------------------------


def test_seed_change_password(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    session = sign_in(api, tenant)
    reply = change(api, session, PASSWORD, NEW)
    assert reply.status == 200, reply.body
    assert reply.body["id"] == user["id"]
    assert reply.body["password_change_required"] is False  # the one field named so: a flag
    assert "password" not in repr({k: v for k, v in reply.body.items() if k != "password_change_required"})
    assert can_sign_in(api, tenant, "alice@example.com", NEW) == 200
    assert can_sign_in(api, tenant, "alice@example.com", PASSWORD) == 401
    # by default the other sessions, and this one, stay signed in
    assert works(api, tenant, session) == (200, 200)


def test_wrong_current_password_is_401_and_nothing_changes(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    session = sign_in(api, tenant)
    reply = change(api, session, "Wrong-Password-1", NEW)
    assert reply.status == 401
    assert reply.error == "invalid_credentials"
    assert reply.body["error"]["message"] == "The current password is incorrect"  # no email was typed
    assert can_sign_in(api, tenant, "alice@example.com", PASSWORD) == 200
    assert can_sign_in(api, tenant, "alice@example.com", NEW) == 401


@pytest.mark.parametrize(
    ("new", "reason"),
    [
        ("Sh0rt!", "at least 8"),
        ("x" * 129, "at most 128"),
        ("password123", "common"),
        ("qwertyuiop", "common"),
        ("alice@example.com", "email"),
        ("ALICE@EXAMPLE.COM", "email"),
    ],
)
def test_weak_new_password_is_422_with_reason(
    api: Api, tenant: Tenant, user: dict[str, Any], new: str, reason: str
) -> None:
    session = sign_in(api, tenant)
    reply = change(api, session, PASSWORD, new)
    assert reply.status == 422, reply.body
    assert reply.error == "password_too_weak"
    assert reason in reply.body["error"]["message"]
    assert reply.body["error"]["details"][0]["field"] == "new_password"
    assert can_sign_in(api, tenant, "alice@example.com", PASSWORD) == 200


def test_changing_to_the_current_password_is_422_and_changes_nothing(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    """The same password, as typed or in another Unicode form of it (NFC is what is compared)."""
    session = sign_in(api, tenant)
    before = etag(api, tenant, user["id"])
    for new in (PASSWORD, unicodedata.normalize("NFD", PASSWORD)):
        reply = change(api, session, PASSWORD, new, sign_out_other_sessions=True)
        assert (reply.status, reply.error) == (422, "password_too_weak"), reply.body
        assert reply.body["error"]["message"] == "Password must differ from the current password"
        assert reply.body["error"]["details"] == [
            {"field": "new_password", "message": "Password must differ from the current password"}
        ]
    assert etag(api, tenant, user["id"]) == before
    assert works(api, tenant, session) == (200, 200)
    # the refusal released the guess it reserved: five wrong guesses still take the full count
    assert [change(api, session, f"Wrong-Guess-{i}", NEW).status for i in range(4)] == [401] * 4


def test_admin_setting_the_current_password_is_422_and_changes_nothing(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    """Checked against the stored Argon2id hash (the admin does not send the current one)."""
    session = sign_in(api, tenant)
    before = etag(api, tenant, user["id"])
    reply = admin_set(api, tenant, user["id"], PASSWORD, sign_out_all_sessions=True)
    assert (reply.status, reply.error) == (422, "password_too_weak"), reply.body
    assert reply.body["error"]["message"] == "Password must differ from the current password"
    assert reply.body["error"]["details"][0]["field"] == "password"
    assert etag(api, tenant, user["id"]) == before
    assert works(api, tenant, session) == (200, 200)  # no session signed out
    assert admin_set(api, tenant, user["id"], NEW).status == 200  # any other password is set


def test_a_password_changed_during_an_admin_set_is_judged_again(
    api: Api, tenant: Tenant, user: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The user changes theirs to the admin's choice between the admin's read and write: the
    write (conditioned on the hash read) fails, the admin's request reads again and refuses."""
    from hellojohn.rules import passwords

    session = sign_in(api, tenant)
    real_verify = passwords.verify
    raced: list[int] = []

    def verify_then_race(stored_hash: str | None, password: str) -> passwords.Verdict:
        verdict = real_verify(stored_hash, password)
        if not raced:
            raced.append(0)
            raced[0] = change(api, session, PASSWORD, NEW).status  # verifies too: once only
        return verdict

    monkeypatch.setattr(passwords, "verify", verify_then_race)
    reply = admin_set(api, tenant, user["id"], NEW)
    assert raced == [200]
    assert (reply.status, reply.error) == (422, "password_too_weak"), reply.body
    assert can_sign_in(api, tenant, "alice@example.com", NEW) == 200


def test_admin_set_password_on_a_user_without_one(api: Api, tenant: Tenant) -> None:
    reply = api("POST", "/v1/users", {"email": "nopass@example.com"}, tenant.admin())
    assert reply.status == 201, reply.body
    assert admin_set(api, tenant, reply.body["id"], NEW).status == 200
    assert can_sign_in(api, tenant, "nopass@example.com", NEW) == 200


def test_password_of_exactly_8_and_128_characters(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    session = sign_in(api, tenant)
    assert change(api, session, PASSWORD, "Zq8#kL2m").status == 200
    assert change(api, session, "Zq8#kL2m", "Zq8#kL2m" * 16).status == 200
    assert can_sign_in(api, tenant, "alice@example.com", "Zq8#kL2m" * 16) == 200


def test_sign_out_other_sessions_keeps_this_one(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    mine = sign_in(api, tenant)
    laptop = sign_in(api, tenant)
    phone = sign_in(api, tenant)
    reply = change(api, mine, PASSWORD, NEW, sign_out_other_sessions=True)
    assert reply.status == 200, reply.body
    assert works(api, tenant, mine) == (200, 200)
    assert_revoked(api, tenant, laptop)
    assert_revoked(api, tenant, phone)


def test_sign_out_other_sessions_false_keeps_them(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    mine = sign_in(api, tenant)
    other = sign_in(api, tenant)
    assert change(api, mine, PASSWORD, NEW, sign_out_other_sessions=False).status == 200
    assert works(api, tenant, other) == (200, 200)


def test_revoked_session_cannot_change_the_password(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    session = sign_in(api, tenant)
    assert api("POST", "/v1/auth/sign-out", headers=bearer(session["access_token"])).status == 204
    reply = change(api, session, PASSWORD, NEW)
    assert (reply.status, reply.error) == (401, "session_revoked")
    assert can_sign_in(api, tenant, "alice@example.com", NEW) == 401


def test_repeated_wrong_current_passwords_are_throttled(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    session = sign_in(api, tenant)
    statuses = [change(api, session, f"Wrong-Guess-{i}", NEW).status for i in range(5)]
    assert statuses == [401, 401, 401, 401, 429]
    locked = change(api, session, PASSWORD, NEW)  # even the right one, while locked
    assert locked.status == 429
    assert locked.error == "too_many_attempts"
    assert int(locked.headers["Retry-After"]) > 0
    assert can_sign_in(api, tenant, "alice@example.com", NEW) == 429


def test_a_sign_in_during_the_change_does_not_make_it_fail(
    api: Api, tenant: Tenant, user: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another device signing in between the check and the write bumps the version; without
    If-Match the change must still apply (it is conditioned on the password that was checked)."""
    from hellojohn.rules import passwords

    session = sign_in(api, tenant)
    real_hash = passwords.hash_password
    raced: list[dict[str, Any]] = []

    def hash_then_race(password: str) -> str:
        if not raced:
            raced.append(sign_in(api, tenant))  # a concurrent sign-in on another device
        return real_hash(password)

    monkeypatch.setattr(passwords, "hash_password", hash_then_race)
    reply = change(api, session, PASSWORD, NEW)
    assert reply.status == 200, reply.body
    assert raced
    assert can_sign_in(api, tenant, user["email"], NEW) == 200


def test_stale_if_match_is_412(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    session = sign_in(api, tenant)
    body = {"current_password": PASSWORD, "new_password": NEW}
    headers = {**bearer(session["access_token"]), "If-Match": '"1"'}
    assert api("PATCH", f"/v1/users/{user['id']}", {"name": "Bump"}, tenant.admin()).status == 200
    reply = api("POST", "/v1/auth/password/change", body, headers)
    assert reply.status == 412
    assert can_sign_in(api, tenant, "alice@example.com", PASSWORD) == 200


@pytest.mark.parametrize(
    "body",
    [
        {"current_password": PASSWORD},
        {"new_password": NEW},
        {"current_password": PASSWORD, "new_password": NEW, "x": 1},
    ],
)
def test_malformed_change_is_422(
    api: Api, tenant: Tenant, user: dict[str, Any], body: dict[str, Any]
) -> None:
    session = sign_in(api, tenant)
    reply = api("POST", "/v1/auth/password/change", body, bearer(session["access_token"]))
    assert reply.status == 422, reply.body


# -- an admin sets one ----------------------------------------------------------------------------


def test_seed_admin_sets_password_and_signs_out_everything(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    sessions = [sign_in(api, tenant) for _ in range(2)]
    reply = admin_set(api, tenant, user["id"], "TemporaryPass123!", sign_out_all_sessions=True)
    assert reply.status == 200, reply.body
    # at once, with no asynchronous work in between: both tokens of every session are refused
    for session in sessions:
        assert_revoked(api, tenant, session)
        reply = api("PATCH", "/v1/auth/me", {"name": "Ghost"}, bearer(session["access_token"]))
        assert (reply.status, reply.error) == (401, "session_revoked")
    assert can_sign_in(api, tenant, "alice@example.com", "TemporaryPass123!") == 200
    assert can_sign_in(api, tenant, "alice@example.com", PASSWORD) == 401


def test_admin_sets_password_keeping_sessions_by_default(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    session = sign_in(api, tenant)
    assert admin_set(api, tenant, user["id"], "TemporaryPass123!").status == 200
    assert works(api, tenant, session) == (200, 200)
    assert can_sign_in(api, tenant, "alice@example.com", "TemporaryPass123!") == 200


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1!", "at least 8"),
        ("letmein1", "common"),
        ("alice@example.com", "email"),
        ("y" * 129, "at most"),
    ],
)
def test_admin_weak_password_is_422(
    api: Api, tenant: Tenant, user: dict[str, Any], password: str, reason: str
) -> None:
    session = sign_in(api, tenant)
    reply = admin_set(api, tenant, user["id"], password, sign_out_all_sessions=True)
    assert reply.status == 422, reply.body
    assert reply.error == "password_too_weak"
    assert reason in reply.body["error"]["message"]
    assert works(api, tenant, session) == (200, 200)  # nothing happened, sessions included
    assert can_sign_in(api, tenant, "alice@example.com", PASSWORD) == 200


def test_admin_password_equal_to_a_pending_email_is_fine(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    """Only the active email is compared: a pending address is not the user's email yet."""
    api("PATCH", f"/v1/users/{user['id']}", {"email": "long.pending@example.com"}, tenant.admin())
    assert admin_set(api, tenant, user["id"], "long.pending@example.com").status == 200


def test_admin_set_password_unknown_user_is_404(api: Api, tenant: Tenant, other_tenant: Tenant) -> None:
    reply = admin_set(api, tenant, "usr_01HABCDEF12345600000000000", "TemporaryPass123!")
    assert reply.status == 404
    assert reply.error == "user_not_found"


def test_admin_set_password_other_tenant_is_404(
    api: Api, tenant: Tenant, other_tenant: Tenant, user: dict[str, Any]
) -> None:
    reply = admin_set(api, other_tenant, user["id"], "TemporaryPass123!", sign_out_all_sessions=True)
    assert reply.status == 404
    assert can_sign_in(api, tenant, "alice@example.com", PASSWORD) == 200


def test_admin_set_password_stale_if_match_is_412(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    session = sign_in(api, tenant)  # moves no version: the user is still at 1
    body = {"password": "TemporaryPass123!", "sign_out_all_sessions": True}
    reply = api("POST", f"/v1/users/{user['id']}/password", body, {**tenant.admin(), "If-Match": '"2"'})
    assert reply.status == 412, reply.body
    assert works(api, tenant, session) == (200, 200)
    assert get_user(api, tenant, user["id"])["id"] == user["id"]
