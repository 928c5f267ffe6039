"""Sessions one by one: listed (admin and self) with where and when each was made, and revoked one
by one or all at once; a revoked session's tokens fail on their very next use."""

from typing import Any

import pytest

from tests.conftest import PASSWORD, Api, Clock, Tenant, bearer
from tests.handlers.helpers import create_user, session_items
from tests.pipeline import Pipeline

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Safari/604.1"


def sign_in_from(
    api: Api, tenant: Tenant, user_agent: str | None, ip: str, email: str = "alice@example.com"
) -> dict[str, Any]:
    """A sign-in whose event carries this address and User-Agent, as API Gateway would fill them."""
    from local_runner import events, functions, template
    from local_runner.invoke import LambdaContext
    from tests.conftest import Reply

    (function,) = [f for f in template.functions() if f.code_dir.name == "auth_sign_in"]
    headers = {**tenant.public(), "Content-Type": "application/json"}
    if user_agent is not None:
        headers["User-Agent"] = user_agent
    event = events.api_event(
        function.routes[0],
        "/v1/auth/sign-in",
        headers=headers,
        body=f'{{"email": "{email}", "password": "{PASSWORD}"}}',
        source_ip=ip,
    )
    reply = Reply.of(functions.handler(function)(event, LambdaContext.of(function)))
    assert reply.status == 200, reply.body
    return dict(reply.body["session"])


def admin_list(api: Api, tenant: Tenant, uid: str) -> list[dict[str, Any]]:
    reply = api("GET", f"/v1/users/{uid}/sessions", headers=tenant.admin())
    assert reply.status == 200, reply.body
    assert set(reply.body) == {"data"}
    return list(reply.body["data"])


def own_list(api: Api, session: dict[str, Any]) -> list[dict[str, Any]]:
    reply = api("GET", "/v1/auth/sessions", headers=bearer(session["access_token"]))
    assert reply.status == 200, reply.body
    return list(reply.body["data"])


def me(api: Api, session: dict[str, Any]) -> tuple[int, str | None]:
    reply = api("GET", "/v1/auth/me", headers=bearer(session["access_token"]))
    return reply.status, reply.error


def refresh(api: Api, tenant: Tenant, session: dict[str, Any]) -> tuple[int, str | None]:
    reply = api("POST", "/v1/auth/refresh", {"refresh_token": session["refresh_token"]}, tenant.public())
    if reply.status == 200:
        session.update(reply.body["session"])
    return reply.status, reply.error


