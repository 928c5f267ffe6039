"""Disable / enable, and revocation: a revoked session's tokens fail on their very next use."""

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import PASSWORD, Api, Clock, Tenant, bearer, sign_in
from tests.handlers.helpers import can_sign_in, get_user


def disable(api: Api, tenant: Tenant, uid: str, body: Any = None, **headers: str) -> Any:
    return api("POST", f"/v1/users/{uid}/disable", body, {**tenant.admin(), **headers})


def enable(api: Api, tenant: Tenant, uid: str, **headers: str) -> Any:
    return api("POST", f"/v1/users/{uid}/enable", None, {**tenant.admin(), **headers})


def refresh(api: Api, tenant: Tenant, session: dict[str, Any]) -> Any:
    reply = api("POST", "/v1/auth/refresh", {"refresh_token": session["refresh_token"]}, tenant.public())
    if reply.status == 200:
        session.update(reply.body["session"])
    return reply


def me_status(api: Api, session: dict[str, Any]) -> tuple[int, str | None]:
    reply = api("GET", "/v1/auth/me", headers=bearer(session["access_token"]))
    return reply.status, reply.error


def test_seed_disable_refuses_sign_in_and_refresh(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    session = sign_in(api, tenant)
    reply = disable(api, tenant, user["id"])
    assert reply.status == 200, reply.body
    assert reply.body["disabled"] is True
    assert reply.body["disabled_at"] is not None
    assert get_user(api, tenant, user["id"])["disabled"] is True

    signin = api(
        "POST", "/v1/auth/sign-in", {"email": "alice@example.com", "password": PASSWORD}, tenant.public()
    )
    assert (signin.status, signin.error) == (403, "user_disabled")
    refused = refresh(api, tenant, session)
    assert (refused.status, refused.error) == (403, "user_disabled")
    # an access token already issued keeps working until it expires
    assert me_status(api, session) == (200, None)
    assert api("PATCH", "/v1/auth/me", {"name": "Still Me"}, bearer(session["access_token"])).status == 200


def test_disable_with_an_empty_json_body_and_with_false(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    session = sign_in(api, tenant)
    assert disable(api, tenant, user["id"], {}).status == 200
    assert disable(api, tenant, user["id"], {"revoke_sessions": False}).status == 200
    assert me_status(api, session) == (200, None)


def test_disable_with_revoke_sessions_revokes_at_once(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    sessions = [sign_in(api, tenant) for _ in range(2)]
    reply = disable(api, tenant, user["id"], {"revoke_sessions": True})
    assert reply.status == 200, reply.body
    for session in sessions:
        assert me_status(api, session) == (401, "session_revoked")
        refused = refresh(api, tenant, session)
        assert (refused.status, refused.error) == (401, "session_revoked")


def test_seed_enable_undoes_disable(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    session = sign_in(api, tenant)
    assert disable(api, tenant, user["id"]).status == 200
    reply = enable(api, tenant, user["id"])
    assert reply.status == 200, reply.body
    assert (reply.body["disabled"], reply.body["disabled_at"]) == (False, None)
    assert get_user(api, tenant, user["id"])["disabled"] is False
    assert can_sign_in(api, tenant, "alice@example.com") == 200
    assert refresh(api, tenant, session).status == 200  # not revoked: usable again


def test_enable_does_not_bring_revoked_sessions_back(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    session = sign_in(api, tenant)
    assert disable(api, tenant, user["id"], {"revoke_sessions": True}).status == 200
    assert enable(api, tenant, user["id"]).status == 200
    assert me_status(api, session) == (401, "session_revoked")
    assert refresh(api, tenant, session).error == "session_revoked"


def test_disable_and_enable_keep_the_profile(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    before = get_user(api, tenant, user["id"])
    disable(api, tenant, user["id"])
    enable(api, tenant, user["id"])
    after = get_user(api, tenant, user["id"])
    ignore = ("updated_at", "disabled_at")
    assert {k: v for k, v in after.items() if k not in ignore} == {
        k: v for k, v in before.items() if k not in ignore
    }


def test_disable_unknown_or_other_tenants_user_is_404(
    api: Api, tenant: Tenant, other_tenant: Tenant, user: dict[str, Any]
) -> None:
    assert disable(api, tenant, "usr_01HABCDEF12345600000000000").status == 404
    assert disable(api, other_tenant, user["id"], {"revoke_sessions": True}).status == 404
    assert enable(api, other_tenant, user["id"]).status == 404
    assert get_user(api, tenant, user["id"])["disabled"] is False


def test_disable_needs_the_secret_key(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    session = sign_in(api, tenant)
    assert api("POST", f"/v1/users/{user['id']}/disable", None, tenant.public()).status == 403
    assert api("POST", f"/v1/users/{user['id']}/disable", None, bearer(session["access_token"])).status == 403
    assert get_user(api, tenant, user["id"])["disabled"] is False


def test_disable_unknown_body_field_is_422(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    reply = disable(api, tenant, user["id"], {"revoke_session": True})
    assert reply.status == 422
    assert get_user(api, tenant, user["id"])["disabled"] is False


def test_enable_takes_no_body_fields(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    """A typo must not look like success: enable has no fields, so any field is unknown."""
    assert disable(api, tenant, user["id"]).status == 200
    reply = api("POST", f"/v1/users/{user['id']}/enable", {"revoke_sessions": True}, tenant.admin())
    assert reply.status == 422, reply.body
    assert reply.body["error"]["details"][0]["field"] == "revoke_sessions"
    assert get_user(api, tenant, user["id"])["disabled"] is True
    assert api("POST", f"/v1/users/{user['id']}/enable", {}, tenant.admin()).status == 200


def test_disable_stale_if_match_is_412(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    session = sign_in(api, tenant)  # moves no version: the user is still at 1
    reply = disable(api, tenant, user["id"], {"revoke_sessions": True}, **{"If-Match": '"2"'})
    assert reply.status == 412
    assert get_user(api, tenant, user["id"])["disabled"] is False
    assert me_status(api, session) == (200, None)


# -- revocation: every way of revoking, every way of using a token ---------------------------------

Revoker = Callable[[Api, Tenant, dict[str, Any], dict[str, Any]], None]


def _set_password(api: Api, tenant: Tenant, user: dict[str, Any], _: dict[str, Any]) -> None:
    body = {"password": "TemporaryPass123!", "sign_out_all_sessions": True}
    assert api("POST", f"/v1/users/{user['id']}/password", body, tenant.admin()).status == 200


def _disable(api: Api, tenant: Tenant, user: dict[str, Any], _: dict[str, Any]) -> None:
    assert disable(api, tenant, user["id"], {"revoke_sessions": True}).status == 200
    assert enable(api, tenant, user["id"]).status == 200  # enabled again: only the revocation is tested


def _change_password(api: Api, tenant: Tenant, user: dict[str, Any], keeper: dict[str, Any]) -> None:
    body = {"current_password": PASSWORD, "new_password": "NewPassword456!", "sign_out_other_sessions": True}
    assert api("POST", "/v1/auth/password/change", body, bearer(keeper["access_token"])).status == 200


REVOKERS: dict[str, Revoker] = {
    "admin_set_password": _set_password,
    "disable_revoke_sessions": _disable,
    "change_password_sign_out_others": _change_password,
}

USES: dict[str, Callable[[Api, Tenant, dict[str, Any]], Any]] = {
    "get_me": lambda api, t, s: api("GET", "/v1/auth/me", headers=bearer(s["access_token"])),
    "patch_me": lambda api, t, s: api("PATCH", "/v1/auth/me", {"name": "Zombie"}, bearer(s["access_token"])),
    "patch_me_email": lambda api, t, s: api(
        "PATCH", "/v1/auth/me", {"email": "zombie@example.com"}, bearer(s["access_token"])
    ),
    "change_password": lambda api, t, s: api(
        "POST",
        "/v1/auth/password/change",
        {"current_password": PASSWORD, "new_password": "Zombie-Pass-99"},
        bearer(s["access_token"]),
    ),
    "sign_out": lambda api, t, s: api("POST", "/v1/auth/sign-out", headers=bearer(s["access_token"])),
    "refresh": lambda api, t, s: api(
        "POST", "/v1/auth/refresh", {"refresh_token": s["refresh_token"]}, t.public()
    ),
}


@pytest.mark.parametrize("revoker", sorted(REVOKERS))
def test_revoked_session_is_refused_on_next_use(
    api: Api, tenant: Tenant, user: dict[str, Any], revoker: str
) -> None:
    """Each way of using a token, each with its own revoked session (so no use affects another)."""
    keeper = sign_in(api, tenant)
    victims = {use: sign_in(api, tenant) for use in USES}
    REVOKERS[revoker](api, tenant, user, keeper)
    refused = {use: USES[use](api, tenant, victims[use]) for use in USES}
    assert {use: (r.status, r.error) for use, r in refused.items()} == dict.fromkeys(
        USES, (401, "session_revoked")
    )
    after = get_user(api, tenant, user["id"])
    assert after["name"] == "Alice"
    assert after["pending_email"] is None


def test_sign_out_revokes_only_that_session(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    leaving = sign_in(api, tenant)
    staying = sign_in(api, tenant)
    assert api("POST", "/v1/auth/sign-out", headers=bearer(leaving["access_token"])).status == 204
    assert me_status(api, leaving) == (401, "session_revoked")
    assert refresh(api, tenant, leaving).error == "session_revoked"
    assert me_status(api, staying) == (200, None)
    assert refresh(api, tenant, staying).status == 200


def test_reusing_a_rotated_refresh_token_revokes_the_session(
    api: Api, tenant: Tenant, user: dict[str, Any], clock: Clock
) -> None:
    session = sign_in(api, tenant)
    old = dict(session)
    assert refresh(api, tenant, session).status == 200
    clock.advance(30)  # past the reuse interval: no retry, a replay
    assert refresh(api, tenant, old).error == "session_revoked"  # the stolen copy is replayed
    assert me_status(api, session) == (401, "session_revoked")


def test_a_sign_out_cancelled_by_a_transaction_conflict_is_retried_not_refused(
    api: Api, tenant: Tenant, user: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DynamoDB cancels a transaction that meets another on the same user (a refresh, a sign-in;
    moto never does): the sign-out is tried again and ends the session, never answered 401 as if
    the session had already ended while it is still live."""
    from hellojohn.store import users as store

    real = store.transact
    conflicts = [store.ConditionFailed(None, ["TransactionConflict", "None"])]

    def conflicting(*args: Any, **kwargs: Any) -> Any:
        if conflicts:
            raise conflicts.pop()
        return real(*args, **kwargs)

    session = sign_in(api, tenant)
    monkeypatch.setattr(store, "transact", conflicting)
    assert api("POST", "/v1/auth/sign-out", headers=bearer(session["access_token"])).status == 204
    assert conflicts == []
    assert api("GET", "/v1/auth/me", headers=bearer(session["access_token"])).error == "session_revoked"
