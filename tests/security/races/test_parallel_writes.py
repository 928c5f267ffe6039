"""Last writer wins when the caller asked for it: writes without If-Match, many at once on one user,
each from its own process against one moto server (tests/security/race.py), all apply, none is
lost, and the stream makes one change event and one history entry of each. With If-Match, one
writer wins and the others get 412 (rules/users.py, `last_writer_wins`)."""

from collections import Counter
from typing import Any

import pytest

from local_runner.bus import Tap
from tests.conftest import Api, Tenant, bearer, sign_in
from tests.pipeline import Pipeline
from tests.security.helpers import email_claims
from tests.security.race import Request, concurrently

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def pipe(shared: dict[str, str]) -> Pipeline:
    return Pipeline(shared)


@pytest.fixture
def tap(shared: dict[str, str]) -> Tap:
    return Tap(shared["UserEventBus"], prefix="parallel")


def _create(api: Api, tenant: Tenant, email: str, **fields: Any) -> dict[str, Any]:
    reply = api("POST", "/v1/users", {"email": email, **fields}, tenant.admin())
    assert reply.status == 201, reply.body
    return dict(reply.body)


def _get(api: Api, tenant: Tenant, uid: str) -> tuple[dict[str, Any], str]:
    reply = api("GET", f"/v1/users/{uid}", headers=tenant.admin())
    assert reply.status == 200, reply.body
    return dict(reply.body), reply.headers["ETag"]


def _statuses(replies: list[Any]) -> Counter[int]:
    return Counter(r.status for r in replies)


def _events_of(pipe: Pipeline, tap: Tap, uid: str) -> list[dict[str, Any]]:
    """The change events of one user the bus delivered, once the stream has been routed."""
    pipe.pump()
    return [e for e in tap.all() if e["detail"]["user_id"] == uid]