@pytest.fixture
def two(
    api: Api, tenant: Tenant, user: dict[str, Any], clock: Clock
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two sessions of alice's: a laptop (Firefox), then a phone (Safari) a minute later."""
    laptop = sign_in_from(api, tenant, FIREFOX, "203.0.113.10")
    clock.advance(60)
    phone = sign_in_from(api, tenant, SAFARI, "2001:db8::7")
    return laptop, phone


def test_listing_shows_where_and_when_each_session_was_made(
    api: Api, tenant: Tenant, user: dict[str, Any], two: tuple[dict[str, Any], dict[str, Any]], clock: Clock
) -> None:
    laptop, phone = two
    clock.advance(60)
    assert refresh(api, tenant, laptop) == (200, None)
    listed = admin_list(api, tenant, user["id"])
    assert [s["id"] for s in listed] == [phone["id"], laptop["id"]]  # newest first
    newest, oldest = listed
    assert set(newest) == {
        "id",
        "created_at",
        "last_refreshed_at",
        "expires_at",
        "user_agent",
        "device",
        "ip",
    }
    assert (newest["user_agent"], newest["ip"], newest["last_refreshed_at"]) == (SAFARI, "2001:db8::7", None)
    assert (oldest["user_agent"], oldest["ip"]) == (FIREFOX, "203.0.113.10")
    assert (newest["device"], oldest["device"]) == ("Mobile Safari on iOS", "Firefox 128 on Linux")
    assert oldest["created_at"] < newest["created_at"] < oldest["last_refreshed_at"]
    assert oldest["expires_at"] == laptop["refresh_token_expires_at"]  # refresh does not extend it
    for s in listed:
        for name in ("created_at", "expires_at"):
            assert s[name].endswith("Z") and len(s[name]) == len("2026-11-26T21:14:40Z")


def test_own_listing_marks_the_current_session(
    api: Api, tenant: Tenant, two: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    laptop, phone = two
    from_laptop = own_list(api, laptop)
    assert [(s["id"], s["current"]) for s in from_laptop] == [(phone["id"], False), (laptop["id"], True)]
    assert [(s["id"], s["current"]) for s in own_list(api, phone)] == [
        (phone["id"], True),
        (laptop["id"], False),
    ]
    assert from_laptop[1]["user_agent"] == FIREFOX
    assert from_laptop[1]["device"] == "Firefox 128 on Linux"  # parsed beside the raw string
    assert "access_token" not in str(from_laptop) and laptop["refresh_token"] not in str(from_laptop)


def test_revoking_one_of_two_leaves_the_other_working(
    api: Api, tenant: Tenant, two: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    laptop, phone = two
    reply = api("POST", f"/v1/auth/sessions/{laptop['id']}/revoke", None, bearer(phone["access_token"]))
    assert (reply.status, reply.body) == (204, None)
    assert me(api, laptop) == (401, "session_revoked")  # at once: the very next use
    assert refresh(api, tenant, laptop) == (401, "session_revoked")
    assert me(api, phone) == (200, None)
    assert refresh(api, tenant, phone) == (200, None)
    assert me(api, phone) == (200, None)  # the refreshed access token too
    assert [s["id"] for s in own_list(api, phone)] == [phone["id"]]


def test_admin_revokes_one_and_the_other_keeps_working(
    api: Api, tenant: Tenant, user: dict[str, Any], two: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    laptop, phone = two
    reply = api("POST", f"/v1/users/{user['id']}/sessions/{phone['id']}/revoke", None, tenant.admin())
    assert (reply.status, reply.body) == (204, None)
    assert me(api, phone) == (401, "session_revoked")
    assert refresh(api, tenant, phone) == (401, "session_revoked")
    assert (me(api, laptop), refresh(api, tenant, laptop)) == ((200, None), (200, None))
    assert [s["id"] for s in admin_list(api, tenant, user["id"])] == [laptop["id"]]
    again = api("POST", f"/v1/users/{user['id']}/sessions/{phone['id']}/revoke", None, tenant.admin())
    assert (again.status, again.error) == (404, "not_found")  # gone already


def test_admin_revokes_them_all(
    api: Api, tenant: Tenant, user: dict[str, Any], two: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    reply = api("POST", f"/v1/users/{user['id']}/sessions/revoke", {}, tenant.admin())
    assert (reply.status, reply.body) == (204, None)
    for session in two:
        assert me(api, session) == (401, "session_revoked")
        assert refresh(api, tenant, session) == (401, "session_revoked")
    assert admin_list(api, tenant, user["id"]) == []
    assert api("POST", f"/v1/users/{user['id']}/sessions/revoke", None, tenant.admin()).status == 204


def test_the_session_items_are_cleaned_up_by_the_worker(
    aws: dict[str, str],
    api: Api,
    tenant: Tenant,
    user: dict[str, Any],
    two: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    laptop, phone = two
    pipe = Pipeline(aws)
    pipe.pump()
    assert (
        api("POST", f"/v1/auth/sessions/{laptop['id']}/revoke", None, bearer(phone["access_token"])).status
        == 204
    )
    assert session_items(tenant.id, user["id"]) == sorted([laptop["id"], phone["id"]])  # not in the request
    pipe.pump()
    assert session_items(tenant.id, user["id"]) == [phone["id"]]


def test_revoking_ones_current_session_signs_out(
    api: Api, tenant: Tenant, two: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    laptop, phone = two
    assert (
        api("POST", f"/v1/auth/sessions/{laptop['id']}/revoke", None, bearer(laptop["access_token"])).status
        == 204
    )
    assert me(api, laptop) == (401, "session_revoked")
    assert me(api, phone) == (200, None)
    reply = api("POST", f"/v1/auth/sessions/{phone['id']}/revoke", None, bearer(laptop["access_token"]))
    assert (reply.status, reply.error) == (401, "session_revoked")  # a revoked token revokes nothing
    assert api("GET", "/v1/auth/sessions", headers=bearer(laptop["access_token"])).error == "session_revoked"
    assert me(api, phone) == (200, None)


def test_a_user_cannot_list_or_revoke_another_users_sessions(
    api: Api, tenant: Tenant, user: dict[str, Any], two: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    laptop, _ = two
    create_user(api, tenant, "bob@example.com")
    bob = sign_in_from(api, tenant, "curl/8.5.0", "198.51.100.1", "bob@example.com")
    assert [s["id"] for s in own_list(api, bob)] == [bob["id"]]  # only his own
    reply = api("POST", f"/v1/auth/sessions/{laptop['id']}/revoke", None, bearer(bob["access_token"]))
    assert (reply.status, reply.error) == (404, "not_found")
    unknown = api(
        "POST", "/v1/auth/sessions/ses_01HABCDEF0000000000000000Z/revoke", None, bearer(bob["access_token"])
    )
    assert (unknown.status, unknown.error) == (404, "not_found")
    malformed = api("POST", "/v1/auth/sessions/not-a-session/revoke", None, bearer(bob["access_token"]))
    assert (malformed.status, malformed.error) == (
        422,
        "validation_failed",
    )  # tests/security/test_path_ids.py
    assert me(api, laptop) == (200, None)
    # an admin naming alice's session under bob's id finds nothing either
    bob_id = api("GET", "/v1/users?email=bob@example.com", headers=tenant.admin()).body["data"][0]["id"]
    crossed = api("POST", f"/v1/users/{bob_id}/sessions/{laptop['id']}/revoke", None, tenant.admin())
    assert (crossed.status, crossed.error) == (404, "not_found")
    assert me(api, laptop) == (200, None)


def test_another_tenants_admin_sees_and_revokes_nothing(
    api: Api,
    tenant: Tenant,
    other_tenant: Tenant,
    user: dict[str, Any],
    two: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    laptop, _ = two
    uid = user["id"]
    for method, path in [
        ("GET", f"/v1/users/{uid}/sessions"),
        ("POST", f"/v1/users/{uid}/sessions/{laptop['id']}/revoke"),
        ("POST", f"/v1/users/{uid}/sessions/revoke"),
    ]:
        reply = api(method, path, None, other_tenant.admin())
        assert (reply.status, reply.error) == (404, "user_not_found"), path
    assert me(api, laptop) == (200, None)
    assert len(admin_list(api, tenant, uid)) == 2


def test_unknown_users_are_404(api: Api, tenant: Tenant) -> None:
    """A well-formed id no user has; a malformed one is 422 (tests/security/test_path_ids.py)."""
    for uid, expected in (
        ("usr_01HABCDEF0000000000000000Z", (404, "user_not_found")),
        ("nope", (422, "validation_failed")),
    ):
        for method, path in [
            ("GET", f"/v1/users/{uid}/sessions"),
            ("POST", f"/v1/users/{uid}/sessions/ses_01HABCDEF0000000000000000Z/revoke"),
            ("POST", f"/v1/users/{uid}/sessions/revoke"),
        ]:
            reply = api(method, path, None, tenant.admin())
            assert (reply.status, reply.error) == expected, path


def test_expired_sessions_are_not_listed(
    api: Api, tenant: Tenant, user: dict[str, Any], two: tuple[dict[str, Any], dict[str, Any]], clock: Clock
) -> None:
    from hellojohn.config import settings

    clock.advance(settings().refresh_token_ttl_seconds - 30)  # the laptop's (made a minute earlier) is over
    _, phone = two
    assert [s["id"] for s in admin_list(api, tenant, user["id"])] == [phone["id"]]


def test_a_long_user_agent_is_cut_and_a_missing_one_is_null(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    from hellojohn.records import USER_AGENT_MAX

    sign_in_from(api, tenant, "x" * 5000, "203.0.113.10")
    sign_in_from(api, tenant, None, "203.0.113.11")
    by_ip = {s["ip"]: s for s in admin_list(api, tenant, user["id"])}
    assert by_ip["203.0.113.10"]["user_agent"] == "x" * USER_AGENT_MAX
    assert by_ip["203.0.113.11"]["user_agent"] is None
    assert (
        by_ip["203.0.113.10"]["device"] is None and by_ip["203.0.113.11"]["device"] is None
    )  # not recognised


CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
)


def test_the_device_is_the_user_agent_as_people_read_it(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    """Parsed when listed (ua-parser), not stored: the raw string stays beside it."""
    sign_in_from(api, tenant, CHROME, "203.0.113.10")
    sign_in_from(api, tenant, "curl/8.11.1", "203.0.113.11")
    by_ip = {s["ip"]: s for s in admin_list(api, tenant, user["id"])}
    assert (by_ip["203.0.113.10"]["device"], by_ip["203.0.113.10"]["user_agent"]) == (
        "Chrome 156 on Linux",
        CHROME,
    )
    assert by_ip["203.0.113.11"]["device"] == "curl 8"  # no OS named


def test_sessions_made_before_these_fields_still_list(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    """A session item as sign-in wrote it before this change: no user agent, address or refresh time."""
    import boto3
    from hellojohn.config import settings
    from hellojohn.store import keys

    session = sign_in_from(api, tenant, FIREFOX, "203.0.113.10")
    assert refresh(api, tenant, session) == (200, None)
    boto3.client("dynamodb").update_item(
        TableName=settings().table_name,
        Key=keys.session(tenant.id, user["id"], session["id"]),
        UpdateExpression="REMOVE user_agent, ip, last_refreshed_at",
    )
    [old] = admin_list(api, tenant, user["id"])
    assert old["id"] == session["id"]
    assert (old["user_agent"], old["ip"], old["last_refreshed_at"]) == (None, None, None)
    assert old["created_at"] and old["expires_at"]
    assert [s["current"] for s in own_list(api, session)] == [True]


def test_revoking_needs_no_body_and_refuses_unknown_fields(
    api: Api, tenant: Tenant, user: dict[str, Any], two: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    laptop, phone = two
    bad = api(
        "POST", f"/v1/auth/sessions/{laptop['id']}/revoke", {"all": True}, bearer(phone["access_token"])
    )
    assert (bad.status, bad.error) == (422, "validation_failed")
    bad = api("POST", f"/v1/users/{user['id']}/sessions/revoke", {"keep": "x"}, tenant.admin())
    assert (bad.status, bad.error) == (422, "validation_failed")
    assert me(api, laptop) == (200, None)


def test_a_retry_with_the_same_idempotency_key_replays_the_204(
    api: Api, tenant: Tenant, user: dict[str, Any], two: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    laptop, phone = two
    for headers in (
        {**bearer(phone["access_token"]), "Idempotency-Key": "revoke-laptop"},
        {**tenant.admin(), "Idempotency-Key": "revoke-laptop-admin"},
    ):
        path = (
            f"/v1/auth/sessions/{laptop['id']}/revoke"
            if "X-Tenant-ID" not in headers
            else f"/v1/users/{user['id']}/sessions/revoke"
        )
        first = api("POST", path, None, headers)
        again = api("POST", path, None, headers)
        assert first.status == again.status == 204
        assert again.headers.get("Idempotent-Replayed") == "true"
    assert me(api, laptop) == (401, "session_revoked")
    assert me(api, phone) == (401, "session_revoked")
