"""Honest requests racing each other (issue 23, items 2 and 3), from separate processes against one
moto server that applies each call atomically (tests/security/race.py): concurrent right
sign-ins of one user each open a session; the lockout still checks at most 5 passwords of a
burst; concurrent refreshes with one token all succeed with one successor and the session lives.

Before (the session's write conditioned on the user's version; every guess reserved as a failure;
a rotated token presented again always theft): 5 sign-ins at once got 409s and 429s, and 10
refreshes at once ended the session."""

import logging
from collections import Counter
from typing import Any

import pytest

from tests.conftest import PASSWORD, Api, Tenant, bearer, sign_in
from tests.security.race import run

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

EMAIL = "alice@example.com"


@pytest.fixture
def user(api: Api, tenant: Tenant) -> dict[str, Any]:
    reply = api("POST", "/v1/users", {"email": EMAIL, "password": PASSWORD}, tenant.admin())
    assert reply.status == 201, reply.body
    return dict(reply.body)


def _sign_in(tenant: Tenant, password: str = PASSWORD) -> Any:
    return ("POST", "/v1/auth/sign-in", {"email": EMAIL, "password": password}, tenant.public())


def _listed(api: Api, tenant: Tenant, uid: str) -> list[str]:
    reply = api("GET", f"/v1/users/{uid}/sessions", headers=tenant.admin())
    assert reply.status == 200, reply.body
    return sorted(s["id"] for s in reply.body["data"])


@pytest.mark.parametrize("at_once", [5, 10])
def test_concurrent_right_sign_ins_each_open_a_session(
    api: Api, tenant: Tenant, user: dict[str, Any], at_once: int, record_property: Any
) -> None:
    """Two tabs, a double click, or ten: every one 200, every session live and listed, each
    password checked once, and the user's ETag unmoved (a sign-in is no edit)."""
    replies, verified = run(api, [_sign_in(tenant)] * at_once)
    statuses = Counter(r.status for r in replies)
    record_property("sign_ins", dict(statuses))
    logging.getLogger(__name__).warning("%d right sign-ins at once: %s", at_once, dict(statuses))
    assert statuses == {200: at_once}, [r.body for r in replies if r.status != 200]
    sids = sorted(r.body["session"]["id"] for r in replies)
    assert len(set(sids)) == at_once and _listed(api, tenant, user["id"]) == sids
    assert sum(verified) == at_once
    for reply in replies:
        me = api("GET", "/v1/auth/me", headers=bearer(reply.body["session"]["access_token"]))
        assert me.status == 200, me.body
    got = api("GET", f"/v1/users/{user['id']}", headers=tenant.admin())
    assert got.headers["ETag"] == '"1"' and got.body["last_sign_in_at"] is not None
    from hellojohn.store import users as store

    stored = store.get(tenant.id, user["id"])
    assert stored is not None and (stored.failed_attempts, stored.locked_until) == (0, 0)


def test_50_wrong_guesses_check_at_most_5_and_lock(
    api: Api, tenant: Tenant, user: dict[str, Any], record_property: Any
) -> None:
    """The reservation that lets right ones wait keeps the bound: of 50 wrong passwords at once,
    5 are checked (counted in every process), the rest refused unchecked; then the right one is
    refused while locked, and the stored count is exactly the 5 checked."""
    requests = [_sign_in(tenant, f"Wrong-Password-{i:02d}") for i in range(50)]
    replies, verified = run(api, requests)
    statuses = Counter(r.status for r in replies)
    record_property("wrong", {"checked": sum(verified), "statuses": dict(statuses)})
    logging.getLogger(__name__).warning("50 wrong at once: %d checked, %s", sum(verified), dict(statuses))
    assert sum(verified) == 5 and statuses == {401: 4, 429: 46}, (sum(verified), statuses)
    right = api(*_sign_in(tenant))
    assert right.status == 429 and right.body["error"]["code"] == "too_many_attempts"
    from hellojohn import throttle
    from hellojohn.store import users as store

    stored = store.get(tenant.id, user["id"])
    assert stored is not None and stored.failed_attempts == 5 and stored.locked_until > 0
    assert not stored.sessions
    from tests.security.helpers import table_items

    [item] = [
        i
        for i in table_items()
        if i["PK"]["S"] == f"TNT#{tenant.id}#USR#{user['id']}" and i["SK"]["S"] == "USER"
    ]
    assert throttle.IN_FLIGHT not in item  # every reservation resolved


