"""Webhooks (docs/WEBHOOKS.md) through the real handlers under moto: the endpoints' routes, and
every delivery the pipeline makes (stream -> router -> bus -> rule -> dispatch -> delivery ->
a receiver on 127.0.0.1), each verified with the `standardwebhooks` package.

The delivery world sets the local runner's loopback setting (the receiver is on 127.0.0.1), waits
scaled to 0 (WEBHOOK_RETRY_SCALE: the schedule itself is tested apart) and a 1 s timeout."""

from collections.abc import Iterator
from typing import Any

import pytest
from standardwebhooks.webhooks import WebhookVerificationError

from tests.conftest import PASSWORD, Api, Tenant, make_tenant, moto_world
from tests.pipeline import Pipeline
from tests.webhooks.receiver import Receiver


@pytest.fixture
def world() -> Iterator[dict[str, str]]:
    with moto_world(
        ARGON2_MEMORY_KIB="19456",
        SIGN_IN_REFUSAL_FLOOR_MS="0",
        WEBHOOK_ALLOW_LOOPBACK="true",
        WEBHOOK_RETRY_SCALE="0",
        WEBHOOK_TIMEOUT_SECONDS="1",
    ) as refs:
        yield refs


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def acme(world: dict[str, str]) -> Tenant:
    return make_tenant()


@pytest.fixture
def api(world: dict[str, str]) -> Api:
    return Api()


def _user(api: Api, tenant: Tenant, email: str = "alice@example.com") -> dict[str, Any]:
    reply = api("POST", "/v1/users", {"email": email, "password": PASSWORD, "name": "Alice"}, tenant.admin())
    assert reply.status == 201, reply.body
    return dict(reply.body)


def _endpoint(api: Api, tenant: Tenant, url: str, **fields: Any) -> dict[str, Any]:
    reply = api("POST", "/v1/webhooks", {"url": url, **fields}, tenant.admin())
    assert reply.status == 201, reply.body
    return dict(reply.body)


def _key_id(tenant: Tenant) -> str:
    from hellojohn.rules import tenancy

    key = tenancy.api_key(tenant.secret_key)
    assert key is not None
    return key.id


def _deliveries(api: Api, tenant: Tenant, wid: str) -> list[dict[str, Any]]:
    reply = api("GET", f"/v1/webhooks/{wid}/deliveries", headers=tenant.admin())
    assert reply.status == 200, reply.body
    return list(reply.body["data"])


# -- the endpoints' routes --------------------------------------------------------------------------


def test_create_shows_the_secret_once_and_list_and_get_never(
    api: Api, acme: Tenant, receiver: Receiver
) -> None:
    created = _endpoint(api, acme, receiver.url("/in"), description="CRM sync", event_types=["user.updated"])
    assert created["id"].startswith("whk_") and created["secret"].startswith("whsec_")
    assert len(__import__("base64").b64decode(created["secret"].removeprefix("whsec_"))) >= 24
    assert created["disabled"] is False and created["event_types"] == ["user.updated"]
    got = api("GET", f"/v1/webhooks/{created['id']}", headers=acme.admin())
    assert got.status == 200 and "secret" not in got.body
    listed = api("GET", "/v1/webhooks", headers=acme.admin())
    assert [w["id"] for w in listed.body["data"]] == [created["id"]]
    assert created["secret"] not in str(listed.body) + str(got.body)
    from tests.security.helpers import table_items

    assert created["secret"] not in str(table_items())  # stored as KMS ciphertext only


def test_list_is_cursor_paginated_and_twenty_is_the_most(api: Api, acme: Tenant, receiver: Receiver) -> None:
    made = [_endpoint(api, acme, receiver.url(f"/e{i}"))["id"] for i in range(20)]
    refused = api("POST", "/v1/webhooks", {"url": receiver.url("/e21")}, acme.admin())
    assert refused.status == 409 and refused.error == "conflict"
    seen: list[str] = []
    cursor = ""
    while True:
        page = api(
            "GET", f"/v1/webhooks?limit=7{'&cursor=' + cursor if cursor else ''}", headers=acme.admin()
        )
        assert page.status == 200
        seen += [w["id"] for w in page.body["data"]]
        if not page.body["pagination"]["has_more"]:
            break
        cursor = page.body["pagination"]["next_cursor"]
    assert seen == sorted(made)
    assert api("DELETE", f"/v1/webhooks/{made[0]}", headers=acme.admin()).status == 204
    assert api("DELETE", f"/v1/webhooks/{made[0]}", headers=acme.admin()).status == 404
    assert api("POST", "/v1/webhooks", {"url": receiver.url("/e21")}, acme.admin()).status == 201


