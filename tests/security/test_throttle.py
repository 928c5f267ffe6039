"""Guess throttling on the user item: sign-in and password change (hellojohn/throttle.py)."""

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.conftest import PASSWORD, Api, Clock, Tenant, bearer, sign_in
from tests.security.conftest import Calls
from tests.security.helpers import assert_error

WRONG = "Wrong-Password-00"


def _sign_in(api: Api, tenant: Tenant, password: str) -> Any:
    return api(
        "POST", "/v1/auth/sign-in", {"email": "alice@example.com", "password": password}, tenant.public()
    )


def _stored(tenant: Tenant, uid: str) -> Any:
    from hellojohn.store import users as store

    return store.get(tenant.id, uid)


def test_sign_in_locks_after_five_failures_and_grows(
    api: Api, tenant: Tenant, user: dict[str, Any], clock: Clock
) -> None:
    for _ in range(4):
        assert_error(_sign_in(api, tenant, WRONG), 401, "invalid_credentials")
    fifth = _sign_in(api, tenant, WRONG)
    assert_error(fifth, 429, "too_many_attempts")
    assert fifth.headers["Retry-After"] == "60"
    # while locked even the right password is refused, unchecked, and the lock does not move
    locked = _sign_in(api, tenant, PASSWORD)
    assert_error(locked, 429, "too_many_attempts")
    assert 0 < int(locked.headers["Retry-After"]) <= 60
    clock.advance(61)
    sixth = _sign_in(api, tenant, WRONG)
    assert_error(sixth, 429, "too_many_attempts")
    assert sixth.headers["Retry-After"] == "120"  # doubling
    clock.advance(121)
    assert _sign_in(api, tenant, WRONG).headers["Retry-After"] == "240"
    clock.advance(241)
    ok = _sign_in(api, tenant, PASSWORD)  # the right password after the lock works
    assert ok.status == 200, ok.body
    stored = _stored(tenant, user["id"])
    assert (stored.failed_attempts, stored.first_failed_at, stored.locked_until) == (0, 0, 0)
    for _ in range(4):  # the count starts again from zero
        assert _sign_in(api, tenant, WRONG).status == 401


def test_lock_is_capped_at_fifteen_minutes(
    api: Api, tenant: Tenant, user: dict[str, Any], clock: Clock
) -> None:
    """A stranger with the publishable key keeps a user out for at most 15 minutes per lock (it
    was an hour): the right password works as soon as the lock ends."""
    waits = []
    for _ in range(12):
        reply = _sign_in(api, tenant, WRONG)
        if reply.status == 429:
            waits.append(int(reply.headers["Retry-After"]))
            clock.advance(waits[-1] + 1)
    assert waits == [60, 120, 240, 480, 900, 900, 900, 900]
    assert _sign_in(api, tenant, WRONG).status == 429  # the 13th: locked again, for 900 s
    for _ in range(20):  # however many guesses follow, none extends the lock
        reply = _sign_in(api, tenant, WRONG)
        assert_error(reply, 429, "too_many_attempts")
        assert int(reply.headers["Retry-After"]) <= 900
    clock.advance(901)
    assert _sign_in(api, tenant, PASSWORD).status == 200


def test_failures_outside_the_window_do_not_add_up(
    api: Api, tenant: Tenant, user: dict[str, Any], clock: Clock
) -> None:
    for _ in range(4):
        assert _sign_in(api, tenant, WRONG).status == 401
    clock.advance(15 * 60 + 1)
    for _ in range(4):
        assert _sign_in(api, tenant, WRONG).status == 401  # a new window: 4 again, no lock
    assert _sign_in(api, tenant, WRONG).status == 429


def test_admin_set_password_clears_the_lock(
    api: Api, tenant: Tenant, user: dict[str, Any], clock: Clock
) -> None:
    """Finding 5: the user stayed locked out, with the admin's new password, for up to an hour."""
    for _ in range(6):
        _sign_in(api, tenant, WRONG)
    assert _sign_in(api, tenant, PASSWORD).status == 429
    reply = api("POST", f"/v1/users/{user['id']}/password", {"password": "Admin-Given-77"}, tenant.admin())
    assert reply.status == 200, reply.body
    stored = _stored(tenant, user["id"])
    assert (stored.failed_attempts, stored.first_failed_at, stored.locked_until) == (0, 0, 0)
    assert _sign_in(api, tenant, "Admin-Given-77").status == 200