def _history(api: Api, tenant: Tenant, uid: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    query = "?limit=100"
    while True:
        reply = api("GET", f"/v1/users/{uid}/events{query}", headers=tenant.admin())
        assert reply.status == 200, reply.body
        entries += reply.body["data"]
        cursor = reply.body["pagination"]["next_cursor"]
        if not cursor:
            return entries
        query = f"?limit=100&cursor={cursor}"


def _added_keys(change: dict[str, Any]) -> set[str]:
    """The public_metadata keys a change added (a merge of one key adds exactly that one)."""
    before = (change.get("before") or {}).get("public_metadata") or {}
    after = (change.get("after") or {}).get("public_metadata") or {}
    return set(after) - set(before)


def test_30_merges_of_distinct_keys_without_if_match_all_apply_once(
    api: Api, tenant: Tenant, pipe: Pipeline, tap: Tap
) -> None:
    uid = _create(api, tenant, "merges30@example.com")["id"]
    n = 30
    replies = concurrently(
        api,
        [
            ("PATCH", f"/v1/users/{uid}/metadata", {"public_metadata": {f"k{i}": i}}, tenant.admin())
            for i in range(n)
        ],
    )
    assert _statuses(replies) == {200: n}, (
        _statuses(replies),
        [r.body for r in replies if r.status != 200][:3],
    )
    user, etag = _get(api, tenant, uid)
    assert user["public_metadata"] == {f"k{i}": i for i in range(n)}
    assert etag == f'"{1 + n}"'  # one write each: none lost, none made twice
    events = [e["detail"] for e in _events_of(pipe, tap, uid) if e["detail-type"] == "user.updated"]
    assert sorted(k for e in events for k in _added_keys(e)) == sorted(f"k{i}" for i in range(n))
    assert all(len(_added_keys(e)) == 1 and e["changed"] == ["public_metadata"] for e in events)
    assert len(events) == n
    kept = [e for e in _history(api, tenant, uid) if e["type"] == "user.updated"]
    assert sorted(k for e in kept for k in _added_keys(e)) == sorted(f"k{i}" for i in range(n))
    assert len(kept) == n


def test_30_patches_of_different_fields_all_apply(api: Api, tenant: Tenant) -> None:
    """Admin and self-service PATCHes of every field, metadata merges and email changes (the
    read-then-write paths) at once: no 409, and each field ends with a value one of its writers sent."""
    from tests.conftest import PASSWORD

    uid = _create(api, tenant, "fields30@example.com", password=PASSWORD)["id"]
    token = sign_in(api, tenant, "fields30@example.com")["access_token"]
    admin, me = tenant.admin(), bearer(token)
    sent: dict[str, list[Any]] = {}
    requests: list[Request] = []

    def add(
        path: str, field: str, value: Any, headers: dict[str, str], body: dict[str, Any] | None = None
    ) -> None:
        sent.setdefault(field, []).append(value)
        requests.append(("PATCH", path, body or {field: value}, headers))

    for i in range(4):
        add(f"/v1/users/{uid}", "name", f"Admin {i}", admin)
        add("/v1/auth/me", "name", f"Self {i}", me)
        add(f"/v1/users/{uid}", "avatar_url", f"https://img.example.com/a{i}.png", admin)
        add("/v1/auth/me", "phone_number", f"+1415555010{i}", me)
    for i in range(3):
        add(f"/v1/users/{uid}", "role", ("admin", "member", "admin")[i], admin)
        add(f"/v1/users/{uid}", "private_metadata", {"tier": i}, admin)
        add(f"/v1/users/{uid}/metadata", f"merge{i}", i, admin, {"public_metadata": {f"merge{i}": i}})
        add(
            f"/v1/users/{uid}",
            "pending_email",
            f"next{i}@example.com",
            admin,
            {"email": f"next{i}@example.com"},
        )
    add(f"/v1/users/{uid}", "email_verified", True, admin)
    add(f"/v1/users/{uid}", "email_verified", False, admin)
    assert len(requests) == 30
    replies = concurrently(api, requests)
    assert _statuses(replies) == {200: 30}, (
        _statuses(replies),
        [r.body for r in replies if r.status != 200][:3],
    )
    user, _ = _get(api, tenant, uid)
    for field, values in sent.items():
        if field.startswith("merge"):
            assert user["public_metadata"][field] == values[0]
        else:
            assert user[field] in values, (field, user[field], values)


def test_10_admin_email_switches_without_if_match_all_apply_and_leave_one_claim(
    api: Api, tenant: Tenant
) -> None:
    uid = _create(api, tenant, "switch10@example.com")["id"]
    addresses = [f"switched{i}@example.com" for i in range(10)]
    replies = concurrently(
        api,
        [
            ("PATCH", f"/v1/users/{uid}", {"email": a, "email_verified": True}, tenant.admin())
            for a in addresses
        ],
    )
    assert _statuses(replies) == {200: 10}, (
        _statuses(replies),
        [r.body for r in replies if r.status != 200][:3],
    )
    user, etag = _get(api, tenant, uid)
    assert user["email"] in addresses and user["email_verified"] is True and user["pending_email"] is None
    assert etag == '"11"'  # each switch applied once, on the address the one before it left
    assert email_claims(tenant) == {user["email"]: uid}  # the final address's claim only: none for the others


def test_with_if_match_one_merge_wins_the_rest_412(api: Api, tenant: Tenant) -> None:
    uid = _create(api, tenant, "merge-if-match@example.com")["id"]
    headers = {**tenant.admin(), "If-Match": '"1"'}
    replies = concurrently(
        api,
        [
            ("PATCH", f"/v1/users/{uid}/metadata", {"public_metadata": {f"k{i}": i}}, headers)
            for i in range(30)
        ],
    )
    assert _statuses(replies) == {200: 1, 412: 29}, _statuses(replies)
    assert all(r.body["error"]["code"] == "precondition_failed" for r in replies if r.status == 412)
    [winner] = [r for r in replies if r.status == 200]
    user, etag = _get(api, tenant, uid)
    assert (user["public_metadata"], etag) == (winner.body["public_metadata"], '"2"')


def test_with_if_match_one_email_switch_wins_the_rest_412(api: Api, tenant: Tenant) -> None:
    uid = _create(api, tenant, "switch-if-match@example.com")["id"]
    headers = {**tenant.admin(), "If-Match": '"1"'}
    addresses = [f"won{i}@example.com" for i in range(10)]
    replies = concurrently(
        api, [("PATCH", f"/v1/users/{uid}", {"email": a, "email_verified": True}, headers) for a in addresses]
    )
    assert _statuses(replies) == {200: 1, 412: 9}, _statuses(replies)
    [winner] = [r for r in replies if r.status == 200]
    user, _ = _get(api, tenant, uid)
    assert user["email"] == winner.body["email"]
    assert email_claims(tenant) == {user["email"]: uid}
