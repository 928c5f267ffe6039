"""The purge of a deleted user (issue 27): DynamoDB's TTL removes the user item (emulated:
`local_runner.ttl`), the stream router purges the rest, pseudonymises the history and keeps a
receipt; the events and the notice of a deletion."""

import json
from typing import Any

import boto3
import pytest

from local_runner.bus import Tap
from tests.conftest import PASSWORD, Api, Clock, Tenant, bearer, make_tenant, sign_in
from tests.event_hygiene import personal_values_in
from tests.handlers.helpers import create_user
from tests.pipeline import Pipeline

DAY = 24 * 3600
IP, AGENT = "198.51.100.23", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"
PERSONAL = {
    "email": "erin@example.com",
    "name": "Erin Example",
    "phone_number": "+14155550123",
    "avatar_url": "https://cdn.example.com/erin.png",
}
METADATA = "favourite-colour-teal"


@pytest.fixture
def tap(aws: dict[str, str]) -> Tap:
    return Tap(aws["UserEventBus"], prefix="test")


def table() -> list[dict[str, Any]]:
    from hellojohn.config import settings

    client = boto3.client("dynamodb")
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"TableName": settings().table_name}
    while True:
        out = client.scan(**params)
        items += out["Items"]
        if not out.get("LastEvaluatedKey"):
            return items
        params["ExclusiveStartKey"] = out["LastEvaluatedKey"]


def of_user(uid: str) -> list[dict[str, Any]]:
    """Every item of the table that names the user anywhere (keys or values)."""
    return [i for i in table() if uid in json.dumps(i)]


def erin(api: Api, tenant: Tenant) -> dict[str, Any]:
    """A user with every kind of personal value and of item: a session (with its IP and user agent),
    an idempotency record of it, an email change verified (its notices, links and markers), a
    pending one (its verification token), an unknown address's guess counter."""
    reply = api(
        "POST",
        "/v1/users",
        {
            "email": "erin.old@example.com",
            "password": PASSWORD,
            "name": PERSONAL["name"],
            "phone_number": PERSONAL["phone_number"],
            "avatar_url": PERSONAL["avatar_url"],
            "public_metadata": {"colour": METADATA},
        },
        tenant.admin(),
    )
    assert reply.status == 201, reply.body
    return dict(reply.body)


def sign_in_from(api: Api, tenant: Tenant, email: str) -> dict[str, Any]:
    from local_runner import events, functions
    from local_runner.invoke import LambdaContext
    from tests.conftest import Reply

    found = events.find_route(api.routes, "POST", "/v1/auth/sign-in")
    assert found is not None
    route, function, params = found
    event = events.api_event(
        route,
        "/v1/auth/sign-in",
        headers={**tenant.public(), "Content-Type": "application/json", "User-Agent": AGENT},
        body=json.dumps({"email": email, "password": PASSWORD}),
        query={},
        path_params=params,
    )
    event["requestContext"]["identity"] = {"sourceIp": IP, "userAgent": AGENT}
    reply = Reply.of(functions.handler(function)(event, LambdaContext.of(function)))
    assert reply.status == 200, reply.body
    return dict(reply.body["session"])


def lived(api: Api, tenant: Tenant, pipe: Pipeline, uid: str) -> None:
    """Erin's life before her deletion: every item kind a user leaves behind."""
    moved = api("PATCH", f"/v1/users/{uid}", {"email": PERSONAL["email"]}, tenant.admin())
    assert moved.status == 200
    pipe.pump()
    [mail] = pipe.verifications(PERSONAL["email"])
    assert api("POST", "/v1/auth/email/verify", {"token": mail.token}, tenant.public()).status == 200
    pipe.pump()  # the "email changed" notice: a restore link to the old address
    session = sign_in_from(api, tenant, PERSONAL["email"])
    headers = {**bearer(session["access_token"]), "Idempotency-Key": "erin-1"}
    assert api("PATCH", "/v1/auth/me", {"name": PERSONAL["name"] + " E."}, headers).status == 200
    assert api("POST", "/v1/auth/sign-out", None, headers).status == 204
    sign_in_from(api, tenant, PERSONAL["email"])
    pending = api("PATCH", f"/v1/users/{uid}", {"email": "erin.next@example.com"}, tenant.admin())
    assert pending.status == 200
    pipe.pump()
    items = of_user(uid)
    kinds = {i["PK"]["S"].split("#")[0] + "#" + i["SK"]["S"].split("#")[0] for i in items}
    assert {"NTC#NOTICE", "VFY#VERIFY"} <= kinds  # the links and the verification token exist
    assert any(i["SK"]["S"].startswith("SES#") for i in items)


