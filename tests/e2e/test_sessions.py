"""Issue 13's sessions over HTTP against the local runner (what the curl lines in README.md do):
two sign-ins, the list shows both with where they came from, revoke one, its token is 401 at once."""

import pytest

from tests.conftest import PASSWORD, Tenant
from tests.e2e.conftest import Http, UserFactory, assert_error, bearer

pytestmark = pytest.mark.e2e

LAPTOP = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Mobile/15E148 Safari/604.1"


def _sign_in(api: Http, tenant: Tenant, email: str, user_agent: str) -> dict[str, str]:
    reply = api(
        "POST",
        "/v1/auth/sign-in",
        {"email": email, "password": PASSWORD},
        {**tenant.public(), "User-Agent": user_agent},
    )
    assert reply.status == 200, reply.body
    return dict(reply.body["session"])


def test_two_sign_ins_listed_one_revoked_its_token_401_at_once(
    api: Http, demo: Tenant, create_user: UserFactory
) -> None:
    user = create_user(demo)
    laptop = _sign_in(api, demo, user["email"], LAPTOP)
    phone = _sign_in(api, demo, user["email"], PHONE)

    listed = api("GET", "/v1/auth/sessions", headers=bearer(laptop["access_token"]))
    assert listed.status == 200, listed.body
    rows = {s["id"]: s for s in listed.body["data"]}
    assert set(rows) == {laptop["id"], phone["id"]}
    # the runner fills requestContext.identity as API Gateway does: the peer's address, the User-Agent
    assert (rows[laptop["id"]]["user_agent"], rows[laptop["id"]]["ip"]) == (LAPTOP, "127.0.0.1")
    assert (rows[phone["id"]]["user_agent"], rows[phone["id"]]["current"]) == (PHONE, False)
    assert rows[laptop["id"]]["current"] is True
    admin = api("GET", f"/v1/users/{user['id']}/sessions", headers=demo.admin())
    assert sorted(s["id"] for s in admin.body["data"]) == sorted(rows)

    revoked = api("POST", f"/v1/auth/sessions/{phone['id']}/revoke", headers=bearer(laptop["access_token"]))
    assert revoked.status == 204, revoked.body
    assert_error(api("GET", "/v1/auth/me", headers=bearer(phone["access_token"])), 401, "session_revoked")
    refused = api("POST", "/v1/auth/refresh", {"refresh_token": phone["refresh_token"]}, demo.public())
    assert_error(refused, 401, "session_revoked")
    assert api("GET", "/v1/auth/me", headers=bearer(laptop["access_token"])).status == 200
    after = api("GET", "/v1/auth/sessions", headers=bearer(laptop["access_token"]))
    assert [s["id"] for s in after.body["data"]] == [laptop["id"]]


def test_admin_revokes_one_then_all(
    api: Http, demo: Tenant, other_tenant: Tenant, create_user: UserFactory
) -> None:
    user = create_user(demo)
    one = _sign_in(api, demo, user["email"], LAPTOP)
    two = _sign_in(api, demo, user["email"], PHONE)
    path = f"/v1/users/{user['id']}/sessions"
    assert_error(api("GET", path, headers=other_tenant.admin()), 404, "user_not_found")
    crossed = api("POST", f"{path}/{one['id']}/revoke", headers=other_tenant.admin())
    assert_error(crossed, 404, "user_not_found")
    assert api("POST", f"{path}/{one['id']}/revoke", headers=demo.admin()).status == 204
    assert_error(api("GET", "/v1/auth/me", headers=bearer(one["access_token"])), 401, "session_revoked")
    assert api("GET", "/v1/auth/me", headers=bearer(two["access_token"])).status == 200
    assert api("POST", f"{path}/revoke", headers=demo.admin()).status == 204
    assert_error(api("GET", "/v1/auth/me", headers=bearer(two["access_token"])), 401, "session_revoked")
    assert api("GET", path, headers=demo.admin()).body == {"data": []}
