"""PATCH /v1/users/{user_id}/metadata (RFC 7386 merge) and POST /v1/users/{user_id}/unlock."""

from typing import Any

from tests.conftest import PASSWORD, Api, Tenant
from tests.handlers.helpers import can_sign_in

WRONG = "Wrong-Password-00"


def merge(api: Api, tenant: Tenant, uid: str, body: Any, **headers: str) -> Any:
    return api("PATCH", f"/v1/users/{uid}/metadata", body, {**tenant.admin(), **headers})


def put(api: Api, tenant: Tenant, uid: str, body: Any) -> Any:
    return api("PATCH", f"/v1/users/{uid}", body, tenant.admin())


def test_nested_merge_null_delete_array_replace(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    uid = user["id"]
    start = {"prefs": {"theme": "dark", "lang": "en"}, "tags": [1, 2], "gone": 1}
    assert put(api, tenant, uid, {"public_metadata": start, "private_metadata": {"crm": "x"}}).status == 200
    reply = merge(api, tenant, uid, {"public_metadata": {"prefs": {"lang": "fr"}, "tags": [3], "gone": None}})
    assert reply.status == 200, reply.body
    assert reply.body["public_metadata"] == {"prefs": {"theme": "dark", "lang": "fr"}, "tags": [3]}
    assert reply.body["private_metadata"] == {"crm": "x"}  # not sent: untouched
    assert "ETag" in reply.headers
    got = api("GET", f"/v1/users/{uid}", headers=tenant.admin())
    assert got.body["public_metadata"] == reply.body["public_metadata"]
    assert got.headers["ETag"] == reply.headers["ETag"]
    # null clears the field to {}
    cleared = merge(api, tenant, uid, {"private_metadata": None})
    assert (cleared.status, cleared.body["private_metadata"]) == (200, {})


def test_empty_or_non_object_patch_is_422(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    # no body at all is the resolver's 400 invalid_request, as for PATCH /v1/users/{id}
    assert merge(api, tenant, user["id"], None).status == 400
    for body in ({}, {"public_metadata": [1]}, {"private_metadata": "x"}, {"name": "x"}):
        reply = merge(api, tenant, user["id"], body)
        assert reply.status == 422, (body, reply.body)
        assert reply.error == "validation_failed"


def test_the_8_kb_limit_is_checked_on_the_result(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    uid = user["id"]
    assert put(api, tenant, uid, {"public_metadata": {"a": "x" * 5000}}).status == 200
    reply = merge(api, tenant, uid, {"public_metadata": {"b": "y" * 5000}})  # each patch alone fits
    assert (reply.status, reply.error) == (422, "validation_failed")
    assert reply.body["error"]["details"][0]["field"] == "public_metadata"
    replaced = merge(api, tenant, uid, {"public_metadata": {"a": None, "b": "y" * 5000}})
    assert replaced.status == 200
    assert list(replaced.body["public_metadata"]) == ["b"]


def test_if_match_is_honoured(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    uid = user["id"]
    etag = api("GET", f"/v1/users/{uid}", headers=tenant.admin()).headers["ETag"]
    ok = merge(api, tenant, uid, {"public_metadata": {"a": 1}}, **{"If-Match": etag})
    assert ok.status == 200 and ok.headers["ETag"] != etag
    stale = merge(api, tenant, uid, {"public_metadata": {"b": 1}}, **{"If-Match": etag})
    assert (stale.status, stale.error) == (412, "precondition_failed")


def test_unknown_user_is_404(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    """A well-formed id no user has; a malformed one is 422 (tests/security/test_path_ids.py)."""
    for uid, expected in (
        ("usr_01HABCDEF0000000000000000Z", (404, "user_not_found")),
        ("nope", (422, "validation_failed")),
    ):
        reply = merge(api, tenant, uid, {"public_metadata": {"a": 1}})
        assert (reply.status, reply.error) == expected
        reply = api("POST", f"/v1/users/{uid}/unlock", None, tenant.admin())
        assert (reply.status, reply.error) == expected


def test_unlock_lets_a_locked_user_in_at_once(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    uid = user["id"]
    assert api("GET", f"/v1/users/{uid}", headers=tenant.admin()).body["locked_until"] is None
    for _ in range(10):
        if can_sign_in(api, tenant, "alice@example.com", WRONG) == 429:
            break
    assert can_sign_in(api, tenant, "alice@example.com", PASSWORD) == 429  # locked: even the right one
    locked = api("GET", f"/v1/users/{uid}", headers=tenant.admin()).body["locked_until"]
    assert locked is not None and locked.endswith("Z")
    reply = api("POST", f"/v1/users/{uid}/unlock", None, tenant.admin())
    assert reply.status == 200, reply.body
    assert reply.body["locked_until"] is None
    assert "ETag" in reply.headers
    from hellojohn.store import users as store

    stored = store.get(tenant.id, uid)
    assert stored is not None and stored.failed_attempts == 0
    assert can_sign_in(api, tenant, "alice@example.com", PASSWORD) == 200
    me = api(
        "POST", "/v1/auth/sign-in", {"email": "alice@example.com", "password": PASSWORD}, tenant.public()
    )
    assert "locked_until" not in me.body["user"]  # the self view does not show it
