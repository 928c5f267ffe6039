"""Reverification (issue 26): a sensitive self-service request needs a recent proof of the password.

The access token carries `auth_time` (sign-in sets it, refresh keeps it, a password change and
`POST /v1/auth/reauthenticate` set it). A request of `hellojohn.edge.reverification.RULES` whose
rule applies, with an `auth_time` older than the tenant's `reverification_max_age_seconds`, is 403
`reauthentication_required` with RFC 9470's challenge, and changes nothing.
"""

from typing import Any

import jwt
import pytest

from tests.conftest import PASSWORD, Api, Clock, Reply, Tenant, bearer, make_tenant, sign_in
from tests.handlers.helpers import get_user
from tests.security.helpers import table_items

MAX_AGE = 600  # the default
CHALLENGE = (
    'Bearer error="insufficient_user_authentication", error_description="A recent proof of the '
    'password is required: POST /v1/auth/reauthenticate, then retry", max_age="600"'
)
WRONG = "Wrong-Password-1"


def auth_time(token: str) -> int:
    return int(jwt.decode(token, options={"verify_signature": False})["auth_time"])


def stale_token(api: Api, tenant: Tenant, clock: Clock, days: int = 1) -> str:
    """An access token of a session signed in `days` ago (refreshed now: the token is live, its
    `auth_time` is the sign-in's)."""
    session = sign_in(api, tenant)
    clock.advance(days * 86400)
    refreshed = api("POST", "/v1/auth/refresh", {"refresh_token": session["refresh_token"]}, tenant.public())
    assert refreshed.status == 200, refreshed.body
    return str(refreshed.body["session"]["access_token"])


def reauthenticate(api: Api, token: str, password: str = PASSWORD) -> Reply:
    return api("POST", "/v1/auth/reauthenticate", {"password": password}, bearer(token))


def assert_refused(reply: Reply, max_age: int = MAX_AGE) -> None:
    assert (reply.status, reply.error) == (403, "reauthentication_required"), reply.body
    expected = CHALLENGE.replace('max_age="600"', f'max_age="{max_age}"')
    assert reply.headers.get("WWW-Authenticate") == expected


SENSITIVE = [
    pytest.param("PATCH", "/v1/auth/me", {"email": "alice.new@example.com"}, 200, id="email"),
    pytest.param("PATCH", "/v1/auth/me", {"phone_number": "+14155552671"}, 200, id="phone_number"),
    pytest.param(
        "PATCH", "/v1/auth/me", {"name": "A", "email": "alice.new@example.com"}, 200, id="name and email"
    ),
    pytest.param("POST", "/v1/auth/sessions/{other}/revoke", None, 204, id="revoke another session"),
    pytest.param("DELETE", "/v1/auth/me", None, 200, id="delete me"),
]


@pytest.mark.parametrize(("method", "path", "body", "status"), SENSITIVE)
def test_a_sensitive_request_is_refused_when_stale_and_accepted_after_reauthenticating(
    api: Api,
    tenant: Tenant,
    user: dict[str, Any],
    clock: Clock,
    method: str,
    path: str,
    body: Any,
    status: int,
) -> None:
    session = sign_in(api, tenant)
    other = sign_in(api, tenant)
    path = path.replace("{other}", other["id"])
    clock.advance(MAX_AGE + 1)
    before = table_items()
    refused = api(method, path, body, bearer(session["access_token"]))
    assert_refused(refused)
    assert table_items() == before  # nothing changed, not even a guess counter
    proved = reauthenticate(api, session["access_token"])
    assert proved.status == 200, proved.body
    fresh = proved.body["session"]
    assert fresh["id"] == session["id"]
    accepted = api(method, path, body, bearer(fresh["access_token"]))
    assert accepted.status == status, accepted.body


def test_within_the_max_age_nothing_is_asked_and_the_bound_is_exact(
    api: Api, tenant: Tenant, user: dict[str, Any], clock: Clock
) -> None:
    session = sign_in(api, tenant)
    headers = bearer(session["access_token"])
    assert api("PATCH", "/v1/auth/me", {"phone_number": "+14155552671"}, headers).status == 200
    clock.advance(MAX_AGE - (clock.time() - auth_time(session["access_token"])))  # exactly MAX_AGE old
    assert api("PATCH", "/v1/auth/me", {"phone_number": "+14155552672"}, headers).status == 200
    clock.advance(1)  # one second more: no leeway, both times are the service's
    assert_refused(api("PATCH", "/v1/auth/me", {"phone_number": "+14155552673"}, headers))


