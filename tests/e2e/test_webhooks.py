"""Issue 28 end to end, over HTTP against the real local runner: a receiver on 127.0.0.1, an
endpoint registered for it, the seed's admin PATCH made, and the delivery that follows (stream ->
router -> bus -> the rule -> dispatch -> delivery) received and verified with `standardwebhooks`;
the endpoint's delivery log shows it with status 200."""

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import Http, NamedTenant, UserFactory, unique_email
from tests.webhooks.receiver import Received, Receiver

pytestmark = pytest.mark.e2e
WAIT_SECONDS = 60  # a loaded machine: the chain is four polls and five invocations


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _wait(receiver: Receiver, secret: str, matches: Any) -> tuple[Received, dict[str, Any]]:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        for got in list(receiver.received):
            payload = got.verified(secret)  # every delivery verifies, whichever it is
            if matches(payload):
                return got, payload
        time.sleep(0.2)
    raise AssertionError(f"no matching delivery in {WAIT_SECONDS} s: {[r.body for r in receiver.received]}")


def test_the_seeds_patch_is_delivered_signed_and_logged(
    api: Http, new_tenant: NamedTenant, create_user: UserFactory, receiver: Receiver
) -> None:
    tenant = new_tenant
    hook = api(
        "POST", "/v1/webhooks", {"url": receiver.url("/hellojohn"), "description": "e2e"}, tenant.admin()
    )
    assert hook.status == 201, hook.body
    secret = hook.body["secret"]
    alice = create_user(tenant, unique_email("alice"), name="Alice")
    seed_patch = {
        "name": "Alice J. Smith",
        "email": unique_email("alice.new"),
        "phone_number": "+14155552671",
        "role": "admin",
    }
    patched = api("PATCH", f"/v1/users/{alice['id']}", seed_patch, tenant.admin())
    assert patched.status == 200, patched.body

    got, payload = _wait(
        receiver,
        secret,
        lambda p: p["data"]["user_id"] == alice["id"] and p["type"] != "user.created",
    )
    assert payload["type"] == "user.email_change_requested"  # the first name of the catalogue it is
    data = payload["data"]
    assert data["after"]["name"] == "Alice J. Smith" and data["after"]["role"] == "admin"
    assert data["after"]["pending_email"] == seed_patch["email"]
    assert data["actor"]["type"] == "secret_key"
    assert got.headers["webhook-id"] == data["change_id"]

    deadline = time.monotonic() + WAIT_SECONDS
    while True:  # the attempt is logged right after the receiver answered
        log = api("GET", f"/v1/webhooks/{hook.body['id']}/deliveries", headers=tenant.admin())
        assert log.status == 200, log.body
        mine = [d for d in log.body["data"] if d["event_id"] == data["change_id"]]
        if mine or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    [entry] = mine
    assert (entry["status"], entry["outcome"], entry["attempt"]) == (200, "delivered", 1)
    assert entry["event_type"] == "user.email_change_requested"
