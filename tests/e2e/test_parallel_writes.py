"""Writes at once over HTTP against the local runner: without If-Match the last writer wins (no 409
for a race), with If-Match one writer wins and the others get 412; a write that changes nothing
keeps the ETag; an If-Match this API never issued is 412 on every route that takes one.

The requests are sent together from threads: against a runner that runs invocations in parallel
(as Lambda does) they interleave, and a write that lost its race without retrying would be a 409.
"""

import http.client
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from typing import Any

from tests.conftest import PASSWORD, Tenant
from tests.e2e.conftest import Http, Reply, UserFactory, assert_error, bearer, sign_in, unique_email
from tests.security.helpers import WRITE_BODIES, routes_taking_if_match

NEW = "Battery-Staple-77"
RESENDS = 5  # a reset connection (the runner's listen backlog) is sent again up to this many times


def _together(api: Http, requests: list[tuple[str, str, Any, dict[str, str]]]) -> list[Reply]:
    """Each request from its own thread (its own connection), released at once. A connection the
    runner reset is sent again, as a client would: every write sent here applies the same values
    each time, so one sent twice changes nothing the second time (no version, no event)."""
    barrier = Barrier(len(requests))

    def send(request: tuple[str, str, Any, dict[str, str]]) -> Reply:
        barrier.wait(timeout=30)
        for attempt in range(RESENDS):
            try:
                return api(*request)
            except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
                time.sleep(0.05 * (attempt + 1))
        return api(*request)

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(send, requests))


def _settled(read: Callable[[], list[Any]], count: int, timeout: float = 30.0) -> list[Any]:
    """`read()` once it has `count` items (the stream and the bus are asynchronous), or as it is."""
    deadline = time.monotonic() + timeout
    while True:
        found = read()
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def _added(change: dict[str, Any]) -> set[str]:
    before = (change.get("before") or {}).get("public_metadata") or {}
    after = (change.get("after") or {}).get("public_metadata") or {}
    return set(after) - set(before)


def test_30_concurrent_merges_without_if_match_all_apply_once(
    api: Http, demo: Tenant, create_user: UserFactory
) -> None:
    uid = create_user(demo)["id"]
    n = 30
    path = f"/v1/users/{uid}/metadata"
    replies = _together(
        api, [("PATCH", path, {"public_metadata": {f"k{i}": i}}, demo.admin()) for i in range(n)]
    )
    assert Counter(r.status for r in replies) == {200: n}, [r.body for r in replies if r.status != 200][:3]
    user = api("GET", f"/v1/users/{uid}", headers=demo.admin())
    assert user.body["public_metadata"] == {f"k{i}": i for i in range(n)}
    assert user.header("ETag") == f'"{1 + n}"'
    keys = sorted(f"k{i}" for i in range(n))

    def events() -> list[dict[str, Any]]:
        listed = api("GET", "/_local/events").body
        return [
            e["detail"]
            for e in listed
            if e["detail"]["user_id"] == uid and e["detail-type"] == "user.updated"
        ]

    def history() -> list[dict[str, Any]]:
        page = api("GET", f"/v1/users/{uid}/events?limit=100", headers=demo.admin()).body["data"]
        return [e for e in page if e["type"] == "user.updated"]

    for found in (_settled(events, n), _settled(history, n)):
        assert len(found) == n
        assert sorted(k for e in found for k in _added(e)) == keys  # one each, none twice


def test_with_if_match_one_concurrent_merge_wins_the_rest_412(
    api: Http, demo: Tenant, create_user: UserFactory
) -> None:
    uid = create_user(demo)["id"]
    headers = {**demo.admin(), "If-Match": '"1"'}
    path = f"/v1/users/{uid}/metadata"
    replies = _together(api, [("PATCH", path, {"public_metadata": {f"k{i}": i}}, headers) for i in range(10)])
    assert Counter(r.status for r in replies) == {200: 1, 412: 9}
    for r in replies:
        if r.status == 412:
            assert_error(r, 412, "precondition_failed")
    [winner] = [r for r in replies if r.status == 200]
    assert (
        api("GET", f"/v1/users/{uid}", headers=demo.admin()).body["public_metadata"]
        == winner.body["public_metadata"]
    )


def test_an_enable_of_an_enabled_user_keeps_its_etag(
    api: Http, demo: Tenant, create_user: UserFactory
) -> None:
    uid = create_user(demo)["id"]
    etag = api("GET", f"/v1/users/{uid}", headers=demo.admin()).header("ETag")
    for headers in (demo.admin(), {**demo.admin(), "If-Match": etag or ""}):
        reply = api("POST", f"/v1/users/{uid}/enable", None, headers)
        assert reply.status == 200, reply.body
        assert reply.header("ETag") == etag
    assert api("GET", f"/v1/users/{uid}", headers=demo.admin()).header("ETag") == etag


def test_an_if_match_never_issued_is_412_on_every_route_that_takes_it(
    api: Http, demo: Tenant, create_user: UserFactory
) -> None:
    routes = routes_taking_if_match()
    assert len(routes) >= 8, routes
    email = unique_email("if-match")
    uid = create_user(demo, email)["id"]
    token = sign_in(api, demo, email)["access_token"]
    etag = api("GET", f"/v1/users/{uid}", headers=demo.admin()).header("ETag")
    for method, path, by_user in routes:
        body = WRITE_BODIES.get((method, path))
        if path == "/v1/auth/password/change":
            body = {"current_password": PASSWORD, "new_password": NEW}
        elif path.endswith("/password"):
            body = {"password": NEW}
        credential = bearer(token) if by_user else demo.admin()
        for value in ('"²"', '"' + "9" * 41 + '"', "9" * 40, '"1", "2"', 'W/"99"'):
            reply = api(method, path.replace("{user_id}", uid), body, {**credential, "If-Match": value})
            assert_error(reply, 412, "precondition_failed")
    assert api("GET", f"/v1/users/{uid}", headers=demo.admin()).header("ETag") == etag  # nothing changed