@pytest.mark.parametrize("body", [{"name": "Alice B"}, {"avatar_url": "https://img.example.com/a.png"}])
def test_name_and_avatar_are_never_refused(
    api: Api, tenant: Tenant, user: dict[str, Any], clock: Clock, body: dict[str, Any]
) -> None:
    token = stale_token(api, tenant, clock)
    reply = api("PATCH", "/v1/auth/me", body, bearer(token))
    assert reply.status == 200, reply.body


def test_revoking_ones_own_session_and_other_routes_never_ask(
    api: Api, tenant: Tenant, user: dict[str, Any], clock: Clock
) -> None:
    token = stale_token(api, tenant, clock)
    headers = bearer(token)
    sid = jwt.decode(token, options={"verify_signature": False})["sid"]
    assert api("GET", "/v1/auth/me", headers=headers).status == 200
    assert api("GET", "/v1/auth/sessions", headers=headers).status == 200
    change = {"current_password": PASSWORD, "new_password": "Another-Horse-43"}
    assert api("POST", "/v1/auth/password/change", change, headers).status == 200  # its own proof
    assert api("POST", f"/v1/auth/sessions/{sid}/revoke", None, headers).status == 204


def test_auth_time_is_kept_across_refresh(
    api: Api, tenant: Tenant, user: dict[str, Any], clock: Clock
) -> None:
    session = sign_in(api, tenant)
    signed_in_at = auth_time(session["access_token"])
    clock.advance(MAX_AGE + 5)
    refreshed = api("POST", "/v1/auth/refresh", {"refresh_token": session["refresh_token"]}, tenant.public())
    assert refreshed.status == 200, refreshed.body
    token = refreshed.body["session"]["access_token"]
    assert auth_time(token) == signed_in_at  # a refresh is no proof of the password
    assert_refused(api("PATCH", "/v1/auth/me", {"email": "alice.new@example.com"}, bearer(token)))


def test_reauthenticate_answers_the_same_session_with_a_new_auth_time_and_rotates_the_refresh_token(
    api: Api, tenant: Tenant, user: dict[str, Any], clock: Clock
) -> None:
    session = sign_in(api, tenant)
    clock.advance(MAX_AGE + 5)
    asked_at = int(clock.time())
    proved = reauthenticate(api, session["access_token"])
    assert proved.status == 200, proved.body
    fresh = proved.body["session"]
    assert fresh["id"] == session["id"]
    assert fresh["refresh_token_expires_at"] == session["refresh_token_expires_at"]  # the session's life
    assert asked_at <= auth_time(fresh["access_token"]) <= int(clock.time())
    assert fresh["refresh_token"] != session["refresh_token"]
    old = api("POST", "/v1/auth/refresh", {"refresh_token": session["refresh_token"]}, tenant.public())
    assert (old.status, old.error) == (401, "invalid_token")  # replaced, and not a theft: no revoke
    new = api("POST", "/v1/auth/refresh", {"refresh_token": fresh["refresh_token"]}, tenant.public())
    assert new.status == 200, new.body
    assert auth_time(new.body["session"]["access_token"]) == auth_time(fresh["access_token"])
    listed = api("GET", "/v1/auth/sessions", headers=bearer(new.body["session"]["access_token"]))
    assert [s["id"] for s in listed.body["data"]] == [session["id"]]


def test_a_password_change_is_a_proof_for_the_next_token(
    api: Api, tenant: Tenant, user: dict[str, Any], clock: Clock
) -> None:
    session = sign_in(api, tenant)
    clock.advance(MAX_AGE + 5)
    change = {"current_password": PASSWORD, "new_password": "Another-Horse-43"}
    changed_at = int(clock.time())
    assert api("POST", "/v1/auth/password/change", change, bearer(session["access_token"])).status == 200
    refreshed = api("POST", "/v1/auth/refresh", {"refresh_token": session["refresh_token"]}, tenant.public())
    token = refreshed.body["session"]["access_token"]
    assert changed_at <= auth_time(token) <= int(clock.time())
    assert api("PATCH", "/v1/auth/me", {"email": "alice.new@example.com"}, bearer(token)).status == 200


