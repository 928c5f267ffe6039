"""Webhook endpoints under concurrency (separate processes, one moto server): the limit of 20 holds
when creates race (the count moves in each create's transaction; a transaction cancelled by a
concurrent one is tried again, never answered 5xx), and rotations at once each get a secret."""

from tests.conftest import Api, Tenant
from tests.security.race import concurrently


def test_racing_creates_make_exactly_twenty(api: Api, tenant: Tenant) -> None:
    requests = [
        ("POST", "/v1/webhooks", {"url": f"https://hooks.example.com/{i}"}, tenant.admin()) for i in range(21)
    ]
    replies = concurrently(api, requests)
    statuses = sorted(r.status for r in replies)
    assert statuses == [201] * 20 + [409], [(r.status, r.body) for r in replies]
    listed = api("GET", "/v1/webhooks?limit=100", headers=tenant.admin())
    assert len(listed.body["data"]) == 20
    assert sorted(w["id"] for w in listed.body["data"]) == sorted(
        r.body["id"] for r in replies if r.status == 201
    )


def test_racing_rotations_all_succeed(api: Api, tenant: Tenant) -> None:
    hook = api("POST", "/v1/webhooks", {"url": "https://hooks.example.com/rotate"}, tenant.admin()).body
    path = f"/v1/webhooks/{hook['id']}/rotate-secret"
    replies = concurrently(api, [("POST", path, None, tenant.admin()) for _ in range(4)])
    assert [r.status for r in replies] == [200] * 4, [r.body for r in replies]
    assert len({r.body["secret"] for r in replies}) == 4