def test_patch_changes_only_what_is_sent(api: Api, acme: Tenant, receiver: Receiver) -> None:
    wid = _endpoint(api, acme, receiver.url("/in"), description="d", event_types=["user.created"])["id"]
    reply = api("PATCH", f"/v1/webhooks/{wid}", {"event_types": None, "disabled": True}, acme.admin())
    assert reply.status == 200, reply.body
    assert reply.body["event_types"] is None and reply.body["disabled"] and reply.body["description"] == "d"
    for body in (
        {"url": None},
        {"event_types": ["user.nope"]},
        {"secret": "whsec_x"},
        {"url": "https://10.0.0.1/"},
    ):
        bad = api("PATCH", f"/v1/webhooks/{wid}", body, acme.admin())
        assert bad.status == 422 and bad.error == "validation_failed", (body, bad.body)
    missing = api("PATCH", "/v1/webhooks/whk_01J00000000000000000000000", {"disabled": False}, acme.admin())
    assert missing.status == 404


REFUSED = [
    "https://10.0.0.1/in",
    "https://127.0.0.1/in",
    "http://127.0.0.1/in",
    "https://169.254.169.254/latest/meta-data/",
    "https://[::1]/in",
    "https://[::ffff:127.0.0.1]/in",
    "https://0.0.0.0/in",
    "https://user:pw@hooks.example.com/in",
    "http://hooks.example.com/in",
]


@pytest.mark.parametrize("url", REFUSED)
def test_ssrf_refused_at_create_outside_local_mode(aws: dict[str, str], url: str) -> None:
    """The deployed setting (no loopback): every one is 422 and nothing is stored."""
    api, tenant = Api(), make_tenant()
    reply = api("POST", "/v1/webhooks", {"url": url}, tenant.admin())
    assert reply.status == 422 and reply.error == "validation_failed", reply.body
    assert api("GET", "/v1/webhooks", headers=tenant.admin()).body["data"] == []