def test_password_change_locks_too(api: Api, tenant: Tenant, user: dict[str, Any], clock: Clock) -> None:
    session = sign_in(api, tenant)
    headers = bearer(session["access_token"])
    body = {"current_password": WRONG, "new_password": "Battery-Staple-77"}
    for _ in range(4):
        assert_error(api("POST", "/v1/auth/password/change", body, headers), 401, "invalid_credentials")
    fifth = api("POST", "/v1/auth/password/change", body, headers)
    assert_error(fifth, 429, "too_many_attempts")
    assert fifth.headers["Retry-After"] == "60"
    right = {"current_password": PASSWORD, "new_password": "Battery-Staple-77"}
    assert api("POST", "/v1/auth/password/change", right, headers).status == 429
    # the lock is the user's: sign-in is locked as well
    assert _sign_in(api, tenant, PASSWORD).status == 429
    clock.advance(61)
    changed = api("POST", "/v1/auth/password/change", right, headers)
    assert changed.status == 200, changed.body
    assert _stored(tenant, user["id"]).failed_attempts == 0
    assert _sign_in(api, tenant, "Battery-Staple-77").status == 200


def test_success_path_spends_no_extra_round_trip(
    api: Api, tenant: Tenant, user: dict[str, Any], calls: Calls
) -> None:
    sign_in(api, tenant)  # warms the key and tenant caches
    calls.clear()
    sign_in(api, tenant)
    clean = list(calls.operations)
    assert clean == ["GetItem", "UpdateItem", "TransactWriteItems"]  # claim, guess (the user), session
    for _ in range(3):
        assert _sign_in(api, tenant, WRONG).status == 401
    calls.clear()
    sign_in(api, tenant)  # clears the count inside the same transaction
    assert calls.operations == clean
    assert _stored(tenant, user["id"]).failed_attempts == 0
    session = sign_in(api, tenant)
    calls.clear()
    body = {"current_password": PASSWORD, "new_password": "Battery-Staple-77"}
    assert api("POST", "/v1/auth/password/change", body, bearer(session["access_token"])).status == 200
    # guess (the user), then the new password with the session's auth_time (one transaction)
    assert calls.operations == ["UpdateItem", "TransactWriteItems"]
    calls.clear()
    again = api(
        "POST", "/v1/auth/reauthenticate", {"password": "Battery-Staple-77"}, bearer(session["access_token"])
    )
    assert again.status == 200, again.body
    assert calls.operations == [
        "UpdateItem",
        "TransactWriteItems",
    ]  # guess (the user), count cleared with the session
    assert _stored(tenant, user["id"]).failed_attempts == 0
    calls.clear()
    assert _sign_in(api, tenant, WRONG).status == 401
    # a wrong one: reserved (the user), then its reservation counted as a failure
    assert calls.operations == ["GetItem", "UpdateItem", "UpdateItem"]


@pytest.mark.usefixtures("atomic_moto")
def test_concurrent_failures_are_all_counted(
    api: Api, tenant: Tenant, user: dict[str, Any], verifications: list[str]
) -> None:
    """A burst of parallel wrong guesses: each is counted before it is checked, so five are
    checked and the rest are refused unchecked (none lost to a concurrent write)."""
    from hellojohn import errors
    from hellojohn.models import SignIn
    from hellojohn.rules import account, tenancy

    found = tenancy.tenant(tenant.id)
    assert found is not None

    def guess(_: int) -> int:
        try:
            account.sign_in(found, SignIn(email="alice@example.com", password=WRONG))
        except errors.ApiError as err:
            return err.status
        return 200

    verifications.clear()
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(guess, range(8)))
    assert sorted(statuses) == [401] * 4 + [429] * 4, statuses
    assert len(verifications) == 5
    stored = _stored(tenant, user["id"])
    assert stored.failed_attempts == 5, statuses
    assert stored.locked_until > 0