def test_right_and_wrong_at_once_the_right_ones_all_sign_in(
    api: Api, tenant: Tenant, user: dict[str, Any], record_property: Any
) -> None:
    """3 wrong and 6 right at once: at most 5 are checked together, the right ones wait for a
    slot instead of being refused (3 failures never lock), and each right one signs in."""
    requests = [_sign_in(tenant, f"Wrong-Password-{i}") for i in range(3)] + [_sign_in(tenant)] * 6
    replies, verified = run(api, requests)
    record_property("mixed", [r.status for r in replies])
    assert [r.status for r in replies] == [401] * 3 + [200] * 6, [r.body for r in replies]
    assert sum(verified) == 9
    assert len(_listed(api, tenant, user["id"])) == 6


def test_10_concurrent_refreshes_with_one_token_all_work(
    api: Api, tenant: Tenant, user: dict[str, Any], record_property: Any
) -> None:
    """A refresh retried in parallel (tabs, retries): all 200 with one successor (derived, not
    random: the losers of the rotation's write are given the winner's), the session lives, and
    every access token and the refresh token they were given work."""
    session = sign_in(api, tenant)
    request = ("POST", "/v1/auth/refresh", {"refresh_token": session["refresh_token"]}, tenant.public())
    replies, _ = run(api, [request] * 10)
    statuses = Counter(r.status for r in replies)
    record_property("refreshes", dict(statuses))
    logging.getLogger(__name__).warning("10 refreshes at once: %s", dict(statuses))
    assert statuses == {200: 10}, [r.body for r in replies if r.status != 200]
    successors = {r.body["session"]["refresh_token"] for r in replies}
    assert len(successors) == 1 and session["refresh_token"] not in successors
    for reply in replies:
        me = api("GET", "/v1/auth/me", headers=bearer(reply.body["session"]["access_token"]))
        assert me.status == 200, me.body
    assert _listed(api, tenant, user["id"]) == [session["id"]]
    [successor] = successors
    onward = api("POST", "/v1/auth/refresh", {"refresh_token": successor}, tenant.public())
    assert onward.status == 200, onward.body
    assert api("GET", "/v1/auth/me", headers=bearer(onward.body["session"]["access_token"])).status == 200


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("disable", {"revoke_sessions": True}),
        ("password", {"password": "Admin-Given-77", "sign_out_all_sessions": True}),
    ],
    ids=["disable", "password set"],
)
def test_sign_ins_racing_an_ending_write_leave_no_session(
    api: Api, tenant: Tenant, user: dict[str, Any], path: str, body: dict[str, Any], record_property: Any
) -> None:
    """9 right sign-ins and an admin's disable (or new password) ending every session, at once:
    whatever the order, no session opened with the old state survives it. Each sign-in either
    committed before it (and was ended by it) or is refused: 403 after a disable, 409 when the
    state it checked moved underneath, 401 once the password is another."""
    ending = ("POST", f"/v1/users/{user['id']}/{path}", body, tenant.admin())
    replies, _ = run(api, [_sign_in(tenant)] * 9 + [ending])
    statuses = Counter(r.status for r in replies[:-1])
    record_property(path, dict(statuses))
    logging.getLogger(__name__).warning("9 sign-ins and a %s at once: %s", path, dict(statuses))
    assert replies[-1].status == 200, replies[-1].body
    assert set(statuses) <= {200, 401, 403, 409}, statuses
    assert _listed(api, tenant, user["id"]) == []
    for reply in replies[:-1]:
        if reply.status == 200:
            me = api("GET", "/v1/auth/me", headers=bearer(reply.body["session"]["access_token"]))
            assert me.status == 401, me.body


def test_concurrent_reauthentications_and_sign_ins_of_one_user_all_succeed(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    """Issue 26: 5 reauthentications of one session (two tabs, a double click) and 5 sign-ins of
    the same user at once: each is the right password, so each is 200; the session lives, and its
    refresh token is the one of the reauthentication that committed last (one of those answered)."""
    session = sign_in(api, tenant)
    headers = bearer(session["access_token"])
    requests: list[Any] = [("POST", "/v1/auth/reauthenticate", {"password": PASSWORD}, headers)] * 5
    requests += [_sign_in(tenant)] * 5
    replies, _ = run(api, requests)
    assert [r.status for r in replies] == [200] * 10, [r.body for r in replies if r.status != 200]
    proved = [r.body["session"] for r in replies[:5]]
    assert {s["id"] for s in proved} == {session["id"]}
    refreshed = [
        api("POST", "/v1/auth/refresh", {"refresh_token": s["refresh_token"]}, tenant.public()).status
        for s in proved
    ]
    assert sorted(refreshed) == [200, 401, 401, 401, 401]  # the last written; the others replaced
    assert session["id"] in _listed(api, tenant, user["id"])