def test_the_ttl_purge_leaves_only_the_pseudonymised_history_and_the_receipt(
    api: Api, tenant: Tenant, pipe: Pipeline, clock: Clock, tap: Tap
) -> None:
    uid = erin(api, tenant)["id"]
    lived(api, tenant, pipe, uid)
    deleted = api("DELETE", f"/v1/users/{uid}", None, tenant.admin())
    assert deleted.status == 200
    pipe.pump()
    assert pipe.expire(clock.time()) == 0  # nothing of erin's has expired yet: restorable
    assert api("GET", f"/v1/users/{uid}", headers=tenant.admin()).status == 200

    clock.advance(7 * DAY + 1)
    assert pipe.expire(clock.time()) >= 1  # the user item (and whatever else expired)
    pipe.pump()

    left = of_user(uid)
    assert {i["SK"]["S"].split("#")[0] for i in left} == {"EVT", "PURGED"}, [i["SK"]["S"] for i in left]
    everything = json.dumps(table())
    for value in (*PERSONAL.values(), "erin.old@example.com", "erin.next@example.com", METADATA, IP, AGENT):
        assert value not in everything, value  # nowhere in the table, not only in erin's items
    [receipt] = [i for i in left if i["SK"]["S"] == "PURGED"]
    assert receipt["purged_by"]["M"]["type"]["S"] == "system" and receipt["via"]["S"] == "ttl"
    assert receipt["requested_by"]["M"]["type"]["S"] == "secret_key"
    assert receipt["requested_at"]["S"] == deleted.body["deletion_requested_at"]
    assert int(receipt["ttl"]["N"]) >= clock.time() + 89 * DAY  # the tenant's audit retention

    history = api("GET", f"/v1/users/{uid}/events?limit=100", headers=tenant.admin())
    assert history.status == 200
    types = [e["type"] for e in history.body["data"]]
    assert types[:2] == ["user.deleted", "user.deletion_requested"]
    assert types[-1] == "user.created" and "user.email_changed" in types
    created = history.body["data"][-1]
    assert "name" in created["changed"] and "name" not in created["after"]  # the field, not its value
    assert created["after"]["role"] == "member"  # values that are not personal stay
    assert not personal_values_in(history.body, [*PERSONAL.values(), METADATA, IP, AGENT, "erin"])

    [event] = [e for e in tap.all() if e["detail-type"] == "user.deleted"]
    assert set(event["detail"]) >= {"tenant_id", "user_id", "change_id", "actor", "time"}
    assert event["detail"]["changed"] == [] and event["detail"]["before"] == event["detail"]["after"] == {}
    assert not personal_values_in(event["detail"], [*PERSONAL.values(), "erin"])


def test_the_address_is_free_after_the_purge(api: Api, tenant: Tenant, pipe: Pipeline, clock: Clock) -> None:
    uid = create_user(api, tenant, "frank@example.com")["id"]
    assert api("DELETE", f"/v1/users/{uid}", None, tenant.admin()).status == 200
    taken = api("POST", "/v1/users", {"email": "frank@example.com"}, tenant.admin())
    assert (taken.status, taken.error) == (409, "email_taken")  # restorable: still frank's
    clock.advance(7 * DAY + 1)
    again = api("POST", "/v1/users", {"email": "frank@example.com", "password": PASSWORD}, tenant.admin())
    assert again.status == 201  # past purge_at, before TTL ran
    pipe.pump()
    pipe.expire(clock.time())
    pipe.pump()  # the purge releases only frank's claim: the new user's stays
    assert sign_in(api, tenant, "frank@example.com")["access_token"]
    assert api("GET", f"/v1/users/{again.body['id']}", headers=tenant.admin()).status == 200


def test_a_purge_at_once_purges_the_same_way(api: Api, aws: dict[str, str], pipe: Pipeline, tap: Tap) -> None:
    tenant = make_tenant("Now", deletion_grace_days=0)
    uid = create_user(api, tenant, "gina@example.com", name="Gina")["id"]
    sign_in(api, tenant, "gina@example.com")
    assert api("DELETE", f"/v1/users/{uid}", None, tenant.admin()).status == 204
    pipe.pump()
    left = of_user(uid)
    assert {i["SK"]["S"].split("#")[0] for i in left} == {"EVT", "PURGED"}
    [receipt] = [i for i in left if i["SK"]["S"] == "PURGED"]
    assert receipt["via"]["S"] == "at_once" and receipt["purged_by"]["M"]["type"]["S"] == "secret_key"
    types = [e["detail-type"] for e in tap.all() if e["detail"]["user_id"] == uid]
    assert types == ["user.created", "user.signed_in", "user.deletion_requested", "user.deleted"]
    assert not [m for m in pipe.notices("gina@example.com") if "deleted" in m.subject]  # nothing to restore
    assert "Gina" not in json.dumps(table())


def test_events_and_the_notice_of_a_deletion_and_a_restore(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline, tap: Tap
) -> None:
    session = sign_in(api, tenant)
    pipe.pump()
    seen = len(tap.all())
    deleted = api("DELETE", f"/v1/users/{user['id']}", None, tenant.admin())
    pipe.pump()
    [event] = tap.all()[seen:]
    assert event["detail-type"] == "user.deletion_requested"
    assert event["detail"]["sessions"]["revoked"] == [session["id"]]
    assert event["detail"]["after"]["purge_at"] == deleted.body["purge_at"]
    [notice] = [m for m in pipe.notices("alice@example.com") if "deleted" in m.subject]
    assert deleted.body["purge_at"] in notice.body  # the restore deadline
    assert api("POST", f"/v1/users/{user['id']}/restore", None, tenant.admin()).status == 200
    pipe.pump()
    [restored] = tap.all()[seen + 1 :]
    assert restored["detail-type"] == "user.restored"
    assert restored["detail"]["after"]["purge_at"] is None