def test_admin_requests_are_never_asked(api: Api, tenant: Tenant, user: dict[str, Any], clock: Clock) -> None:
    sign_in(api, tenant)
    clock.advance(MAX_AGE * 10)
    body = {"email": "alice.admin@example.com", "phone_number": "+14155552671"}
    assert api("PATCH", f"/v1/users/{user['id']}", body, tenant.admin()).status == 200
    assert api("POST", f"/v1/users/{user['id']}/sessions/revoke", None, tenant.admin()).status == 204


def test_a_tenant_with_0_never_asks(api: Api, clock: Clock) -> None:
    tenant = make_tenant(reverification_max_age_seconds=0)
    api("POST", "/v1/users", {"email": "alice@example.com", "password": PASSWORD}, tenant.admin())
    token = stale_token(api, tenant, clock, days=7)
    reply = api("PATCH", "/v1/auth/me", {"email": "alice.new@example.com"}, bearer(token))
    assert reply.status == 200, reply.body


def test_a_tenants_own_max_age_is_the_challenges(api: Api, clock: Clock) -> None:
    tenant = make_tenant(reverification_max_age_seconds=2)
    api("POST", "/v1/users", {"email": "alice@example.com", "password": PASSWORD}, tenant.admin())
    headers = bearer(sign_in(api, tenant)["access_token"])
    assert api("PATCH", "/v1/auth/me", {"email": "alice.1@example.com"}, headers).status == 200
    clock.advance(3)
    assert_refused(api("PATCH", "/v1/auth/me", {"email": "alice.2@example.com"}, headers), max_age=2)


