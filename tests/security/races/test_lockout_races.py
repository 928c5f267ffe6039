"""The lockout under concurrency (finding 1): 50 simultaneous guesses from 50 processes (as 50
Lambda instances), 49 wrong and the right one last, against one moto server that applies each
call atomically. Each guess is counted before its password is checked, so at most 5 wrong ones
are checked (Argon2 verifications, counted in every process) and the right one is refused.

Before: the lock was read before Argon2 and the success was conditioned only on the version, so
all 49 wrong ones were checked and the right one signed in (or changed the password)."""

import logging
from collections import Counter
from typing import Any

import pytest

from tests.conftest import PASSWORD, Api, Tenant, bearer, sign_in
from tests.security.race import run

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

GUESSES = 50
WRONG = "Wrong-Password-{:02d}"
LAST_AFTER = 5  # the right one is sent once 5 wrong ones have been answered: the others are in flight


def _user(api: Api, tenant: Tenant) -> dict[str, Any]:
    body = {"email": "alice@example.com", "password": PASSWORD}
    reply = api("POST", "/v1/users", body, tenant.admin())
    assert reply.status == 201, reply.body
    return dict(reply.body)


def _burst(api: Api, tenant: Tenant, uid: str, requests: list[Any], what: str, record_property: Any) -> Any:
    """The 49 wrong guesses and the right one last, at once: at most 5 wrong ones checked, the
    rest 401 or 429, the right one refused unchecked, the user locked. The user as stored after."""
    from hellojohn.store import users as store

    replies, verified = run(api, requests, last_after=LAST_AFTER)
    wrong_checked = sum(verified[:-1])
    record_property(
        what.replace("-", "_").replace(" ", "_"),
        {"wrong_checked": wrong_checked, "right": replies[-1].status},
    )
    logging.getLogger(__name__).warning(
        "%s: %d wrong checked, the right one %d", what, wrong_checked, replies[-1].status
    )
    statuses = Counter(r.status for r in replies[:-1])
    assert wrong_checked <= 5, (wrong_checked, statuses)
    assert statuses[401] + statuses[429] == GUESSES - 1 and statuses[401] <= 4, statuses
    assert replies[-1].status == 429 and replies[-1].body["error"]["code"] == "too_many_attempts"
    assert verified[-1] == 0  # refused unchecked
    stored = store.get(tenant.id, uid)
    assert stored is not None and stored.failed_attempts == 5 and stored.locked_until > 0
    return stored


def test_50_sign_ins_49_wrong_then_the_right_one(api: Api, tenant: Tenant, record_property: Any) -> None:
    user = _user(api, tenant)
    requests: list[Any] = [
        (
            "POST",
            "/v1/auth/sign-in",
            {"email": "alice@example.com", "password": WRONG.format(i)},
            tenant.public(),
        )
        for i in range(GUESSES - 1)
    ]
    requests.append(
        ("POST", "/v1/auth/sign-in", {"email": "alice@example.com", "password": PASSWORD}, tenant.public())
    )
    stored = _burst(api, tenant, user["id"], requests, "sign-in", record_property)
    assert not stored.sessions


def test_50_password_changes_49_wrong_then_the_right_one(
    api: Api, tenant: Tenant, record_property: Any
) -> None:
    """A stolen access token and a burst: the current password cannot be guessed either."""
    user = _user(api, tenant)
    headers = bearer(sign_in(api, tenant)["access_token"])
    requests: list[Any] = [
        (
            "POST",
            "/v1/auth/password/change",
            {"current_password": WRONG.format(i), "new_password": "Battery-Staple-77"},
            headers,
        )
        for i in range(GUESSES - 1)
    ]
    right = {"current_password": PASSWORD, "new_password": "Battery-Staple-77"}
    requests.append(("POST", "/v1/auth/password/change", right, headers))
    stored = _burst(api, tenant, user["id"], requests, "password change", record_property)
    from hellojohn.rules import passwords

    assert passwords.verify(stored.password_hash, PASSWORD).ok  # unchanged


def test_50_reauthentications_49_wrong_then_the_right_one(
    api: Api, tenant: Tenant, record_property: Any
) -> None:
    """Reauthentication (issue 26) counts a guess as sign-in does: a stolen access token and a burst
    cannot guess the password there either, and the lock is the user's (sign-in is locked too)."""
    user = _user(api, tenant)
    session = sign_in(api, tenant)
    headers = bearer(session["access_token"])
    requests: list[Any] = [
        ("POST", "/v1/auth/reauthenticate", {"password": WRONG.format(i)}, headers)
        for i in range(GUESSES - 1)
    ]
    requests.append(("POST", "/v1/auth/reauthenticate", {"password": PASSWORD}, headers))
    stored = _burst(api, tenant, user["id"], requests, "reauthenticate", record_property)
    assert session["id"] in stored.sessions  # locked, not signed out
    signing_in = {"email": "alice@example.com", "password": PASSWORD}
    assert api("POST", "/v1/auth/sign-in", signing_in, tenant.public()).error == "too_many_attempts"
