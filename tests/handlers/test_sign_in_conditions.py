"""What a sign-in's write conflicts with, and what it does not (issue 23, item 2; DESIGN.md:
"conditions guard only what must not change underneath a write").

Each case runs another request *between* the sign-in's reservation (which reads the user) and its
session write, by running it from inside the password check: a disable, a password change, a
revoke-all or an address change made meanwhile still refuses the sign-in; another sign-in or an
unrelated edit does not. And the guess reservation's own edges: a reservation left by an
invocation that died counts as a failure; a guess finding every slot held waits, then is refused
unchecked."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import PASSWORD, Api, Clock, Tenant, bearer, sign_in
from tests.security.conftest import verifications

__all__ = ["verifications"]  # the fixture: Argon2 verifications made

Meanwhile = Callable[[Api, Tenant, dict[str, Any]], None]


@pytest.fixture
def meanwhile(
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[[Meanwhile, Api, Tenant, dict[str, Any]], None]]:
    """`meanwhile(action, ...)`: the next password check runs `action` right after it checked."""
    from hellojohn.rules import passwords

    real = passwords.verify
    pending: list[Callable[[], None]] = []

    def checking(stored: str | None, password: str) -> Any:
        verdict = real(stored, password)
        while pending:
            pending.pop()()
        return verdict

    monkeypatch.setattr(passwords, "verify", checking)

    def arm(action: Meanwhile, api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
        pending.append(lambda: action(api, tenant, user))

    yield arm


def _sign_in(api: Api, tenant: Tenant, password: str = PASSWORD) -> Any:
    body = {"email": "alice@example.com", "password": password}
    return api("POST", "/v1/auth/sign-in", body, tenant.public())


def _sessions(api: Api, tenant: Tenant, uid: str) -> list[str]:
    return [s["id"] for s in api("GET", f"/v1/users/{uid}/sessions", headers=tenant.admin()).body["data"]]


def _disable(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    assert api("POST", f"/v1/users/{user['id']}/disable", {}, tenant.admin()).status == 200


def _set_password(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    body = {"password": "Admin-Given-77"}
    assert api("POST", f"/v1/users/{user['id']}/password", body, tenant.admin()).status == 200


def _revoke_all(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    assert api("POST", f"/v1/users/{user['id']}/sessions/revoke", {}, tenant.admin()).status == 204


def _move_address(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    body = {"email": "alice.moved@example.com", "email_verified": True}
    assert api("PATCH", f"/v1/users/{user['id']}", body, tenant.admin()).status == 200


@pytest.mark.parametrize(
    ("action", "status", "code"),
    [
        (_disable, 403, "user_disabled"),
        (_set_password, 409, "conflict"),
        (_revoke_all, 409, "conflict"),
        (_move_address, 409, "conflict"),
    ],
    ids=["disable", "password set", "revoke-all", "address moved"],
)
def test_what_must_not_change_underneath_still_refuses(
    api: Api, tenant: Tenant, user: dict[str, Any], meanwhile: Any, action: Meanwhile, status: int, code: str
) -> None:
    meanwhile(action, api, tenant, user)
    reply = _sign_in(api, tenant)
    assert (reply.status, reply.error) == (status, code), reply.body
    assert _sessions(api, tenant, user["id"]) == []
    from hellojohn.store import users as store

    stored = store.get(tenant.id, user["id"])
    assert stored is not None and (stored.failed_attempts, stored.locked_until) == (0, 0)  # released


def test_a_password_change_by_the_user_meanwhile_refuses_too(
    api: Api, tenant: Tenant, user: dict[str, Any], meanwhile: Any
) -> None:
    session = sign_in(api, tenant)

    def change(api: Api, tenant: Tenant, _: dict[str, Any]) -> None:
        body = {"current_password": PASSWORD, "new_password": "Battery-Staple-77"}
        assert api("POST", "/v1/auth/password/change", body, bearer(session["access_token"])).status == 200

    meanwhile(change, api, tenant, user)
    reply = _sign_in(api, tenant)
    assert (reply.status, reply.error) == (409, "conflict"), reply.body
    assert _sessions(api, tenant, user["id"]) == [session["id"]]


def test_another_sign_in_or_an_unrelated_edit_meanwhile_does_not(
    api: Api, tenant: Tenant, user: dict[str, Any], meanwhile: Any
) -> None:
    """Both used to be 409 (the write was conditioned on the version); and a sign-in moves no
    version, so the admin's ETag read before it is still good after it."""
    etag = api("GET", f"/v1/users/{user['id']}", headers=tenant.admin()).headers["ETag"]

    def other_sign_in(api: Api, tenant: Tenant, _: dict[str, Any]) -> None:
        assert _sign_in(api, tenant).status == 200

    def rename(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
        assert api("PATCH", f"/v1/users/{user['id']}", {"name": "Alice B."}, tenant.admin()).status == 200

    meanwhile(other_sign_in, api, tenant, user)
    assert _sign_in(api, tenant).status == 200
    assert len(_sessions(api, tenant, user["id"])) == 2
    headers = {**tenant.admin(), "If-Match": etag}
    patched = api("PATCH", f"/v1/users/{user['id']}", {"name": "Alice"}, headers)
    assert patched.status == 200, patched.body  # two sign-ins later, the ETag read before is current
    meanwhile(rename, api, tenant, user)
    assert _sign_in(api, tenant).status == 200
    got = api("GET", f"/v1/users/{user['id']}", headers=tenant.admin())
    renamed = int(patched.headers["ETag"].strip('"')) + 1  # the rename's; the sign-in's none
    assert (got.body["name"], got.headers["ETag"]) == ("Alice B.", f'"{renamed}"')
    assert len(_sessions(api, tenant, user["id"])) == 3


def _marks(tenant: Tenant, uid: str, *marks: str) -> None:
    from hellojohn import throttle
    from hellojohn.store import keys
    from hellojohn.store.client import dynamodb, table_name

    dynamodb().update_item(
        TableName=table_name(),
        Key=keys.user(tenant.id, uid),
        UpdateExpression="ADD #g :m",
        ExpressionAttributeNames={"#g": throttle.IN_FLIGHT},
        ExpressionAttributeValues={":m": {"SS": list(marks)}},
    )


def test_a_reservation_whose_invocation_died_counts_as_a_failure(
    api: Api, tenant: Tenant, user: dict[str, Any], clock: Clock, verifications: list[str]
) -> None:
    """A guess reserved by an invocation that ended before resolving it (a timeout, a crash) is
    counted as wrong once older than HORIZON: with 4 failures, it is the 5th, and locks."""
    from hellojohn import throttle, timeutil

    for _ in range(4):
        assert _sign_in(api, tenant, "Wrong-Password-00").status == 401
    _marks(tenant, user["id"], f"{timeutil.now() - throttle.HORIZON}:dead0000")
    verifications.clear()
    reply = _sign_in(api, tenant)
    assert (reply.status, reply.error) == (429, "too_many_attempts") and reply.headers["Retry-After"] == "60"
    assert verifications == []  # refused unchecked
    from hellojohn.store import users as store

    stored = store.get(tenant.id, user["id"])
    assert stored is not None and stored.failed_attempts == 5


def test_every_slot_held_waits_then_is_refused_unchecked(
    api: Api, tenant: Tenant, user: dict[str, Any], monkeypatch: pytest.MonkeyPatch, verifications: list[str]
) -> None:
    """Five guesses in flight (still young): a sixth waits for a slot; none frees, so after the
    wait it is 429 with Retry-After 1, its password unchecked. Once they resolve, it is let in."""
    from hellojohn import throttle, timeutil
    from hellojohn.store import guesses

    monkeypatch.setattr(guesses, "WAIT_SECONDS", 0.3)
    now = timeutil.now()
    marks = [f"{now}:busy000{i}" for i in range(throttle.FREE_FAILURES)]
    _marks(tenant, user["id"], *marks)
    verifications.clear()
    reply = _sign_in(api, tenant)
    assert (reply.status, reply.error, reply.headers["Retry-After"]) == (429, "too_many_attempts", "1")
    assert verifications == []
    from hellojohn.store import keys
    from hellojohn.store.client import dynamodb, table_name

    dynamodb().update_item(
        TableName=table_name(),
        Key=keys.user(tenant.id, user["id"]),
        UpdateExpression="DELETE #g :m",
        ExpressionAttributeNames={"#g": throttle.IN_FLIGHT},
        ExpressionAttributeValues={":m": {"SS": marks}},
    )  # the five were right: their sign-ins cleared them
    assert _sign_in(api, tenant).status == 200
