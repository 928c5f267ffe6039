"""Issue 23 (items 2 and 3) over HTTP against the local runner: sign-ins and refreshes sent in
parallel, as two tabs, a double click or a client's retries send them.

Each burst is sent from threads at once. They pass whether the runner serves them one at a time
or, as Lambda does, side by side; against the code before issue 23 under a concurrent runner they
fail: right sign-ins racing each other got 409 (and 429), and a refresh racing itself, or retried,
ended the session."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.conftest import PASSWORD, Tenant
from tests.e2e.conftest import Http, Reply, UserFactory, assert_error, bearer, sign_in

pytestmark = pytest.mark.e2e

PARALLEL = 10  # connections open at once (the runner's listen backlog is being raised separately)


def _at_once(api: Http, requests: list[tuple[str, str, Any, dict[str, str]]]) -> list[Reply]:
    def send(request: tuple[str, str, Any, dict[str, str]]) -> Reply:
        for attempt in range(3):
            try:
                return api(*request)
            except (ConnectionResetError, ConnectionRefusedError):  # refused at connect: never sent
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        return list(pool.map(send, requests))


def _sign_in(tenant: Tenant, email: str, password: str = PASSWORD) -> tuple[str, str, Any, dict[str, str]]:
    return ("POST", "/v1/auth/sign-in", {"email": email, "password": password}, tenant.public())


def _refresh(tenant: Tenant, token: str) -> tuple[str, str, Any, dict[str, str]]:
    return ("POST", "/v1/auth/refresh", {"refresh_token": token}, tenant.public())


def test_5_concurrent_right_sign_ins_open_5_sessions(
    api: Http, demo: Tenant, create_user: UserFactory
) -> None:
    user = create_user(demo)
    replies = _at_once(api, [_sign_in(demo, user["email"])] * 5)
    assert Counter(r.status for r in replies) == {200: 5}, [r.body for r in replies if r.status != 200]
    sids = sorted(r.body["session"]["id"] for r in replies)
    listed = api("GET", f"/v1/users/{user['id']}/sessions", headers=demo.admin())
    assert sorted(s["id"] for s in listed.body["data"]) == sids and len(set(sids)) == 5
    for reply in replies:
        assert api("GET", "/v1/auth/me", headers=bearer(reply.body["session"]["access_token"])).status == 200
    assert api("GET", f"/v1/users/{user['id']}", headers=demo.admin()).header("ETag") == '"1"'


def test_50_concurrent_wrong_guesses_check_at_most_5(
    api: Http, demo: Tenant, create_user: UserFactory
) -> None:
    """Four wrong answered 401, the fifth sets the lock (429), every other refused unchecked
    (429): at most 5 passwords checked. Then the right one is refused while locked."""
    user = create_user(demo)
    replies = _at_once(api, [_sign_in(demo, user["email"], f"Wrong-Password-{i:02d}") for i in range(50)])
    statuses = Counter(r.status for r in replies)
    assert statuses == {401: 4, 429: 46}, statuses
    assert all(r.error == "too_many_attempts" and r.header("Retry-After") for r in replies if r.status == 429)
    locked = api(*_sign_in(demo, user["email"]))
    assert_error(locked, 429, "too_many_attempts")
    got = api("GET", f"/v1/users/{user['id']}", headers=demo.admin())
    assert got.body["locked_until"] is not None
    assert api("GET", f"/v1/users/{user['id']}/sessions", headers=demo.admin()).body == {"data": []}


def test_10_concurrent_refreshes_with_one_token_all_work(
    api: Http, demo: Tenant, create_user: UserFactory
) -> None:
    user = create_user(demo)
    session = sign_in(api, demo, user["email"])
    replies = _at_once(api, [_refresh(demo, session["refresh_token"])] * 10)
    assert Counter(r.status for r in replies) == {200: 10}, [r.body for r in replies if r.status != 200]
    successors = {r.body["session"]["refresh_token"] for r in replies}
    assert len(successors) == 1 and session["refresh_token"] not in successors
    for reply in replies:
        assert api("GET", "/v1/auth/me", headers=bearer(reply.body["session"]["access_token"])).status == 200
    [successor] = successors
    onward = api(*_refresh(demo, successor))
    assert onward.status == 200, onward.body
    assert api("GET", "/v1/auth/me", headers=bearer(onward.body["session"]["access_token"])).status == 200
    listed = api("GET", f"/v1/users/{user['id']}/sessions", headers=demo.admin())
    assert [s["id"] for s in listed.body["data"]] == [session["id"]]


def test_a_sequential_retry_of_a_refresh_keeps_the_session(
    api: Http, demo: Tenant, create_user: UserFactory
) -> None:
    user = create_user(demo)
    session = sign_in(api, demo, user["email"])
    first = api(*_refresh(demo, session["refresh_token"]))
    assert first.status == 200, first.body
    retry = api(*_refresh(demo, session["refresh_token"]))  # the first answer was lost
    assert retry.status == 200, retry.body
    assert retry.body["session"]["refresh_token"] == first.body["session"]["refresh_token"]
    for reply in (first, retry):
        assert api("GET", "/v1/auth/me", headers=bearer(reply.body["session"]["access_token"])).status == 200
    onward = api(*_refresh(demo, retry.body["session"]["refresh_token"]))
    assert onward.status == 200, onward.body
