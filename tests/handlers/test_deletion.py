"""Deleting a user (issue 27): revoked at once, restorable for the tenant's grace period, refused
everywhere else while pending, gone at once with a grace of 0 or `?purge=now`."""

from typing import Any

import pytest

from tests.conftest import PASSWORD, Api, Clock, Tenant, bearer, make_tenant, sign_in
from tests.handlers.helpers import can_sign_in, create_user, get_user

DAY = 24 * 3600


def delete(api: Api, tenant: Tenant, uid: str, query: str = "", **headers: str) -> Any:
    return api("DELETE", f"/v1/users/{uid}{query}", None, {**tenant.admin(), **headers})


def restore(api: Api, tenant: Tenant, uid: str, **headers: str) -> Any:
    return api("POST", f"/v1/users/{uid}/restore", None, {**tenant.admin(), **headers})


def refresh(api: Api, tenant: Tenant, session: dict[str, Any]) -> Any:
    return api("POST", "/v1/auth/refresh", {"refresh_token": session["refresh_token"]}, tenant.public())


def sign_in_reply(api: Api, tenant: Tenant, password: str) -> Any:
    body = {"email": "alice@example.com", "password": password}
    return api("POST", "/v1/auth/sign-in", body, tenant.public())


def test_a_deletion_revokes_every_token_at_once_and_refuses_sign_in(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    first, second = sign_in(api, tenant), sign_in(api, tenant)
    reply = delete(api, tenant, user["id"])
    assert reply.status == 200, reply.body
    assert reply.body["deletion_requested_at"] is not None
    assert reply.body["purge_at"] is not None
    assert reply.headers["ETag"] == '"2"'  # the deletion is a change of the user: a new version
    for session in (first, second):  # every access token: 401 session_revoked on its next use
        me = api("GET", "/v1/auth/me", headers=bearer(session["access_token"]))
        assert (me.status, me.error) == (401, "session_revoked")
        patch = api("PATCH", "/v1/auth/me", {"name": "Mallory"}, bearer(session["access_token"]))
        assert (patch.status, patch.error) == (401, "session_revoked")
        again = refresh(api, tenant, session)  # every refresh token: the user is deleted
        assert (again.status, again.error) == (403, "user_deleted")
    signin = sign_in_reply(api, tenant, PASSWORD)
    assert (signin.status, signin.error) == (403, "user_deleted")
    wrong = sign_in_reply(api, tenant, "nope-nope-1")
    assert (wrong.status, wrong.error) == (401, "invalid_credentials")  # only the right password learns it
    seen = get_user(api, tenant, user["id"])  # the admin view shows the pending deletion
    assert seen["deletion_requested_at"] == reply.body["deletion_requested_at"]
    assert seen["purge_at"] == reply.body["purge_at"]
    listed = api("GET", f"/v1/users/{user['id']}/sessions", headers=tenant.admin())
    assert listed.status == 200 and listed.body["data"] == []


def test_other_users_carry_null_deletion_fields(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    seen = get_user(api, tenant, user["id"])
    assert seen["deletion_requested_at"] is None and seen["purge_at"] is None
    assert user["deletion_requested_at"] is None and user["purge_at"] is None


def test_purge_at_is_the_tenants_grace_period(api: Api, aws: dict[str, str]) -> None:
    tenant = make_tenant("Slow", deletion_grace_days=30)
    uid = create_user(api, tenant, "grace@example.com")["id"]
    reply = delete(api, tenant, uid)
    assert reply.status == 200
    from datetime import datetime

    requested = datetime.fromisoformat(reply.body["deletion_requested_at"])
    purge = datetime.fromisoformat(reply.body["purge_at"])
    assert (purge - requested).total_seconds() == 30 * DAY


def test_deleting_twice_gives_the_same_answer(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    first = delete(api, tenant, user["id"])
    second = delete(api, tenant, user["id"])
    assert first.status == second.status == 200
    assert second.body == first.body  # purge_at unchanged, no new version
    assert second.headers["ETag"] == first.headers["ETag"]
    stale = delete(api, tenant, user["id"], **{"If-Match": user_etag(user)})
    assert stale.status == 200 and stale.body == first.body


def user_etag(user: dict[str, Any]) -> str:
    return '"1"'  # a created user's version


def test_if_match_is_honoured(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    api("PATCH", f"/v1/users/{user['id']}", {"name": "Alicia"}, tenant.admin())  # version 2
    stale = delete(api, tenant, user["id"], **{"If-Match": '"1"'})
    assert (stale.status, stale.error) == (412, "precondition_failed")
    assert get_user(api, tenant, user["id"])["deletion_requested_at"] is None
    fresh = delete(api, tenant, user["id"], **{"If-Match": '"2"'})
    assert fresh.status == 200 and fresh.headers["ETag"] == '"3"'


def test_idempotency_key_replays_the_deletion(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    first = delete(api, tenant, user["id"], **{"Idempotency-Key": "del-1"})
    replay = delete(api, tenant, user["id"], **{"Idempotency-Key": "del-1"})
    assert first.status == replay.status == 200 and replay.body == first.body


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("PATCH", "", {"name": "Mallory"}),
        ("PATCH", "", {"email": "mallory@example.com"}),
        ("PATCH", "", {}),
        ("PATCH", "/metadata", {"public_metadata": {"a": 1}}),
        ("POST", "/password", {"password": "Another-Horse-43"}),
        ("POST", "/disable", None),
        ("POST", "/enable", None),
        ("POST", "/unlock", None),
        ("POST", "/sessions/revoke", None),
    ],
)
def test_every_write_but_restore_and_delete_is_refused_while_pending(
    api: Api, tenant: Tenant, user: dict[str, Any], method: str, suffix: str, body: Any
) -> None:
    assert delete(api, tenant, user["id"]).status == 200
    before = get_user(api, tenant, user["id"])
    reply = api(method, f"/v1/users/{user['id']}{suffix}", body, tenant.admin())
    assert (reply.status, reply.error) == (409, "user_pending_deletion"), reply.body
    assert get_user(api, tenant, user["id"]) == before


def test_restore_in_the_grace_period(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    session = sign_in(api, tenant)
    assert delete(api, tenant, user["id"]).status == 200
    reply = restore(api, tenant, user["id"])
    assert reply.status == 200, reply.body
    assert reply.body["deletion_requested_at"] is None and reply.body["purge_at"] is None
    me = api("GET", "/v1/auth/me", headers=bearer(session["access_token"]))
    assert (me.status, me.error) == (401, "session_revoked")  # sessions stay revoked
    assert can_sign_in(api, tenant, "alice@example.com") == 200
    patched = api("PATCH", f"/v1/users/{user['id']}", {"name": "Back"}, tenant.admin())
    assert patched.status == 200  # writable again
    assert restore(api, tenant, user["id"]).status == 200  # not pending: answered as it is


def test_past_purge_at_the_user_is_gone_everywhere(
    api: Api, tenant: Tenant, user: dict[str, Any], clock: Clock
) -> None:
    assert delete(api, tenant, user["id"]).status == 200
    clock.advance(7 * DAY + 1)  # purge_at passed; DynamoDB's TTL has not removed the item yet
    assert api("GET", f"/v1/users/{user['id']}", headers=tenant.admin()).status == 404
    assert restore(api, tenant, user["id"]).status == 404
    assert delete(api, tenant, user["id"]).status == 404
    sessions = api("GET", f"/v1/users/{user['id']}/sessions", headers=tenant.admin())
    assert (sessions.status, sessions.error) == (404, "user_not_found")
    listed = api("GET", "/v1/users", headers=tenant.admin())
    assert [u["id"] for u in listed.body["data"]] == []
    by_email = api("GET", "/v1/users?email=alice@example.com", headers=tenant.admin())
    assert by_email.body["data"] == []
    signin = sign_in_reply(api, tenant, PASSWORD)
    assert (signin.status, signin.error) == (401, "invalid_credentials")  # as an unknown address
    again = api("POST", "/v1/users", {"email": "alice@example.com", "password": PASSWORD}, tenant.admin())
    assert again.status == 201, again.body  # the address is free


@pytest.mark.parametrize("how", ["grace0", "purge_now"])
def test_a_purge_at_once_is_204_and_the_user_gone(api: Api, aws: dict[str, str], how: str) -> None:
    tenant = make_tenant("Now", deletion_grace_days=0 if how == "grace0" else 7)
    uid = create_user(api, tenant, "bob@example.com")["id"]
    session = sign_in(api, tenant, "bob@example.com")
    reply = delete(api, tenant, uid, "?purge=now" if how == "purge_now" else "")
    assert reply.status == 204 and reply.body is None
    assert api("GET", f"/v1/users/{uid}", headers=tenant.admin()).status == 404
    me = api("GET", "/v1/auth/me", headers=bearer(session["access_token"]))
    assert (me.status, me.error) == (401, "session_revoked")
    again = api("POST", "/v1/users", {"email": "bob@example.com", "password": PASSWORD}, tenant.admin())
    assert again.status == 201, again.body
    assert restore(api, tenant, uid).status == 404


def test_purge_now_on_a_user_already_pending(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    assert delete(api, tenant, user["id"]).status == 200
    assert delete(api, tenant, user["id"], "?purge=now").status == 204
    assert api("GET", f"/v1/users/{user['id']}", headers=tenant.admin()).status == 404


def test_an_unknown_purge_value_is_422(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    reply = delete(api, tenant, user["id"], "?purge=later")
    assert (reply.status, reply.error) == (422, "validation_failed")
    assert get_user(api, tenant, user["id"])["deletion_requested_at"] is None


def test_a_pending_email_change_and_its_link_die(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    import boto3
    from hellojohn.config import settings

    changed = api("PATCH", f"/v1/users/{user['id']}", {"email": "new@example.com"}, tenant.admin())
    assert changed.status == 200 and changed.body["pending_email"] == "new@example.com"
    assert delete(api, tenant, user["id"]).status == 200
    seen = get_user(api, tenant, user["id"])
    assert seen["pending_email"] is None
    table = settings().table_name
    items = boto3.client("dynamodb").scan(TableName=table)["Items"]
    assert not [i for i in items if i["PK"]["S"].startswith("VFY#")]


def test_another_tenants_key_gets_404(
    api: Api, tenant: Tenant, other_tenant: Tenant, user: dict[str, Any]
) -> None:
    assert delete(api, other_tenant, user["id"]).status == 404
    assert restore(api, other_tenant, user["id"]).status == 404
    assert get_user(api, tenant, user["id"])["deletion_requested_at"] is None
    assert delete(api, tenant, user["id"]).status == 200
    assert restore(api, other_tenant, user["id"]).status == 404
    assert delete(api, other_tenant, user["id"], "?purge=now").status == 404
    assert get_user(api, tenant, user["id"])["deletion_requested_at"] is not None


def test_delete_me(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    session, other = sign_in(api, tenant), sign_in(api, tenant)
    reply = api("DELETE", "/v1/auth/me", headers=bearer(session["access_token"]))
    assert reply.status == 200, reply.body
    assert set(reply.body) == {"deletion_requested_at", "purge_at"}
    for s in (session, other):
        me = api("GET", "/v1/auth/me", headers=bearer(s["access_token"]))
        assert (me.status, me.error) == (401, "session_revoked")
    again = api("DELETE", "/v1/auth/me", headers=bearer(session["access_token"]))
    assert (again.status, again.error) == (401, "session_revoked")
    assert get_user(api, tenant, user["id"])["purge_at"] == reply.body["purge_at"]


def test_delete_me_with_a_grace_of_zero(api: Api, aws: dict[str, str]) -> None:
    tenant = make_tenant("Now", deletion_grace_days=0)
    uid = create_user(api, tenant, "carol@example.com")["id"]
    session = sign_in(api, tenant, "carol@example.com")
    reply = api("DELETE", "/v1/auth/me", headers=bearer(session["access_token"]))
    assert reply.status == 204
    assert api("GET", f"/v1/users/{uid}", headers=tenant.admin()).status == 404


def _key(headers: dict[str, str], key: str, **more: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key, **more}


def test_idempotency_keys_on_delete_and_restore(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    """A failure is not stored (the retry runs), a success is replayed as it was."""
    uid = user["id"]
    stale = delete(api, tenant, uid, **_key({}, "d-1", **{"If-Match": '"7"'}))
    assert (stale.status, stale.error) == (412, "precondition_failed")
    first = delete(api, tenant, uid, **_key({}, "d-1"))
    assert first.status == 200
    replay = delete(api, tenant, uid, **_key({}, "d-1"))
    assert (replay.status, replay.body, replay.headers["ETag"]) == (200, first.body, first.headers["ETag"])
    stale = restore(api, tenant, uid, **_key({}, "r-1", **{"If-Match": '"1"'}))
    assert (stale.status, stale.error) == (412, "precondition_failed")
    restored = restore(api, tenant, uid, **_key({}, "r-1"))
    assert restored.status == 200 and restored.body["purge_at"] is None
    assert delete(api, tenant, uid).status == 200  # deleted again meanwhile
    replayed = restore(api, tenant, uid, **_key({}, "r-1"))
    assert replayed.body == restored.body  # the stored answer: the retry did not run again
    assert get_user(api, tenant, uid)["deletion_requested_at"] is not None


def test_delete_me_with_an_idempotency_key_and_a_pending_email_change(api: Api, tenant: Tenant) -> None:
    uid = create_user(api, tenant, "mia@example.com")["id"]
    revoked, live = sign_in(api, tenant, "mia@example.com"), sign_in(api, tenant, "mia@example.com")
    changed = api("PATCH", "/v1/auth/me", {"email": "mia.new@example.com"}, bearer(live["access_token"]))
    assert changed.status == 200 and changed.body["pending_email"] == "mia.new@example.com"
    ended = api("POST", f"/v1/users/{uid}/sessions/{revoked['id']}/revoke", None, tenant.admin())
    assert ended.status == 204
    refused = api("DELETE", "/v1/auth/me", None, _key(bearer(revoked["access_token"]), "me-1"))
    assert (refused.status, refused.error) == (401, "session_revoked")  # not stored
    reply = api("DELETE", "/v1/auth/me", None, _key(bearer(live["access_token"]), "me-1"))
    assert reply.status == 200
    assert get_user(api, tenant, uid)["pending_email"] is None
    # a replay is a use of the session the deletion ended: refused, as every use of it is
    again = api("DELETE", "/v1/auth/me", None, _key(bearer(live["access_token"]), "me-1"))
    assert (again.status, again.error) == (401, "session_revoked")


def test_notice_links_die_with_the_deletion(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    """A restore link (and a cancel link) of a user pending deletion: refused, nothing changes."""
    from hellojohn import ids
    from hellojohn.rules import opaque
    from hellojohn.store import links
    from hellojohn.timeutil import now

    uid = user["id"]
    token = opaque.new_verification_token()[0]
    change = ids.new_id("chg")
    old, expires = "alice.old@example.com", now() + DAY
    link = links.Link(tenant.id, uid, links.RESTORE, change, old, user["email"], expires)
    links.add_restore_link(opaque.digest(token), link, links.get_restore_links(tenant.id, uid), now())
    assert delete(api, tenant, uid).status == 200
    before = get_user(api, tenant, uid)
    reply = api("POST", "/v1/auth/email/restore", {"token": token}, tenant.public())
    assert (reply.status, reply.error) == (400, "invalid_request")
    assert get_user(api, tenant, uid) == before
