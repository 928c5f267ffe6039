"""Deleting a user while other requests run (issue 27), each request from its own process against
one moto server (tests/security/race.py): parallel deletions all get the same answer; a deletion
racing profile writes and sign-ins wins cleanly (every write after it 409, no session opened after
it survives); a restore racing a deletion retry leaves one consistent user."""

from collections import Counter
from typing import Any

import pytest

from tests.conftest import PASSWORD, Api, Tenant
from tests.security.race import Request, concurrently

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _create(api: Api, tenant: Tenant, email: str) -> str:
    reply = api("POST", "/v1/users", {"email": email, "password": PASSWORD}, tenant.admin())
    assert reply.status == 201, reply.body
    return str(reply.body["id"])


def test_parallel_deletions_all_answer_the_same(api: Api, tenant: Tenant) -> None:
    uid = _create(api, tenant, "par-del@example.com")
    replies = concurrently(api, [("DELETE", f"/v1/users/{uid}", None, tenant.admin())] * 8)
    assert Counter(r.status for r in replies) == {200: 8}, [r.body for r in replies]
    assert len({(r.body["purge_at"], r.body["deletion_requested_at"]) for r in replies}) == 1
    seen = api("GET", f"/v1/users/{uid}", headers=tenant.admin())
    assert seen.body["purge_at"] == replies[0].body["purge_at"]
    assert seen.headers["ETag"] == '"2"'  # one deletion was written; the others answered it


def test_a_deletion_racing_writes_and_sign_ins(api: Api, tenant: Tenant) -> None:
    uid = _create(api, tenant, "race-del@example.com")
    sign_in_body = {"email": "race-del@example.com", "password": PASSWORD}
    requests: list[Request] = [("DELETE", f"/v1/users/{uid}", None, tenant.admin())]
    requests += [("PATCH", f"/v1/users/{uid}", {"name": f"N{i}"}, tenant.admin()) for i in range(4)]
    requests += [("POST", "/v1/auth/sign-in", sign_in_body, tenant.public()) for _ in range(3)]
    replies = concurrently(api, requests)
    assert replies[0].status == 200, replies[0].body
    for reply in replies[1:5]:  # a PATCH applied before the deletion, or refused after it
        assert reply.status in (200, 409), reply.body
        if reply.status == 409:
            assert reply.body["error"]["code"] == "user_pending_deletion"
    for reply in replies[5:]:  # a sign-in before the deletion (its session then revoked), or 403
        assert reply.status in (200, 403), reply.body
        if reply.status == 403:
            assert reply.body["error"]["code"] == "user_deleted"
    final: dict[str, Any] = api("GET", f"/v1/users/{uid}", headers=tenant.admin()).body
    assert final["deletion_requested_at"] is not None
    listed = api("GET", f"/v1/users/{uid}/sessions", headers=tenant.admin())
    assert listed.body["data"] == []  # no session opened before the deletion outlives it
    for reply in replies[5:]:
        if reply.status == 200:
            token = reply.body["session"]["access_token"]
            me = api("GET", "/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status == 401


def test_restores_racing_each_other(api: Api, tenant: Tenant) -> None:
    uid = _create(api, tenant, "race-restore@example.com")
    assert api("DELETE", f"/v1/users/{uid}", None, tenant.admin()).status == 200
    replies = concurrently(api, [("POST", f"/v1/users/{uid}/restore", None, tenant.admin())] * 6)
    assert Counter(r.status for r in replies) == {200: 6}, [r.body for r in replies]
    assert all(r.body["purge_at"] is None for r in replies)
    final = api("GET", f"/v1/users/{uid}", headers=tenant.admin())
    assert final.body["deletion_requested_at"] is None
    assert final.headers["ETag"] == '"3"'  # one restore was written
    again = api("POST", "/v1/users", {"email": "race-restore@example.com"}, tenant.admin())
    assert again.status == 409  # the claim is the restored user's for good