def test_a_name_resolving_to_a_private_address_is_refused(
    aws: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from hellojohn.adapters import webhook_http

    monkeypatch.setattr(webhook_http, "system_resolver", lambda host, port: ["10.1.2.3"])
    api, tenant = Api(), make_tenant()
    reply = api("POST", "/v1/webhooks", {"url": "https://intranet.example.com/in"}, tenant.admin())
    assert reply.status == 422 and "10.1.2.3" in reply.body["error"]["details"][0]["message"]


# -- deliveries ------------------------------------------------------------------------------------


def test_every_change_is_delivered_signed_and_verifiable(
    world: dict[str, str], api: Api, acme: Tenant, receiver: Receiver
) -> None:
    pipe = Pipeline(world)
    hook = _endpoint(api, acme, receiver.url("/in"))
    alice = _user(api, acme)
    assert api("PATCH", f"/v1/users/{alice['id']}", {"name": "Alicia"}, acme.admin()).status == 200
    pipe.pump()
    # one job per event: attempted side by side, so in no set order (docs/WEBHOOKS.md: order by version)
    received = sorted(receiver.at("/in"), key=lambda r: r.verified(hook["secret"])["data"]["version"])
    payloads = [r.verified(hook["secret"]) for r in received]
    assert [p["type"] for p in payloads] == ["user.created", "user.updated"]
    updated = payloads[1]["data"]
    assert updated["user_id"] == alice["id"] and updated["after"] == {"name": "Alicia"}
    assert updated["actor"] == {"type": "secret_key", "key_id": _key_id(acme)}
    got = received[1]
    assert got.headers["webhook-id"] == updated["change_id"]
    assert got.headers["content-type"] == "application/json" and len(got.body) < 20 * 1024
    with pytest.raises(WebhookVerificationError):  # a verifier with another secret refuses it
        got.verified("whsec_" + __import__("base64").b64encode(b"x" * 32).decode())
    log = _deliveries(api, acme, hook["id"])
    assert sorted((d["event_type"], d["status"], d["outcome"]) for d in log) == [
        ("user.created", 200, "delivered"),
        ("user.updated", 200, "delivered"),
    ]
    assert [d["attempted_at"] for d in log] == sorted((d["attempted_at"] for d in log), reverse=True)


def test_rotation_signs_with_both_secrets_for_a_day(
    world: dict[str, str], api: Api, acme: Tenant, receiver: Receiver, clock: Any
) -> None:
    pipe = Pipeline(world)
    hook = _endpoint(api, acme, receiver.url("/in"))
    rotated = api("POST", f"/v1/webhooks/{hook['id']}/rotate-secret", None, acme.admin())
    assert rotated.status == 200 and rotated.body["secret"] != hook["secret"]
    _user(api, acme)
    pipe.pump()
    [during] = receiver.at("/in")
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    during.verified(hook["secret"])  # the old secret still verifies
    during.verified(rotated.body["secret"])  # and the new one
    clock.advance(24 * 3600 + 1)
    receiver.received.clear()
    assert api("POST", f"/v1/webhooks/{hook['id']}/test", None, acme.admin()).status == 202
    pipe.pump()
    [after] = receiver.at("/in")
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    with pytest.raises(WebhookVerificationError):
        after.verified(hook["secret"])


def test_retries_after_500_and_a_timeout_keep_the_webhook_id(
    world: dict[str, str], api: Api, acme: Tenant, receiver: Receiver
) -> None:
    pipe = Pipeline(world)
    receiver.answers["/flaky"] = [500, "hang", 200]
    hook = _endpoint(api, acme, receiver.url("/flaky"))
    _user(api, acme)
    pipe.pump()
    attempts = receiver.at("/flaky")
    assert len(attempts) == 3
    assert len({a.headers["webhook-id"] for a in attempts}) == 1
    for a in attempts:
        a.verified(hook["secret"])
    log = _deliveries(api, acme, hook["id"])
    assert [(d["attempt"], d["outcome"], d["status"], d["error"]) for d in log] == [
        (3, "delivered", 200, None),
        (2, "retrying", None, "timeout"),
        (1, "retrying", 500, None),
    ]
    assert all(d["next_retry_at"] for d in log[1:])


def test_the_schedule_gives_up_after_eight_attempts(
    world: dict[str, str], api: Api, acme: Tenant, receiver: Receiver
) -> None:
    pipe = Pipeline(world)
    receiver.answers["/down"] = [503]
    hook = _endpoint(api, acme, receiver.url("/down"))
    _user(api, acme)
    pipe.pump()
    assert len(receiver.at("/down")) == 8
    assert _deliveries(api, acme, hook["id"])[0]["outcome"] == "failed"


def test_410_disables_the_endpoint(world: dict[str, str], api: Api, acme: Tenant, receiver: Receiver) -> None:
    pipe = Pipeline(world)
    receiver.answers["/gone"] = [410]
    hook = _endpoint(api, acme, receiver.url("/gone"))
    alice = _user(api, acme)
    pipe.pump()
    assert len(receiver.at("/gone")) == 1
    got = api("GET", f"/v1/webhooks/{hook['id']}", headers=acme.admin()).body
    assert got["disabled"] is True and got["disabled_reason"] == "gone"
    api("PATCH", f"/v1/users/{alice['id']}", {"name": "Al"}, acme.admin())
    pipe.pump()
    assert len(receiver.at("/gone")) == 1  # nothing more to a disabled endpoint
    assert _deliveries(api, acme, hook["id"])[0]["outcome"] == "disabled"


def test_echo_filter_and_event_types(
    world: dict[str, str], api: Api, acme: Tenant, receiver: Receiver
) -> None:
    pipe = Pipeline(world)
    mine = _endpoint(api, acme, receiver.url("/mine"), exclude_actor_key_ids=[_key_id(acme)])
    _endpoint(api, acme, receiver.url("/created"), event_types=["user.created"])
    alice = _user(api, acme)
    api("PATCH", f"/v1/users/{alice['id']}", {"name": "Al"}, acme.admin())
    from tests.conftest import sign_in

    sign_in(api, acme)  # the user's own change: not the excluded key's
    pipe.pump()
    assert [r.verified(mine["secret"])["type"] for r in receiver.at("/mine")] == ["user.signed_in"]
    assert [r.path for r in receiver.at("/created")] == ["/created"]


def test_dns_answer_moving_to_a_private_address_fails_the_attempt(
    world: dict[str, str], api: Api, acme: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hellojohn.adapters import webhook_http

    pipe = Pipeline(world)
    monkeypatch.setattr(webhook_http, "system_resolver", lambda host, port: ["93.184.215.14"])
    hook = _endpoint(api, acme, "https://hooks.example.com/in")
    monkeypatch.setattr(webhook_http, "system_resolver", lambda host, port: ["10.0.0.7"])
    assert api("POST", f"/v1/webhooks/{hook['id']}/test", None, acme.admin()).status == 202
    pipe.step()
    [first] = _deliveries(api, acme, hook["id"])
    assert first["status"] is None and first["error"].startswith("refused: 10.0.0.7")


def test_a_dead_endpoint_does_not_delay_a_healthy_one(
    world: dict[str, str], api: Api, acme: Tenant, receiver: Receiver
) -> None:
    pipe = Pipeline(world)
    receiver.answers["/dead"] = ["hang"]
    receiver.hang_seconds = 3
    dead = _endpoint(api, acme, receiver.url("/dead"))
    healthy = _endpoint(api, acme, receiver.url("/ok"))
    _user(api, acme)
    pipe.route()
    pipe.work("WebhookEventQueue")
    pipe.work("WebhookDeliveryQueue")  # both jobs in one batch
    [d] = receiver.at("/dead")[:1]
    [ok] = receiver.at("/ok")
    assert abs(ok.at - d.at) < 0.5  # attempted side by side, not after the dead one's timeout
    assert _deliveries(api, acme, healthy["id"])[0]["outcome"] == "delivered"
    assert _deliveries(api, acme, dead["id"])[0]["error"] == "timeout"


def test_another_tenant_sees_none_of_it(
    world: dict[str, str], api: Api, acme: Tenant, receiver: Receiver
) -> None:
    pipe = Pipeline(world)
    other = make_tenant("Globex")
    hook = _endpoint(api, acme, receiver.url("/acme"))
    _user(api, other, "bob@example.com")  # the other tenant's change: not acme's endpoint's
    pipe.pump()
    assert receiver.at("/acme") == []
    for method, path in (
        ("GET", f"/v1/webhooks/{hook['id']}"),
        ("PATCH", f"/v1/webhooks/{hook['id']}"),
        ("DELETE", f"/v1/webhooks/{hook['id']}"),
        ("POST", f"/v1/webhooks/{hook['id']}/rotate-secret"),
        ("POST", f"/v1/webhooks/{hook['id']}/test"),
        ("GET", f"/v1/webhooks/{hook['id']}/deliveries"),
    ):
        body = {"disabled": True} if method == "PATCH" else None
        assert api(method, path, body, other.admin()).status == 404, path
    assert api("GET", "/v1/webhooks", headers=other.admin()).body["data"] == []
    assert api("GET", f"/v1/webhooks/{hook['id']}", headers=acme.admin()).body["disabled"] is False


def test_the_rule_takes_only_the_change_events(world: dict[str, str]) -> None:
    """The template's rule, as the runner and the tests create it, applies its pattern: an event of
    another source on the bus never reaches the webhook queue; a change event does."""
    import boto3

    from local_runner import template

    [bus] = template.resources("AWS::Events::EventBus")
    events = boto3.client("events", region_name="us-east-1")
    for source in ("acme.billing", "hellojohn.users"):
        events.put_events(
            Entries=[
                {"EventBusName": world[bus], "Source": source, "DetailType": "user.updated", "Detail": "{}"}
            ]
        )
    queued = Pipeline(world).peek("WebhookEventQueue")
    assert [e["source"] for e in queued] == ["hellojohn.users"]
    assert queued[0]["detail-type"] == "user.updated"


def test_a_secret_is_decrypted_once_per_process_not_per_attempt(
    world: dict[str, str], api: Api, acme: Tenant, receiver: Receiver
) -> None:
    """Signing needs the plaintext secret; a warm delivery function keeps it by its ciphertext, so
    the next attempt to the same endpoint makes no KMS call (a rotation stores a new ciphertext:
    test_rotation_signs_with_both_secrets_for_a_day)."""
    from tests.awscalls import counting

    pipe = Pipeline(world)
    hook = _endpoint(api, acme, receiver.url("/in"))
    alice = _user(api, acme)
    pipe.pump()
    with counting(strict=False) as calls:  # the pipeline's own clients too
        assert api("PATCH", f"/v1/users/{alice['id']}", {"name": "Alicia"}, acme.admin()).status == 200
        pipe.pump()
    assert ("kms", "Decrypt") not in calls.made, calls.made
    assert [r.verified(hook["secret"])["type"] for r in receiver.at("/in")] == [
        "user.created",
        "user.updated",
    ]