def test_the_notice_follows_the_tenants_switch(api: Api, aws: dict[str, str], pipe: Pipeline) -> None:
    from tests.handlers.helpers import set_notices_off

    tenant = make_tenant("Quiet")
    set_notices_off(tenant.id, ["deletion_requested"])
    Pipeline.verify_sender("no-reply@acme.test")
    uid = create_user(api, tenant, "hank@example.com")["id"]
    assert api("DELETE", f"/v1/users/{uid}", None, tenant.admin()).status == 200
    pipe.pump()
    assert not [m for m in pipe.notices("hank@example.com") if "deleted" in m.subject]


def test_a_restore_after_the_purge_is_404(api: Api, tenant: Tenant, pipe: Pipeline, clock: Clock) -> None:
    uid = create_user(api, tenant, "ivan@example.com")["id"]
    assert api("DELETE", f"/v1/users/{uid}", None, tenant.admin()).status == 200
    clock.advance(7 * DAY + 1)
    pipe.expire(clock.time())
    pipe.pump()
    reply = api("POST", f"/v1/users/{uid}/restore", None, tenant.admin())
    assert (reply.status, reply.error) == (404, "user_not_found")
    history = api("GET", f"/v1/users/{uid}/events", headers=tenant.admin())
    assert history.status == 200 and history.body["data"][0]["type"] == "user.deleted"


def test_a_retried_purge_record_changes_nothing_more(
    api: Api, tenant: Tenant, pipe: Pipeline, clock: Clock, tap: Tap
) -> None:
    """The router given the same REMOVE twice (a retry): the same history, one `user.deleted` entry."""
    uid = create_user(api, tenant, "judy@example.com", name="Judy")["id"]
    assert api("DELETE", f"/v1/users/{uid}", None, tenant.admin()).status == 200
    pipe.pump()
    clock.advance(7 * DAY + 1)
    pipe.expire(clock.time())
    removed = [r for r in pipe.pending_records() if r["eventName"] == "REMOVE"]
    [remove] = [r for r in removed if r["dynamodb"]["Keys"]["SK"]["S"] == "USER"]
    assert remove["userIdentity"] == {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    pipe.pump()
    before = sorted(json.dumps(i, sort_keys=True) for i in of_user(uid) if i["SK"]["S"] != "PURGED")
    from local_runner.events import stream_event
    from local_runner.invoke import invoke

    invoke(pipe.stream.function, stream_event([remove], pipe.stream_arn))  # again, as a retry would
    after = sorted(json.dumps(i, sort_keys=True) for i in of_user(uid) if i["SK"]["S"] != "PURGED")
    assert after == before
    history = api("GET", f"/v1/users/{uid}/events?limit=100", headers=tenant.admin())
    assert [e["type"] for e in history.body["data"]].count("user.deleted") == 1


def test_a_purge_at_once_of_a_user_with_every_kind_of_item(
    api: Api, aws: dict[str, str], pipe: Pipeline
) -> None:
    """Before anything of hers expired (the TTL path above finds her links and records expired
    already): the router deletes her idempotency records, notice link tokens and restore links."""
    tenant = make_tenant("Now", deletion_grace_days=0)
    Pipeline.verify_sender("no-reply@acme.test")
    uid = erin(api, tenant)["id"]
    lived(api, tenant, pipe, uid)
    assert any(i["PK"]["S"].startswith("IDEM#") for i in table())
    assert api("DELETE", f"/v1/users/{uid}", None, tenant.admin()).status == 204
    pipe.pump()
    left = of_user(uid)
    assert {i["SK"]["S"].split("#")[0] for i in left} == {"EVT", "PURGED"}, [i["SK"]["S"] for i in left]
    everything = json.dumps(table())
    for value in (*PERSONAL.values(), "erin.old@example.com", "erin.next@example.com", METADATA, IP, AGENT):
        assert value not in everything, value
    assert not [i for i in table() if i["PK"]["S"].startswith(("IDEM#", "NTC#", "VFY#"))]


def test_a_self_deletion_drops_the_pending_changes_token(api: Api, tenant: Tenant, pipe: Pipeline) -> None:
    create_user(api, tenant, "olga@example.com")
    session = sign_in(api, tenant, "olga@example.com")
    headers = bearer(session["access_token"])
    assert api("PATCH", "/v1/auth/me", {"email": "olga.new@example.com"}, headers).status == 200
    pipe.pump()  # the worker stored the verification token's hash
    assert [i for i in table() if i["PK"]["S"].startswith("VFY#")]
    assert api("DELETE", "/v1/auth/me", None, headers).status == 200
    assert not [i for i in table() if i["PK"]["S"].startswith("VFY#")]
    [mail] = pipe.verifications("olga.new@example.com")
    assert api("POST", "/v1/auth/email/verify", {"token": mail.token}, tenant.public()).status == 400
