"""A refresh is safe to retry (issue 23, item 3): the rotated token presented again within the
reuse interval (REFRESH_TOKEN_REUSE_INTERVAL_SECONDS, 30 s) is answered with the same successor
and ends nothing; after it, or with the interval 0 at once, it is theft and ends the session
(RFC 9700). Only hashes are stored."""

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Api, Clock, Tenant, bearer, sign_in
from tests.security.conftest import Calls, calls

__all__ = ["calls"]  # the fixture: DynamoDB calls made


def _refresh(api: Api, tenant: Tenant, token: str) -> Any:
    return api("POST", "/v1/auth/refresh", {"refresh_token": token}, tenant.public())


def _me(api: Api, session: dict[str, Any]) -> int:
    return api("GET", "/v1/auth/me", headers=bearer(session["access_token"])).status


@pytest.fixture
def interval(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """`interval(n)`: the functions' REFRESH_TOKEN_REUSE_INTERVAL_SECONDS for this test."""
    from hellojohn.config import settings

    def set_to(seconds: int) -> None:
        monkeypatch.setenv("REFRESH_TOKEN_REUSE_INTERVAL_SECONDS", str(seconds))
        settings.cache_clear()

    yield set_to
    settings.cache_clear()


def test_a_sequential_retry_gets_the_same_successor_and_the_session_lives(
    api: Api, tenant: Tenant, user: dict[str, Any], clock: Clock, calls: Calls
) -> None:
    session = sign_in(api, tenant)
    first = _refresh(api, tenant, session["refresh_token"])
    assert first.status == 200, first.body
    clock.advance(25)  # the response was lost; the client retries within the interval
    calls.clear()
    retry = _refresh(api, tenant, session["refresh_token"])
    assert retry.status == 200, retry.body
    assert calls.operations == ["BatchGetItem"]  # a retry writes nothing
    assert retry.body["session"]["refresh_token"] == first.body["session"]["refresh_token"]
    assert retry.body["session"]["id"] == session["id"]
    assert retry.body["session"]["refresh_token_expires_at"] == session["refresh_token_expires_at"]
    assert (_me(api, first.body["session"]), _me(api, retry.body["session"])) == (200, 200)
    onward = _refresh(api, tenant, retry.body["session"]["refresh_token"])
    assert onward.status == 200 and _me(api, onward.body["session"]) == 200


def test_reuse_after_the_interval_ends_the_session(
    api: Api, tenant: Tenant, user: dict[str, Any], clock: Clock
) -> None:
    session = sign_in(api, tenant)
    first = _refresh(api, tenant, session["refresh_token"])
    assert first.status == 200
    clock.advance(30)
    replay = _refresh(api, tenant, session["refresh_token"])
    assert (replay.status, replay.error) == (401, "session_revoked")
    assert _me(api, first.body["session"]) == 401
    assert _refresh(api, tenant, first.body["session"]["refresh_token"]).error == "session_revoked"
    listed = api("GET", f"/v1/users/{user['id']}/sessions", headers=tenant.admin())
    assert listed.body["data"] == []


def test_the_window_is_the_rotations_not_extended_by_retries(
    api: Api, tenant: Tenant, user: dict[str, Any], clock: Clock
) -> None:
    session = sign_in(api, tenant)
    assert _refresh(api, tenant, session["refresh_token"]).status == 200
    clock.advance(20)
    assert _refresh(api, tenant, session["refresh_token"]).status == 200
    clock.advance(10)  # 30 s after the rotation, 10 after the retry
    assert _refresh(api, tenant, session["refresh_token"]).error == "session_revoked"


def test_interval_0_makes_any_reuse_theft(
    api: Api, tenant: Tenant, user: dict[str, Any], interval: Any
) -> None:
    interval(0)
    session = sign_in(api, tenant)
    first = _refresh(api, tenant, session["refresh_token"])
    assert first.status == 200
    replay = _refresh(api, tenant, session["refresh_token"])
    assert (replay.status, replay.error) == (401, "session_revoked")
    assert _me(api, first.body["session"]) == 401


def test_only_hashes_are_stored(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    """current, previous and the rotation's time; neither token, nor the successor key."""
    from hellojohn.rules import opaque
    from hellojohn.store.sessions import get_user_and_session

    session = sign_in(api, tenant)
    reply = _refresh(api, tenant, session["refresh_token"])
    assert reply.status == 200
    successor = reply.body["session"]["refresh_token"]
    _, stored = get_user_and_session(tenant.id, user["id"], session["id"])
    assert stored is not None
    assert stored.refresh_hash == opaque.digest(successor.split(".")[2])
    assert stored.previous_refresh_hash == opaque.digest(session["refresh_token"].split(".")[2])
    assert stored.last_refreshed_at is not None
    from tests.security.helpers import table_items

    text = repr(table_items())
    for token in (session["refresh_token"], successor):
        assert token.split(".")[2] not in text


def test_a_successor_not_derived_from_the_token_is_theft_even_in_the_window(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    """A session rotated before successors were derived (or under a rotated seed): the previous
    token's successor is not the current one, so a retry cannot be answered: theft, as before."""
    from hellojohn.rules import opaque
    from hellojohn.store import keys
    from hellojohn.store.client import dynamodb, table_name

    session = sign_in(api, tenant)
    assert _refresh(api, tenant, session["refresh_token"]).status == 200
    dynamodb().update_item(
        TableName=table_name(),
        Key=keys.session(tenant.id, user["id"], session["id"]),
        UpdateExpression="SET refresh_hash = :random",
        ExpressionAttributeValues={":random": {"S": opaque.digest("a random token of the old scheme")}},
    )
    assert _refresh(api, tenant, session["refresh_token"]).error == "session_revoked"


def test_a_transaction_conflict_is_retried(
    api: Api, tenant: Tenant, user: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DynamoDB cancels a transaction holding an item another one holds (moto never does): the
    refresh reads again and ends as if it had run alone."""
    from hellojohn.store import sessions as session_store

    real = session_store.rotate
    conflicts = [session_store.RotationLost(["None", "TransactionConflict"])]

    def conflicting(*args: Any) -> None:
        if conflicts:
            raise conflicts.pop()
        real(*args)

    monkeypatch.setattr(session_store, "rotate", conflicting)
    session = sign_in(api, tenant)
    reply = _refresh(api, tenant, session["refresh_token"])
    assert reply.status == 200, reply.body
    assert conflicts == [] and _me(api, reply.body["session"]) == 200
