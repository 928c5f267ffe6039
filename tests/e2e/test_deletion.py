"""Deleting a user over HTTP against the real local runner (issue 27), with a tenant whose grace is
0 days (`make tenant ARGS=--deletion-grace-days 0`): revoked and gone at once, the address free,
`user.deleted` on the bus with no personal value; and, with the default grace, the purge that the
runner's TTL emulation (local_runner/ttl.py) starts."""

import json
import time
from typing import Any

import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import (
    Http,
    Runner,
    UserFactory,
    assert_error,
    bearer,
    make_tenant,
    sign_in,
    unique_email,
)

pytestmark = pytest.mark.e2e


def _events_of(api: Http, uid: str, wanted: str, timeout: float = 15.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        mine = [e for e in api("GET", "/_local/events").body if e["detail"]["user_id"] == uid]
        if any(e["detail-type"] == wanted for e in mine) or time.monotonic() > deadline:
            return mine
        time.sleep(0.2)


def test_grace_zero_deletes_at_once_over_http(api: Http, runner: Runner, create_user: UserFactory) -> None:
    tenant = make_tenant(runner, "Erasure", "--deletion-grace-days", "0")
    email = unique_email("kim")
    user = create_user(tenant, email, name="Kim Example", phone_number="+14155550199")
    session = sign_in(api, tenant, email)
    assert api("GET", "/v1/auth/me", headers=bearer(session["access_token"])).status == 200

    deleted = api("DELETE", f"/v1/users/{user['id']}", None, tenant.admin())
    assert deleted.status == 204, deleted.body

    assert_error(api("GET", "/v1/auth/me", headers=bearer(session["access_token"])), 401, "session_revoked")
    refreshed = api("POST", "/v1/auth/refresh", {"refresh_token": session["refresh_token"]}, tenant.public())
    assert refreshed.status == 401
    assert_error(api("GET", f"/v1/users/{user['id']}", headers=tenant.admin()), 404, "user_not_found")
    again = api("POST", "/v1/users", {"email": email, "password": PASSWORD}, tenant.admin())
    assert again.status == 201, again.body

    mine = _events_of(api, user["id"], "user.deleted")
    types = [e["detail-type"] for e in mine]
    assert types[-2:] == ["user.deletion_requested", "user.deleted"], types
    gone = json.dumps(mine[-1]).lower()
    for value in (email, "kim example", "+14155550199", "kim"):
        assert value not in gone, value
    history = api("GET", f"/v1/users/{user['id']}/events?limit=100", headers=tenant.admin())
    assert history.status == 200 and history.body["data"][0]["type"] == "user.deleted"
    assert "kim" not in json.dumps(history.body).lower()  # pseudonymised


def test_delete_me_over_http(api: Http, runner: Runner, create_user: UserFactory) -> None:
    email = unique_email("lee")
    tenant = make_tenant(runner, "Graceful")
    user = create_user(tenant, email)
    session = sign_in(api, tenant, email)
    reply = api("DELETE", "/v1/auth/me", None, bearer(session["access_token"]))
    assert reply.status == 200, reply.body
    assert set(reply.body) == {"deletion_requested_at", "purge_at"}
    assert_error(api("GET", "/v1/auth/me", headers=bearer(session["access_token"])), 401, "session_revoked")
    signin = api("POST", "/v1/auth/sign-in", {"email": email, "password": PASSWORD}, tenant.public())
    assert_error(signin, 403, "user_deleted")
    pending = api("GET", f"/v1/users/{user['id']}", headers=tenant.admin())
    assert pending.body["purge_at"] == reply.body["purge_at"]
    restored = api("POST", f"/v1/users/{user['id']}/restore", None, tenant.admin())
    assert restored.status == 200 and restored.body["purge_at"] is None
    assert sign_in(api, tenant, email)["access_token"]


def test_the_runners_ttl_purges_a_user_past_its_grace(
    api: Http, runner: Runner, create_user: UserFactory
) -> None:
    """The grace period made to pass by moving the user's `purge_at` and TTL back (the runner's
    clock cannot be moved): the runner's TTL sweep (every 5 s) removes the user item as DynamoDB's
    TTL would, and the stream router purges the rest, with the system as the purge's actor."""
    from tests.e2e.test_replay_script import _client

    tenant = make_tenant(runner, "Patient")
    email = unique_email("nell")
    user = create_user(tenant, email, name="Nell Example")
    assert api("DELETE", f"/v1/users/{user['id']}", None, tenant.admin()).status == 200
    stack = json.loads((runner.state_dir / "stack.json").read_text())
    past = {"N": str(int(time.time()) - 1)}
    _client(stack, "dynamodb").update_item(
        TableName=stack["resources"]["Table"],
        Key={"PK": {"S": f"TNT#{tenant.id}#USR#{user['id']}"}, "SK": {"S": "USER"}},
        UpdateExpression="SET #ttl = :past, purge_at = :past",
        ExpressionAttributeNames={"#ttl": "ttl"},
        ExpressionAttributeValues={":past": past},
    )
    assert_error(api("GET", f"/v1/users/{user['id']}", headers=tenant.admin()), 404, "user_not_found")
    mine = _events_of(api, user["id"], "user.deleted", timeout=30)
    [deleted] = [e for e in mine if e["detail-type"] == "user.deleted"]
    assert deleted["detail"]["actor"] == {"type": "system"}
    history = api("GET", f"/v1/users/{user['id']}/events?limit=100", headers=tenant.admin())
    assert [e["type"] for e in history.body["data"]][:2] == ["user.deleted", "user.deletion_requested"]
    assert "nell" not in json.dumps(history.body).lower()
