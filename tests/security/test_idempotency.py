"""Idempotency-Key on every state-changing POST: a retry replays the first response, the work runs once."""

from typing import Any

import pytest

from tests.conftest import PASSWORD, Api, Reply, Tenant, bearer, sign_in
from tests.security.conftest import Calls

NEW_PASSWORD = "Battery-Staple-77"


def _get(api: Api, tenant: Tenant, uid: str) -> dict[str, Any]:
    reply = api("GET", f"/v1/users/{uid}", headers=tenant.admin())
    assert reply.status == 200, reply.body
    return dict(reply.body)


def _key(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


def _same(first: Reply, again: Reply) -> None:
    """The replay is the first response: status, body and ETag, marked as replayed."""
    assert again.status == first.status
    assert again.body == first.body
    assert again.headers.get("ETag") == first.headers.get("ETag")
    assert again.headers.get("Idempotent-Replayed") == "true"


def test_create_user_twice_creates_one(api: Api, tenant: Tenant, calls: Calls) -> None:
    body = {"email": "bob@example.com", "password": PASSWORD, "name": "Bob"}
    calls.clear()
    first = api("POST", "/v1/users", body, _key(tenant.admin(), "create-bob-1"))
    assert first.status == 201, first.body
    assert calls.touching("IDEM#") == ["PutItem", "UpdateItem"]  # mark in progress, store the response
    calls.clear()
    again = api("POST", "/v1/users", body, _key(tenant.admin(), "create-bob-1"))
    _same(first, again)
    assert calls.operations == ["PutItem"]  # the failed conditional put returns the stored record
    listed = api("GET", "/v1/users?email=bob@example.com", headers=tenant.admin())
    assert [u["id"] for u in listed.body["data"]] == [first.body["id"]]
    # without the key the same request is a new one: 409, the address is taken
    assert api("POST", "/v1/users", body, tenant.admin()).error == "email_taken"


def test_no_key_no_aws_calls(api: Api, tenant: Tenant, user: dict[str, Any], calls: Calls) -> None:
    uid = user["id"]
    session = sign_in(api, tenant)
    calls.clear()
    assert api("POST", f"/v1/users/{uid}/disable", None, tenant.admin()).status == 200
    assert api("POST", f"/v1/users/{uid}/enable", None, tenant.admin()).status == 200
    assert api("POST", f"/v1/users/{uid}/password", {"password": NEW_PASSWORD}, tenant.admin()).status == 200
    assert api("POST", "/v1/auth/sign-out", None, bearer(session["access_token"])).status == 204
    assert api("POST", "/v1/users", {"email": "c@example.com"}, tenant.admin()).status == 201
    assert calls.made and calls.touching("IDEM#") == []
    assert calls.operations == [
        "UpdateItem",
        "UpdateItem",
        "GetItem",  # set password reads the hash it must differ from
        "UpdateItem",
        "TransactWriteItems",
        "TransactWriteItems",
    ]


def test_set_password_runs_once(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    uid = user["id"]
    headers = _key(tenant.admin(), "pw-1")
    first = api("POST", f"/v1/users/{uid}/password", {"password": NEW_PASSWORD}, headers)
    assert first.status == 200 and first.headers["ETag"] == '"2"'
    again = api("POST", f"/v1/users/{uid}/password", {"password": NEW_PASSWORD}, headers)
    _same(first, again)
    assert api("GET", f"/v1/users/{uid}", headers=tenant.admin()).headers["ETag"] == '"2"'  # one write


def test_disable_and_enable_replay(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    uid = user["id"]
    first = api("POST", f"/v1/users/{uid}/disable", {"revoke_sessions": True}, _key(tenant.admin(), "d-1"))
    assert first.status == 200 and first.body["disabled"] is True
    _same(
        first, api("POST", f"/v1/users/{uid}/disable", {"revoke_sessions": True}, _key(tenant.admin(), "d-1"))
    )
    # the same key on another route is another key: enable runs
    enabled = api("POST", f"/v1/users/{uid}/enable", None, _key(tenant.admin(), "d-1"))
    assert enabled.status == 200 and enabled.body["disabled"] is False
    # a retry of the old disable still replays, and does not disable again
    _same(
        first, api("POST", f"/v1/users/{uid}/disable", {"revoke_sessions": True}, _key(tenant.admin(), "d-1"))
    )
    assert _get(api, tenant, uid)["disabled"] is False
    _same(enabled, api("POST", f"/v1/users/{uid}/enable", None, _key(tenant.admin(), "d-1")))


def test_password_change_runs_once(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    session = sign_in(api, tenant)
    headers = _key(bearer(session["access_token"]), "chg-1")
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    first = api("POST", "/v1/auth/password/change", body, headers)
    assert first.status == 200, first.body
    # without the key a second run would fail: the current password is no longer PASSWORD
    _same(first, api("POST", "/v1/auth/password/change", body, headers))
    assert (
        api("POST", "/v1/auth/password/change", body, bearer(session["access_token"])).error
        == "invalid_credentials"
    )
    sign_in(api, tenant, password=NEW_PASSWORD)


def test_a_sign_out_is_not_replayed_to_the_session_it_ended(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    """A retry of a sign-out is a use of its ended session: 401 session_revoked, as without a key
    (the contract: a revoked session is refused on its very next use). The session ended once."""
    session = sign_in(api, tenant)
    headers = _key(bearer(session["access_token"]), "out-1")
    first = api("POST", "/v1/auth/sign-out", None, headers)
    assert first.status == 204 and first.body is None
    again = api("POST", "/v1/auth/sign-out", None, headers)
    assert (again.status, again.error) == (401, "session_revoked")
    assert "Idempotent-Replayed" not in again.headers
    assert api("GET", "/v1/auth/me", headers=bearer(session["access_token"])).error == "session_revoked"
    assert api("POST", "/v1/auth/sign-out", None, bearer(session["access_token"])).error == "session_revoked"


def test_same_key_other_request_is_422_and_changes_nothing(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    uid = user["id"]
    headers = _key(tenant.admin(), "k-1")
    assert api("POST", f"/v1/users/{uid}/disable", {"revoke_sessions": False}, headers).status == 200
    before = _get(api, tenant, uid)
    other = api("POST", f"/v1/users/{uid}/disable", {"revoke_sessions": True}, headers)
    assert other.status == 422 and other.error == "validation_failed"
    assert other.body["error"]["details"][0]["field"] == "Idempotency-Key"
    other_create = api("POST", "/v1/users", {"email": "x@example.com"}, _key(tenant.admin(), "c-1"))
    assert other_create.status == 201
    changed = api("POST", "/v1/users", {"email": "y@example.com"}, _key(tenant.admin(), "c-1"))
    assert changed.status == 422
    assert api("GET", "/v1/users?email=y@example.com", headers=tenant.admin()).body["data"] == []
    assert _get(api, tenant, uid) == before


def test_same_key_for_another_user_is_422(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    other = api("POST", "/v1/users", {"email": "o@example.com"}, tenant.admin()).body
    headers = _key(tenant.admin(), "k-2")
    assert api("POST", f"/v1/users/{user['id']}/disable", None, headers).status == 200
    assert api("POST", f"/v1/users/{other['id']}/disable", None, headers).status == 422
    assert _get(api, tenant, other["id"])["disabled"] is False


def test_if_match_is_part_of_the_request(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    uid = user["id"]
    headers = _key({**tenant.admin(), "If-Match": '"1"'}, "k-3")
    first = api("POST", f"/v1/users/{uid}/disable", None, headers)
    assert first.status == 200
    _same(first, api("POST", f"/v1/users/{uid}/disable", None, headers))  # not 412: it is a retry
    assert api("POST", f"/v1/users/{uid}/disable", None, {**headers, "If-Match": '"2"'}).status == 422


def test_failures_are_not_stored(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    uid = user["id"]
    headers = _key(tenant.admin(), "k-4")
    weak = api("POST", f"/v1/users/{uid}/password", {"password": "password"}, headers)
    assert weak.error == "password_too_weak"
    # nothing was stored: the corrected request with the same key runs
    assert api("POST", f"/v1/users/{uid}/password", {"password": NEW_PASSWORD}, headers).status == 200


def test_keys_are_scoped_to_tenant_and_caller(
    api: Api, tenant: Tenant, other_tenant: Tenant, user: dict[str, Any]
) -> None:
    body = {"email": "same@example.com"}
    mine = api("POST", "/v1/users", body, _key(tenant.admin(), "shared-key"))
    theirs = api("POST", "/v1/users", body, _key(other_tenant.admin(), "shared-key"))
    assert mine.status == theirs.status == 201
    assert mine.body["id"] != theirs.body["id"] and theirs.body["tenant_id"] == other_tenant.id
    assert "Idempotent-Replayed" not in theirs.headers
    # two sessions of one user: the same key signs each out, not a replay of the other
    s1, s2 = sign_in(api, tenant), sign_in(api, tenant)
    for s in (s1, s2):
        out = api("POST", "/v1/auth/sign-out", None, _key(bearer(s["access_token"]), "bye"))
        assert out.status == 204 and "Idempotent-Replayed" not in out.headers
        assert api("GET", "/v1/auth/me", headers=bearer(s["access_token"])).error == "session_revoked"


def test_unauthenticated_retry_gets_no_replay(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    uid = user["id"]
    assert api("POST", f"/v1/users/{uid}/disable", None, _key(tenant.admin(), "k-5")).status == 200
    stranger = {
        "Authorization": "Bearer sk_test_" + "x" * 43,
        "X-Tenant-ID": tenant.id,
        "Idempotency-Key": "k-5",
    }
    assert api("POST", f"/v1/users/{uid}/disable", None, stranger).status == 401


@pytest.mark.parametrize("bad", ["", "has space", "x" * 256, "caf\u00e9"])
def test_malformed_key_is_400(api: Api, tenant: Tenant, user: dict[str, Any], bad: str) -> None:
    reply = api("POST", f"/v1/users/{user['id']}/disable", None, _key(tenant.admin(), bad))
    assert reply.status == 400 and reply.error == "invalid_request"
    assert _get(api, tenant, user["id"])["disabled"] is False


def test_record_shape(api: Api, tenant: Tenant, user: dict[str, Any], aws: dict[str, str]) -> None:
    import time

    import boto3
    from hellojohn.config import settings
    from hellojohn.rules import outbox

    assert api("POST", f"/v1/users/{user['id']}/enable", None, _key(tenant.admin(), "k-6")).status == 200
    items = boto3.client("dynamodb").scan(TableName=settings().table_name)["Items"]  # test-only scan
    records = [i for i in items if i["PK"]["S"].startswith("IDEM#")]
    assert len(records) == 1
    record = records[0]
    assert record["PK"]["S"].startswith(f"IDEM#{tenant.id}#key_")
    assert record["SK"]["S"].startswith(f"IDEM#{tenant.id}#key_")
    assert "POST /v1/users/{user_id}/enable#" in record["SK"]["S"]
    assert "k-6" not in repr(record)  # the key is stored hashed
    assert record["status"]["S"] == "COMPLETED"
    assert abs(int(record["ttl"]["N"]) - (time.time() + 24 * 3600)) < 60
    from boto3.dynamodb.types import TypeDeserializer

    image = {k: TypeDeserializer().deserialize(v) for k, v in record.items()}
    assert outbox.plan(outbox.Record(None, image)) == outbox.NOTHING  # the stream router ignores it


def test_in_progress_duplicate_is_409(
    api: Api, tenant: Tenant, user: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from hellojohn.rules import users

    uid = user["id"]
    headers = _key(tenant.admin(), "k-7")
    real = users.set_disabled
    seen: list[Reply] = []

    def slow(*args: Any, **kwargs: Any) -> Any:
        if not seen:  # the duplicate arrives while the first is still running
            seen.append(api("POST", f"/v1/users/{uid}/disable", None, headers))
        return real(*args, **kwargs)

    monkeypatch.setattr(users, "set_disabled", slow)
    first = api("POST", f"/v1/users/{uid}/disable", None, headers)
    assert first.status == 200
    assert seen[0].status == 409 and seen[0].error == "conflict" and seen[0].headers["Retry-After"] == "1"
    _same(first, api("POST", f"/v1/users/{uid}/disable", None, headers))


# -- a replay goes only to a caller who could make the request now (issue 24) ---------------------


def _change_with_key(api: Api, session: dict[str, Any], key: str) -> tuple[dict[str, str], dict[str, Any]]:
    headers = _key(bearer(session["access_token"]), key)
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    first = api("POST", "/v1/auth/password/change", body, headers)
    assert first.status == 200, first.body
    return headers, body


def test_a_replay_after_an_admin_revoke_all_is_401(
    api: Api, tenant: Tenant, user: dict[str, Any], calls: Calls
) -> None:
    """The stored response (the user's profile) is not served to a session revoked since."""
    session = sign_in(api, tenant)
    headers, body = _change_with_key(api, session, "chg-r")
    revoked = api("POST", f"/v1/users/{user['id']}/sessions/revoke", None, tenant.admin())
    assert revoked.status == 204, revoked.body
    calls.clear()
    again = api("POST", "/v1/auth/password/change", body, headers)
    assert (again.status, again.error) == (401, "session_revoked"), again.body
    assert "Idempotent-Replayed" not in again.headers and user["email"] not in repr(again.body)
    assert calls.operations == ["PutItem", "GetItem"]  # the stored record, then the user read again


def test_a_replay_after_disable_is_403_and_served_again_after_enable(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    """Disabled without revoking sessions: the token still verifies, the replay is refused; the
    record is kept, so once enabled the same retry is its first response again."""
    session = sign_in(api, tenant)
    headers, body = _change_with_key(api, session, "chg-d")
    first = api("POST", "/v1/auth/password/change", body, headers)  # a replay while all is well
    assert first.headers.get("Idempotent-Replayed") == "true"
    assert api("POST", f"/v1/users/{user['id']}/disable", None, tenant.admin()).status == 200
    refused = api("POST", "/v1/auth/password/change", body, headers)
    assert (refused.status, refused.error) == (403, "user_disabled"), refused.body
    assert "Idempotent-Replayed" not in refused.headers
    assert api("POST", f"/v1/users/{user['id']}/enable", None, tenant.admin()).status == 200
    _same(first, api("POST", "/v1/auth/password/change", body, headers))


@pytest.mark.parametrize("route", ["password change", "revoke another of my sessions", "sign-out"])
def test_every_access_token_route_checks_the_session_on_replay(
    api: Api, tenant: Tenant, user: dict[str, Any], route: str
) -> None:
    """The check is in `idempotency.once`, the one path of every replay: each route that takes an
    access token and an Idempotency-Key refuses a replay to a revoked session."""
    session, other = sign_in(api, tenant), sign_in(api, tenant)
    request: tuple[str, str, Any] = {
        "password change": (
            "POST",
            "/v1/auth/password/change",
            {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        ),
        "revoke another of my sessions": ("POST", f"/v1/auth/sessions/{other['id']}/revoke", None),
        "sign-out": ("POST", "/v1/auth/sign-out", None),
    }[route]
    headers = _key(bearer(session["access_token"]), f"every-{route}".replace(" ", "-"))
    first = api(request[0], request[1], request[2], headers)
    assert first.status in (200, 204), first.body
    if route != "sign-out":
        _same(first, api(request[0], request[1], request[2], headers))  # live: replayed
    assert api("POST", f"/v1/users/{user['id']}/sessions/revoke", None, tenant.admin()).status == 204
    again = api(request[0], request[1], request[2], headers)
    assert (again.status, again.error) == (401, "session_revoked"), again.body


@pytest.mark.parametrize("route", ["disable", "set password"])
def test_a_secret_key_replay_needs_the_key_still_valid(
    api: Api, tenant: Tenant, user: dict[str, Any], route: str
) -> None:
    """Keys cannot be revoked or rotated through the API; an operator deletes the key's item. The
    replay passes the same authentication as every request: a deleted key is 401, with the
    tenant's other keys unaffected (here once the 60 s key cache has passed: cleared)."""
    import boto3
    from hellojohn.config import settings
    from hellojohn.rules import opaque, tenancy
    from hellojohn.store import keys

    uid = user["id"]
    path, body = {
        "disable": (f"/v1/users/{uid}/disable", None),
        "set password": (f"/v1/users/{uid}/password", {"password": NEW_PASSWORD}),
    }[route]
    headers = _key(tenant.admin(), f"key-{route}".replace(" ", "-"))
    first = api("POST", path, body, headers)
    assert first.status == 200, first.body
    _same(first, api("POST", path, body, headers))
    boto3.client("dynamodb").delete_item(
        TableName=settings().table_name, Key=keys.api_key(opaque.digest(tenant.secret_key))
    )
    tenancy.clear_caches()
    again = api("POST", path, body, headers)
    assert (again.status, again.error) == (401, "unauthorized"), again.body
    assert "Idempotent-Replayed" not in again.headers
