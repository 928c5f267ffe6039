"""The local runner itself: what it writes, how it routes, its local-only pages."""

import http.client
import json
import stat

import pytest

from tests.conftest import Tenant
from tests.e2e.conftest import Http, Runner, UserFactory, assert_error, sign_in

pytestmark = pytest.mark.e2e


def test_the_state_files(runner: Runner, demo: Tenant, backend: str) -> None:
    creds = json.loads((runner.state_dir / "credentials.json").read_text())
    assert set(creds) == {"api_url", "tenant_id", "secret_key", "publishable_key", "demo_user"}
    assert set(creds["demo_user"]) == {"id", "email", "password"}
    assert creds["secret_key"].startswith("sk_test_") and creds["publishable_key"].startswith("pk_test_")
    stack = json.loads((runner.state_dir / "stack.json").read_text())
    assert stack["api_url"] == runner.api_url and stack["endpoint_url"].startswith("http://127.0.0.1:")
    if backend == "local":  # DynamoDB and its streams on DynamoDB Local, the rest on moto
        assert stack["dynamodb_endpoint_url"].startswith("http://127.0.0.1:")
        assert stack["dynamodb_endpoint_url"] != stack["endpoint_url"]
    else:
        assert stack["dynamodb_endpoint_url"] is None
    assert stack["environment"]["TABLE_NAME"] == stack["resources"]["Table"]
    for name in ("credentials.json", "stack.json"):  # secrets: the owner's eyes only
        assert stat.S_IMODE((runner.state_dir / name).stat().st_mode) == 0o600


def test_the_demo_user_signs_in(api: Http, runner: Runner, demo: Tenant) -> None:
    user = runner.credentials["demo_user"]
    session = sign_in(api, demo, user["email"], user["password"])
    me = api("GET", "/v1/auth/me", headers={"Authorization": f"Bearer {session['access_token']}"})
    assert me.status == 200 and me.body["id"] == user["id"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/nope"),
        ("GET", "/v1/users/usr_1/password"),
        ("PUT", "/v1/users/usr_1"),
        ("PUT", "/v1/auth/me"),
    ],
)
def test_undeclared_routes_are_404_not_found(api: Http, method: str, path: str) -> None:
    assert_error(api(method, path), 404, "not_found")


def test_path_parameters_and_query_strings_reach_the_function(
    api: Http, demo: Tenant, create_user: UserFactory
) -> None:
    user = create_user(demo)
    listed = api("GET", f"/v1/users?email={user['email'].replace('@', '%40')}&limit=5", headers=demo.admin())
    assert listed.status == 200, listed.body
    assert [u["id"] for u in listed.body["data"]] == [user["id"]]
    assert listed.body["pagination"]["limit"] == 5


def test_a_chunked_body_is_read(api: Http, demo: Tenant, create_user: UserFactory) -> None:
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


def test_local_pages(api: Http) -> None:
    assert api("GET", "/_local/health").body == {"status": "ok"}
    emails = api("GET", "/_local/emails")
    assert emails.status == 200 and isinstance(emails.body, list)
    page = api("GET", "/verify-email")
    assert page.status == 200 and "This link has no token" in page.body


# -- routing and the proxy event as API Gateway (REST) builds them ------------------------------------


def test_an_encoded_slash_is_not_a_path_separator(api: Http, demo: Tenant, create_user: UserFactory) -> None:
    """API Gateway matches the raw path: `<id>%2Fdisable` is one segment, so no route has it."""
    user = create_user(demo)
    reply = api("POST", f"/v1/users/{user['id']}%2Fdisable", {}, demo.admin())
    assert_error(reply, 404, "not_found")
    assert reply.body["error"]["message"] == "No such route"  # the gateway's answer, not a function's
    assert api("GET", f"/v1/users/{user['id']}", headers=demo.admin()).body["disabled"] is False
    # a declared method on that one segment reaches the function with the segment as sent: not an id
    reply = api("GET", f"/v1/users/{user['id']}%2Fdisable", headers=demo.admin())
    assert_error(reply, 422, "validation_failed")
    assert reply.body["error"]["details"][0]["field"] == "user_id"


@pytest.mark.parametrize(
    "raw",
    [
        b'{"email": "\xff\xfe@example.com", "password": "Correct-Horse-42"}',
        b"\xff\xfe\xfd",
        b'{"email": "a@b.co"\xc3}',
    ],
)
def test_a_body_that_is_not_utf8_gets_a_contract_error(api: Http, demo: Tenant, raw: bytes) -> None:
    """Without binary media types API Gateway passes the body as UTF-8 text (invalid bytes become
    U+FFFD): the API answers a 4xx in the contract's shape, never a 500."""
    reply = api("POST", "/v1/auth/sign-in", raw=raw, headers=demo.public())
    assert 400 <= reply.status < 500, reply.body
    assert_error(reply, reply.status, reply.error or "")


@pytest.mark.parametrize(
    "media_type", ["Application/Json", "application/json; charset=utf-8", "APPLICATION/JSON"]
)
def test_content_type_in_any_case(api: Http, runner: Runner, demo: Tenant, media_type: str) -> None:
    user = runner.credentials["demo_user"]
    body = {"email": user["email"], "password": user["password"]}
    reply = api("POST", "/v1/auth/sign-in", body, {**demo.public(), "Content-Type": media_type})
    assert reply.status == 200, reply.body
    assert reply.body["user"]["id"] == user["id"]


def test_header_names_in_any_case(api: Http, demo: Tenant, create_user: UserFactory) -> None:
    user = create_user(demo)
    lower = {"authorization": f"Bearer {demo.secret_key}", "x-tenant-id": demo.id}
    assert api("GET", f"/v1/users/{user['id']}", headers=lower).body["id"] == user["id"]
    upper = {"AUTHORIZATION": f"Bearer {demo.secret_key}", "X-TENANT-ID": demo.id}
    assert api("GET", f"/v1/users/{user['id']}", headers=upper).body["id"] == user["id"]


def test_function_logs_go_to_their_file_and_the_console_keeps_the_runners_lines(
    api: Http, runner: Runner, demo: Tenant, create_user: UserFactory
) -> None:
    """The console stays readable (the banner, one line a request); what the functions print, their
    JSON log lines and EMF metrics, is in STATE_DIR/functions.log."""
    import time

    user = create_user(demo)
    assert api("GET", f"/v1/users/{user['id']}", headers=demo.admin()).status == 200
    functions_log = runner.state_dir / "functions.log"
    deadline = time.monotonic() + 10
    while '"_aws"' not in functions_log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert '"_aws"' in functions_log.read_text()  # the functions' metrics (EMF lines)
    console = (runner.state_dir / "runner.log").read_text()
    assert '"_aws"' not in console and '"level":' not in console
    assert "GET /v1/users/" in console and "Function logs (their JSON lines" in console
