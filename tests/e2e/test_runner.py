"""The local runner itself: what it writes, how it routes, its local-only pages."""

import http.client
import json
import stat

import pytest

from tests.conftest import Tenant
from tests.e2e.conftest import Http, Runner, UserFactory, assert_error, sign_in

pytestmark = pytest.mark.e2e


def test_the_state_files(runner: Runner, demo: Tenant):
    creds = json.loads((runner.state_dir / "credentials.json").read_text())
    assert set(creds) == {"api_url", "tenant_id", "secret_key", "publishable_key", "demo_user"}
    assert set(creds["demo_user"]) == {"id", "email", "password"}
    assert creds["secret_key"].startswith("sk_test_") and creds["publishable_key"].startswith("pk_test_")
    stack = json.loads((runner.state_dir / "stack.json").read_text())
    assert stack["api_url"] == runner.api_url and stack["endpoint_url"].startswith("http://127.0.0.1:")
    assert stack["environment"]["TABLE_NAME"] == stack["resources"]["Table"]
    for name in ("credentials.json", "stack.json"):  # secrets: the owner's eyes only
        assert stat.S_IMODE((runner.state_dir / name).stat().st_mode) == 0o600


def test_the_demo_user_signs_in(api: Http, runner: Runner, demo: Tenant):
    user = runner.credentials["demo_user"]
    session = sign_in(api, demo, user["email"], user["password"])
    me = api("GET", "/v1/auth/me", headers={"Authorization": f"Bearer {session['access_token']}"})
    assert me.status == 200 and me.body["id"] == user["id"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/nope"),
        ("GET", "/v1/users/usr_1/password"),
        ("DELETE", "/v1/users/usr_1"),
        ("PUT", "/v1/auth/me"),
    ],
)
def test_undeclared_routes_are_404_not_found(api: Http, method: str, path: str):
    assert_error(api(method, path), 404, "not_found")


def test_path_parameters_and_query_strings_reach_the_function(
    api: Http, demo: Tenant, create_user: UserFactory
):
    user = create_user(demo)
    listed = api("GET", f"/v1/users?email={user['email'].replace('@', '%40')}&limit=5", headers=demo.admin())
    assert listed.status == 200, listed.body
    assert [u["id"] for u in listed.body["data"]] == [user["id"]]
    assert listed.body["pagination"]["limit"] == 5


def test_a_chunked_body_is_read(api: Http, demo: Tenant, create_user: UserFactory):
    user = create_user(demo)
    conn = http.client.HTTPConnection(api.host, api.port, timeout=30)
    try:
        conn.putrequest("PATCH", f"/v1/users/{user['id']}")
        for name, value in {**demo.admin(), "Content-Type": "application/json"}.items():
            conn.putheader(name, value)
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        for part in (b'{"name": ', b'"Chunky"}'):
            conn.send(f"{len(part):x}\r\n".encode() + part + b"\r\n")
        conn.send(b"0\r\n\r\n")
        response = conn.getresponse()
        body = json.loads(response.read())
    finally:
        conn.close()
    assert response.status == 200, body
    assert body["name"] == "Chunky"


def test_local_pages(api: Http):
    assert api("GET", "/_local/health").body == {"status": "ok"}
    emails = api("GET", "/_local/emails")
    assert emails.status == 200 and isinstance(emails.body, list)
    page = api("GET", "/verify-email")
    assert page.status == 200 and "No token in the link" in page.body
