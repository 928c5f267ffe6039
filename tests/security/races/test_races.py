"""Races decided by conditional writes: many processes at once, exactly one winner, claims consistent."""

from collections import Counter
from typing import Any

import pytest

from tests.conftest import Api, Clock, Tenant
from tests.security.helpers import email_claims
from tests.security.race import concurrently

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _create(api: Api, tenant: Tenant, email: str) -> dict[str, Any]:
    reply = api("POST", "/v1/users", {"email": email}, tenant.admin())
    assert reply.status == 201, reply.body
    return dict(reply.body)


def _consistent(api: Api, tenant: Tenant, uids: list[str]) -> dict[str, Any]:
    """Each user's email has exactly one claim, pointing at that user; no claim points elsewhere."""
    users = {uid: api("GET", f"/v1/users/{uid}", headers=tenant.admin()).body for uid in uids}
    claims = email_claims(tenant)
    assert claims == {u["email"].lower(): uid for uid, u in users.items()}
    return users


def test_50_patches_with_one_if_match_one_wins(api: Api, tenant: Tenant) -> None:
    user = _create(api, tenant, "target@example.com")
    uid = user["id"]
    headers = {**tenant.admin(), "If-Match": '"1"'}
    replies = concurrently(
        api, [("PATCH", f"/v1/users/{uid}", {"name": f"writer {i}"}, headers) for i in range(50)]
    )
    statuses = Counter(r.status for r in replies)
    assert statuses == {200: 1, 412: 49}, statuses
    winner = next(r for r in replies if r.status == 200)
    assert all(r.body["error"]["code"] == "precondition_failed" for r in replies if r.status == 412)
    after = api("GET", f"/v1/users/{uid}", headers=tenant.admin())
    assert after.body["name"] == winner.body["name"] and after.headers["ETag"] == '"2"'


def test_50_email_changes_with_one_if_match_one_wins(api: Api, tenant: Tenant) -> None:
    """The read-then-transaction path (an email switch moves claims) decides the same way."""
    user = _create(api, tenant, "mover@example.com")
    uid = user["id"]
    headers = {**tenant.admin(), "If-Match": '"1"'}
    requests = [
        ("PATCH", f"/v1/users/{uid}", {"email": f"moved{i}@example.com", "email_verified": True}, headers)
        for i in range(50)
    ]
    replies = concurrently(api, requests)
    statuses = Counter(r.status for r in replies)
    assert statuses == {200: 1, 412: 49}, statuses
    winner = next(r for r in replies if r.status == 200)
    users = _consistent(api, tenant, [uid])
    assert users[uid]["email"] == winner.body["email"]


def test_20_users_claim_one_email_admin_switch(api: Api, tenant: Tenant) -> None:
    uids = [_create(api, tenant, f"claimant{i}@example.com")["id"] for i in range(20)]
    body = {"email": "Wanted@Example.com", "email_verified": True}
    replies = concurrently(api, [("PATCH", f"/v1/users/{uid}", body, tenant.admin()) for uid in uids])
    statuses = Counter(r.status for r in replies)
    assert statuses == {200: 1, 409: 19}, statuses
    assert all(r.body["error"]["code"] == "email_taken" for r in replies if r.status == 409)
    winner = uids[next(i for i, r in enumerate(replies) if r.status == 200)]
    users = _consistent(api, tenant, uids)
    assert [uid for uid, u in users.items() if u["email"].lower() == "wanted@example.com"] == [winner]
    assert email_claims(tenant)["wanted@example.com"] == winner


def test_20_users_claim_one_email_switch_and_verification(api: Api, tenant: Tenant, clock: Clock) -> None:
    """Half switch at once (admin), half verify a pending change: one address, one owner."""
    from hellojohn.rules import verification
    from hellojohn.store import users as store

    uids = [_create(api, tenant, f"racer{i}@example.com")["id"] for i in range(20)]
    requests = []
    for i, uid in enumerate(uids):
        if i % 2:
            requests.append(
                (
                    "PATCH",
                    f"/v1/users/{uid}",
                    {"email": "prize@example.com", "email_verified": True},
                    tenant.admin(),
                )
            )
            continue
        clock.advance(3600)  # an address is sent 5 verification emails an hour at most
        assert api("PATCH", f"/v1/users/{uid}", {"email": "prize@example.com"}, tenant.admin()).status == 200
        pending = store.get(tenant.id, uid)
        assert pending is not None and pending.pending_change_id
        issued = verification.issue(tenant.id, uid, pending.pending_change_id)
        assert issued is not None
        requests.append(("POST", "/v1/auth/email/verify", {"token": issued.token}, tenant.public()))
    replies = concurrently(api, requests)
    statuses = Counter(r.status for r in replies)
    assert statuses == {200: 1, 409: 19}, (statuses, [r.body for r in replies if r.status not in (200, 409)])
    winner = uids[next(i for i, r in enumerate(replies) if r.status == 200)]
    users = _consistent(api, tenant, uids)
    owners = [uid for uid, u in users.items() if u["email"] == "prize@example.com"]
    assert owners == [winner]
    assert email_claims(tenant)["prize@example.com"] == winner
    losers = [u for uid, u in users.items() if uid != winner]
    assert all(u["email"].startswith("racer") for u in losers)


@pytest.mark.parametrize("writers", [2, 5])
def test_concurrent_metadata_merges_of_different_keys_are_all_kept(
    api: Api, tenant: Tenant, writers: int
) -> None:
    """Each merge reads, merges and writes conditioned on the version it read; the one that
    loses re-reads and merges again (rules.users.RACE_ATTEMPTS bounds it: each round one wins)."""
    uid = _create(api, tenant, f"merged{writers}@example.com")["id"]
    requests = [
        ("PATCH", f"/v1/users/{uid}/metadata", {"public_metadata": {f"k{i}": i}}, tenant.admin())
        for i in range(writers)
    ]
    replies = concurrently(api, requests)
    assert [r.status for r in replies] == [200] * writers, [r.body for r in replies]
    after = api("GET", f"/v1/users/{uid}", headers=tenant.admin())
    assert after.body["public_metadata"] == {f"k{i}": i for i in range(writers)}
    assert after.headers["ETag"] == f'"{1 + writers}"'  # one write each, none lost


def test_8_admin_password_sets_at_once_all_apply(api: Api, tenant: Tenant) -> None:
    """Issue 24: set-password reads the hash (the current password may not be set again) and writes
    on it; without If-Match, the ones that lose are judged again against the winner's hash and
    applied: all 200, none 409, and the stored password is one of theirs."""
    reply = api(
        "POST", "/v1/users", {"email": "pw.race@example.com", "password": "Start-Pass-000"}, tenant.admin()
    )
    assert reply.status == 201, reply.body
    uid = reply.body["id"]
    passwords = [f"Raced-Pass-{i:03d}" for i in range(8)]
    replies = concurrently(
        api, [("POST", f"/v1/users/{uid}/password", {"password": p}, tenant.admin()) for p in passwords]
    )
    assert Counter(r.status for r in replies) == {200: 8}, [r.body for r in replies if r.status != 200]
    from hellojohn.rules import passwords as hashing
    from hellojohn.store import users

    stored = users.get(tenant.id, uid)
    assert stored is not None
    assert len([p for p in passwords if hashing.verify(stored.password_hash, p)]) == 1  # one of theirs