def test_a_token_without_auth_time_is_stale(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    """A token issued before the claim existed: its session's next refresh carries one."""
    from hellojohn.rules import tokens

    session = sign_in(api, tenant)
    claims = jwt.decode(session["access_token"], options={"verify_signature": False})
    key = tokens.signing_key()
    del claims["auth_time"]
    old = jwt.encode(claims, key.private, algorithm="EdDSA", headers={"kid": key.kid})
    assert api("GET", "/v1/auth/me", headers=bearer(old)).status == 200
    assert_refused(api("PATCH", "/v1/auth/me", {"email": "alice.new@example.com"}, bearer(old)))


def test_wrong_passwords_count_and_lock_as_sign_in_does(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    token = sign_in(api, tenant)["access_token"]
    answers = [reauthenticate(api, token, WRONG) for _ in range(5)]
    assert [(r.status, r.error) for r in answers[:4]] == [(401, "invalid_credentials")] * 4
    assert answers[0].body["error"]["message"] == "The password is incorrect"
    assert (answers[4].status, answers[4].error) == (429, "too_many_attempts")
    assert answers[4].headers.get("Retry-After")
    locked = reauthenticate(api, token)  # the right one, while locked
    assert (locked.status, locked.error) == (429, "too_many_attempts")
    signing_in = api(
        "POST", "/v1/auth/sign-in", {"email": "alice@example.com", "password": PASSWORD}, tenant.public()
    )
    assert signing_in.error == "too_many_attempts"  # one count: sign-in is locked as well


def test_sign_in_guesses_count_towards_reauthenticate(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    token = sign_in(api, tenant)["access_token"]
    for _ in range(4):
        wrong = {"email": "alice@example.com", "password": WRONG}
        assert api("POST", "/v1/auth/sign-in", wrong, tenant.public()).status == 401
    assert reauthenticate(api, token, WRONG).error == "too_many_attempts"


def test_a_right_password_clears_the_count(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    from hellojohn.store import users as store

    token = sign_in(api, tenant)["access_token"]
    for _ in range(3):
        reauthenticate(api, token, WRONG)
    assert reauthenticate(api, token).status == 200
    stored = store.get(tenant.id, user["id"])
    assert stored is not None and stored.failed_attempts == 0 and not stored.locked_until


def test_a_disabled_user_a_revoked_session_and_a_temporary_password(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    session = sign_in(api, tenant)
    other = sign_in(api, tenant)
    revoked = api("POST", f"/v1/users/{user['id']}/sessions/{other['id']}/revoke", None, tenant.admin())
    assert revoked.status == 204
    gone = reauthenticate(api, other["access_token"])
    assert (gone.status, gone.error) == (401, "session_revoked")
    assert (
        api("POST", f"/v1/users/{user['id']}/disable", {"revoke_sessions": False}, tenant.admin()).status
        == 200
    )
    disabled = reauthenticate(api, session["access_token"])
    assert (disabled.status, disabled.error) == (403, "user_disabled")
    assert reauthenticate(api, session["access_token"], WRONG).error == "invalid_credentials"  # no oracle
    assert api("POST", f"/v1/users/{user['id']}/enable", None, tenant.admin()).status == 200
    temporary = {"password": "Temporary-Pass-123", "temporary": True}
    assert api("POST", f"/v1/users/{user['id']}/password", temporary, tenant.admin()).status == 200
    gated = sign_in(api, tenant, password="Temporary-Pass-123")
    refused = reauthenticate(api, gated["access_token"], "Temporary-Pass-123")
    assert (refused.status, refused.error) == (403, "password_change_required")


def test_an_admin_key_cannot_reauthenticate(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    reply = api("POST", "/v1/auth/reauthenticate", {"password": PASSWORD}, tenant.admin())
    assert (reply.status, reply.error) == (403, "forbidden")
    assert get_user(api, tenant, user["id"])["email"] == "alice@example.com"


def test_the_rule_table_has_a_row_for_every_access_token_route_of_the_template(aws: dict[str, str]) -> None:
    """A new route taking an access token fails here until its row says whether it needs a proof;
    a row for a route the template does not have fails too. Routes of a key never need one."""
    from hellojohn.edge.resolver import routes_of
    from hellojohn.edge.reverification import ALWAYS, NEVER, RULES

    from local_runner import functions, template

    token_routes: set[tuple[str, str]] = set()
    key_routes: set[tuple[str, str]] = set()
    for function in template.functions():
        for route in function.routes:
            if route.method == "OPTIONS":
                continue
            [served] = routes_of(functions.module(function).app)
            schemes = {name for requirement in served.security or [] for name in requirement}
            (token_routes if schemes == {"accessToken"} else key_routes).add((route.method, route.path))
    assert set(RULES) == token_routes
    assert not set(RULES) & key_routes
    assert len(token_routes) >= 7 and len(key_routes) >= 15  # the walk found them
    needing = {route for route, rule in RULES.items() if rule != NEVER}
    assert needing == {
        ("PATCH", "/v1/auth/me"),
        ("POST", "/v1/auth/sessions/{session_id}/revoke"),
        ("DELETE", "/v1/auth/me"),
    }
    assert ALWAYS.always and not NEVER.always


def test_a_change_made_with_a_proof_says_when_in_its_event(
    api: Api, tenant: Tenant, user: dict[str, Any], clock: Clock, aws: dict[str, str]
) -> None:
    """`actor.reverified_at`: the proof a request needing one relied on; absent on the others."""
    from hellojohn.timeutil import rfc3339

    from local_runner.bus import Tap
    from tests.handlers.conftest import SENDER
    from tests.pipeline import Pipeline

    Pipeline.verify_sender(SENDER)
    pipe, tap = Pipeline(aws), Tap(aws["UserEventBus"], prefix="test")
    pipe.pump()
    seen = len(tap.all())
    session = sign_in(api, tenant)
    clock.advance(MAX_AGE + 1)
    proved = reauthenticate(api, session["access_token"]).body["session"]["access_token"]
    headers = bearer(proved)
    assert api("PATCH", "/v1/auth/me", {"phone_number": "+14155552671"}, headers).status == 200
    assert api("PATCH", "/v1/auth/me", {"name": "Alice B"}, headers).status == 200
    pipe.pump()
    events = [e["detail"] for e in tap.all()[seen:] if e["detail-type"] == "user.updated"]
    assert [e["changed"] for e in events] == [["phone_number"], ["name"]]
    assert events[0]["actor"] == {
        "type": "user",
        "user_id": user["id"],
        "reverified_at": rfc3339(auth_time(proved)),
    }
    assert events[1]["actor"] == {"type": "user", "user_id": user["id"]}
    history = api("GET", f"/v1/users/{user['id']}/events", headers=tenant.admin()).body["data"]
    assert [e["actor"].get("reverified_at") for e in history[:2]] == [None, rfc3339(auth_time(proved))]
