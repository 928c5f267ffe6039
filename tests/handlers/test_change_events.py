"""Change events: every committed change of a user is one event on the stack's EventBridge bus.

Read back as a tenant's system would get them: a rule on the bus routes `source` `hellojohn.users`
to an SQS queue (`local_runner.bus.Tap`, the same tap `GET /_local/events` lists), after the
stream has gone through the router (`Pipeline.pump`). moto's EventBridge matches the rule and
delivers to the queue; what it cannot show is AWS's own delivery retries to a target.
"""

from typing import Any

import jwt
import pytest
from hellojohn.adapters import bus
from hellojohn.edge import caches
from hellojohn.timeutil import rfc3339

from local_runner.bus import Tap
from tests.conftest import Api, Clock, Tenant, bearer, make_tenant, sign_in
from tests.pipeline import Pipeline

NEW_PASSWORD = "Another-Horse-43"
DAY = 24 * 3600


@pytest.fixture
def tap(aws: dict[str, str]) -> Tap:
    return Tap(aws["UserEventBus"], prefix="test")


def events_after(pipe: Pipeline, tap: Tap, seen: int = 0) -> list[dict[str, Any]]:
    pipe.pump()
    return tap.all()[seen:]


def only(events: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(events) == 1, [e["detail-type"] for e in events]
    assert events[0]["source"] == "hellojohn.users"
    detail: dict[str, Any] = events[0]["detail"]
    return {"type": events[0]["detail-type"], **detail}


def test_create_is_one_event_with_the_secret_key_as_actor(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline, tap: Tap
) -> None:
    event = only(events_after(pipe, tap))
    assert event["type"] == "user.created"
    assert (event["tenant_id"], event["user_id"], event["version"]) == (tenant.id, user["id"], 1)
    assert event["actor"]["type"] == "secret_key"
    assert event["actor"]["key_id"].startswith("key_")
    assert event["request_id"]
    assert event["changed"] == [
        "email",
        "email_verified",
        "name",
        "role",
        "public_metadata",
        "disabled",
        "created_at",
        "password_change_required",
        "private_metadata",
    ]
    assert event["before"] == {}
    assert event["after"]["email"] == "alice@example.com"
    assert event["after"]["name"] == "Alice"


def test_an_admin_patch_is_user_updated_with_exact_changes(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline, tap: Tap
) -> None:
    seen = len(events_after(pipe, tap))
    reply = api("PATCH", f"/v1/users/{user['id']}", {"name": "Alicia", "role": "admin"}, tenant.admin())
    assert reply.status == 200, reply.body
    event = only(events_after(pipe, tap, seen))
    assert event["type"] == "user.updated"
    assert event["changed"] == ["name", "role"]
    assert event["before"] == {"name": "Alice", "role": "member"}
    assert event["after"] == {"name": "Alicia", "role": "admin"}
    assert event["version"] == 2
    assert event["request_id"] == reply.headers["X-Request-ID"]


def test_an_unchanged_patch_and_a_wrong_password_are_no_event(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline, tap: Tap
) -> None:
    seen = len(events_after(pipe, tap))
    wrong = api(
        "POST", "/v1/auth/sign-in", {"email": "alice@example.com", "password": "nope-nope-1"}, tenant.public()
    )
    assert wrong.status == 401
    assert events_after(pipe, tap, seen) == []  # the guess counter's write is no change of the user


def test_self_service_email_change_then_verify(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline, tap: Tap
) -> None:
    session = sign_in(api, tenant)
    seen = len(events_after(pipe, tap))
    reply = api("PATCH", "/v1/auth/me", {"email": "alice.new@example.com"}, bearer(session["access_token"]))
    assert reply.status == 200, reply.body
    requested = only(events_after(pipe, tap, seen))
    assert requested["type"] == "user.email_change_requested"
    # a change needing a recent proof of the password says which (the sign-in's, docs/SECURITY.md)
    signed_in_at = jwt.decode(session["access_token"], options={"verify_signature": False})["auth_time"]
    assert requested["actor"] == {
        "type": "user",
        "user_id": user["id"],
        "reverified_at": rfc3339(signed_in_at),
    }
    assert requested["changed"] == ["pending_email"]
    assert requested["after"] == {"pending_email": "alice.new@example.com"}

    [mail] = pipe.emails("alice.new@example.com")
    verified = api("POST", "/v1/auth/email/verify", {"token": mail.token}, tenant.public())
    assert verified.status == 200, verified.body
    changed = only(events_after(pipe, tap, seen + 1))
    assert changed["type"] == "user.email_changed"
    assert changed["actor"] == {"type": "user", "user_id": user["id"]}
    assert changed["changed"] == ["email", "email_verified", "pending_email"]
    assert changed["before"] == {
        "email": "alice@example.com",
        "email_verified": False,
        "pending_email": "alice.new@example.com",
    }
    assert changed["after"] == {
        "email": "alice.new@example.com",
        "email_verified": True,
        "pending_email": None,
    }


def test_password_disable_enable_and_sessions(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline, tap: Tap
) -> None:
    uid = user["id"]
    session = sign_in(api, tenant)
    signed_in = only(events_after(pipe, tap, 1))
    assert signed_in["type"] == "user.signed_in"
    assert signed_in["changed"] == ["last_sign_in_at"]
    assert signed_in["sessions"] == {"added": [session["id"]], "revoked": []}
    assert signed_in["actor"] == {"type": "user", "user_id": uid}

    reply = api(
        "POST",
        f"/v1/users/{uid}/password",
        {"password": NEW_PASSWORD, "sign_out_all_sessions": True},
        tenant.admin(),
    )
    assert reply.status == 200, reply.body
    changed = only(events_after(pipe, tap, 2))
    assert changed["type"] == "user.password_changed"
    assert changed["changed"] == ["password"]
    assert changed["before"] == {} and changed["after"] == {}  # named, never valued
    assert changed["sessions"] == {"added": [], "revoked": [session["id"]]}

    assert api("POST", f"/v1/users/{uid}/disable", None, tenant.admin()).status == 200
    disabled = only(events_after(pipe, tap, 3))
    assert disabled["type"] == "user.disabled"
    assert disabled["changed"] == ["disabled", "disabled_at"]
    assert api("POST", f"/v1/users/{uid}/enable", None, tenant.admin()).status == 200
    enabled = only(events_after(pipe, tap, 4))
    assert enabled["type"] == "user.enabled"
    assert enabled["before"]["disabled"] is True and enabled["after"]["disabled"] is False

    session = sign_in(api, tenant, password=NEW_PASSWORD)
    events_after(pipe, tap, 5)
    assert api("POST", "/v1/auth/sign-out", None, bearer(session["access_token"])).status == 204
    out = only(events_after(pipe, tap, 6))
    assert out["type"] == "user.sessions_revoked"
    assert out["actor"] == {"type": "user", "user_id": uid}
    assert out["sessions"] == {"added": [], "revoked": [session["id"]]}
    versions = [e["detail"]["version"] for e in tap.all()]
    assert versions == sorted(versions)  # per user, the version orders them


def test_a_sign_ins_rehash_is_user_signed_in_not_a_password_change(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline, tap: Tap, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hellojohn.rules import passwords
    from hellojohn.store import users as store

    def stored_hash() -> str | None:
        stored = store.get(tenant.id, user["id"])
        assert stored is not None
        return stored.password_hash

    events_after(pipe, tap)
    hash_before = stored_hash()
    monkeypatch.setattr(passwords, "needs_rehash", lambda stored: True)  # as after raising the parameters
    session = sign_in(api, tenant)
    assert stored_hash() != hash_before  # it did rehash
    signed_in = only(events_after(pipe, tap, 1))
    assert signed_in["type"] == "user.signed_in"
    assert signed_in["changed"] == ["last_sign_in_at"]  # the same password: no `password` in it
    assert signed_in["sessions"] == {"added": [session["id"]], "revoked": []}
    assert pipe.notices() == []  # and no "your password changed" notice


def test_eventbridge_failing_once_loses_nothing_and_sends_nothing_twice(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline, tap: Tap, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = bus.events()
    real = client.put_events
    calls = {"n": 0}

    def partly_failing(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:  # EventBridge answers 200 with the entry refused
            return {
                "FailedEntryCount": 1,
                "Entries": [{"ErrorCode": "InternalFailure", "ErrorMessage": "injected"}],
            }
        return real(**kwargs)

    monkeypatch.setattr(client, "put_events", partly_failing)
    first = pipe.route()
    assert first.router_failures  # the record is retried from the change that was not put
    pipe.pump()
    [event] = tap.all()
    assert event["detail-type"] == "user.created"
    assert calls["n"] == 2


# -- the change history: GET /v1/users/{user_id}/events ----------------------------------------------


def history(api: Api, tenant: Tenant, uid: str, query: str = "") -> Any:
    reply = api("GET", f"/v1/users/{uid}/events{query}", None, tenant.admin())
    assert reply.status == 200, reply.body
    return reply.body


def test_history_is_the_events_newest_first_and_pages(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline, tap: Tap
) -> None:
    uid = user["id"]
    for name in ("B", "C", "D"):
        assert api("PATCH", f"/v1/users/{uid}", {"name": name}, tenant.admin()).status == 200
    events = events_after(pipe, tap)
    everything = history(api, tenant, uid)["data"]
    # the same entries as the events, newest first
    assert [e["change_id"] for e in everything] == [e["detail"]["change_id"] for e in reversed(events)]
    assert [e["type"] for e in everything] == ["user.updated"] * 3 + ["user.created"]
    newest = events[-1]["detail"]
    actor = {"key_id": None, "user_id": None, "reverified_at": None, **newest["actor"]}  # the model's nulls
    assert everything[0] == {"type": "user.updated", **newest, "actor": actor, "sessions": None}
    assert everything[0]["actor"]["type"] == "secret_key"

    first = history(api, tenant, uid, "?limit=3")
    assert [e["after"].get("name") for e in first["data"]] == ["D", "C", "B"]
    assert first["pagination"]["has_more"] is True
    rest = history(api, tenant, uid, f"?limit=3&cursor={first['pagination']['next_cursor']}")
    assert [e["type"] for e in rest["data"]] == ["user.created"]
    assert rest["pagination"] == {"limit": 3, "has_more": False, "next_cursor": None}

    bad = api("GET", f"/v1/users/{uid}/events?cursor=nope", None, tenant.admin())
    assert bad.status == 422 and bad.body["error"]["code"] == "validation_failed"


def test_a_retried_record_keeps_one_entry(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = bus.events()
    real = client.put_events
    calls = {"n": 0}

    def failing_once(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("EventBridge is down")
        return real(**kwargs)

    monkeypatch.setattr(client, "put_events", failing_once)
    pipe.pump()
    assert calls["n"] == 2  # put once: the retry found the entry (a conditional put), no second one
    assert [e["type"] for e in history(api, tenant, user["id"])["data"]] == ["user.created"]


def test_history_is_kept_for_the_tenants_retention(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline, clock: Clock
) -> None:
    pipe.pump()
    [entry] = history(api, tenant, user["id"])["data"]
    clock.advance(89 * DAY)
    assert [e["change_id"] for e in history(api, tenant, user["id"])["data"]] == [entry["change_id"]]
    clock.advance(1 * DAY + 1)  # 90 days, the default: past its TTL (gone, even before DynamoDB removes it)
    assert history(api, tenant, user["id"])["data"] == []


def test_another_tenants_history_is_an_empty_page(
    api: Api, tenant: Tenant, other_tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    pipe.pump()
    assert len(history(api, tenant, user["id"])["data"]) == 1
    assert history(api, other_tenant, user["id"])["data"] == []


def test_a_tenant_sets_its_own_retention(api: Api, pipe: Pipeline, clock: Clock) -> None:
    brief = make_tenant("Brief", audit_retention_days=2)
    created = api("POST", "/v1/users", {"email": "bo@example.com"}, brief.admin())
    assert created.status == 201, created.body
    caches.forget_data()  # the router runs in a process of its own on AWS: it reads the tenant itself
    pipe.pump()
    clock.advance(2 * DAY - 60)
    assert len(history(api, brief, created.body["id"])["data"]) == 1
    clock.advance(61)
    assert history(api, brief, created.body["id"])["data"] == []


def test_an_admins_unlock_is_user_unlocked(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline, tap: Tap
) -> None:
    wrong = {"email": "alice@example.com", "password": "not-the-password-1"}
    for _ in range(10):
        if api("POST", "/v1/auth/sign-in", wrong, tenant.public()).status == 429:
            break
    seen = len(events_after(pipe, tap))  # the lock itself is no event
    assert seen == 1
    assert api("POST", f"/v1/users/{user['id']}/unlock", None, tenant.admin()).status == 200
    unlocked = only(events_after(pipe, tap, seen))
    assert unlocked["type"] == "user.unlocked"
    assert unlocked["changed"] == [] and unlocked["actor"]["type"] == "secret_key"
