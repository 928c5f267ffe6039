"""Every curl command of the seed page, run by curl itself exactly as printed, with only the host,
the key (or access token), the tenant id and the user id replaced; each has the effect the page
describes, checked by its response and by a following read."""

import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSWORD, Tenant
from tests.e2e.conftest import (
    Http,
    NamedTenant,
    Runner,
    UserFactory,
    assert_error,
    bearer,
    emails,
    sign_in,
    wait_for_email,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("curl") is None, reason="the seed's commands need curl"),
]
# shared/ lies beside the repository on project machines and in CI.
SEED_PAGE = Path(__file__).resolve().parents[3] / "shared" / "spec" / "seed-update-users.txt"

# As printed on the seed page, character for character.
ADMIN_UPDATE = """curl -X PATCH "https://api.hellojohn.dev/v1/users/usr_01HABCDEF123456" \\
-H "Authorization: Bearer sk_live_abc123" \\
-H "X-Tenant-ID: tnt_01HABCDEF654321" \\
-H "Content-Type: application/json" \\
-d '{
"name": "Alice J. Smith",
"email": "alice.new@example.com",
"phone_number": "+14155552671",
"role": "admin"
}'"""
CHANGE_PASSWORD = """curl -X POST "https://api.hellojohn.dev/v1/auth/password/change" \\
-H "Authorization: Bearer eyJhbGciOiJFZERTQSJ9..." \\
-H "Content-Type: application/json" \\
-d '{
"current_password": "OldPassword123!",
"new_password": "NewPassword456!"
}'"""
SET_PASSWORD = """curl -X POST "https://api.hellojohn.dev/v1/users/usr_01HABCDEF123456/password" \\
-H "Authorization: Bearer sk_live_abc123" \\
-H "X-Tenant-ID: tnt_01HABCDEF654321" \\
-H "Content-Type: application/json" \\
-d '{
"password": "TemporaryPass123!",
"sign_out_all_sessions": true
}'"""
UPDATE_EMAIL = """curl -X PATCH "https://api.hellojohn.dev/v1/users/usr_01HABCDEF123456" \\
-H "Authorization: Bearer sk_live_abc123" \\
-H "X-Tenant-ID: tnt_01HABCDEF654321" \\
-H "Content-Type: application/json" \\
-d '{"email": "alice.new@example.com"}'"""
SKIP_VERIFICATION_BODY = """{
"email": "alice.new@example.com",
"email_verified": true
}"""
UPDATE_ROLE = """curl -X PATCH "https://api.hellojohn.dev/v1/users/usr_01HABCDEF123456" \\
-H "Authorization: Bearer sk_live_abc123" \\
-H "X-Tenant-ID: tnt_01HABCDEF654321" \\
-H "Content-Type: application/json" \\
-d '{"role": "admin"}'"""
DISABLE = """curl -X POST "https://api.hellojohn.dev/v1/users/usr_01HABCDEF123456/disable" \\
-H "Authorization: Bearer sk_live_abc123" \\
-H "X-Tenant-ID: tnt_01HABCDEF654321\""""
ENABLE = """curl -X POST "https://api.hellojohn.dev/v1/users/usr_01HABCDEF123456/enable" \\
-H "Authorization: Bearer sk_live_abc123" \\
-H "X-Tenant-ID: tnt_01HABCDEF654321\""""
DISABLE_AND_REVOKE = """curl -X POST "https://api.hellojohn.dev/v1/users/usr_01HABCDEF123456/disable" \\
-H "Authorization: Bearer sk_live_abc123" \\
-H "X-Tenant-ID: tnt_01HABCDEF654321" \\
-H "Content-Type: application/json" \\
-d '{"revoke_sessions": true}'"""
ALL: tuple[str, ...]
ALL = (ADMIN_UPDATE, CHANGE_PASSWORD, SET_PASSWORD, UPDATE_EMAIL, SKIP_VERIFICATION_BODY, UPDATE_ROLE)
ALL += (DISABLE, ENABLE, DISABLE_AND_REVOKE)
SEED_ALICE = "alice.new@example.com"


def curl(runner: Runner, command: str, tenant: Tenant, user_id: str = "", token: str = "") -> tuple[int, Any]:
    """The command through bash and curl, with the host, key, tenant and user id (or token) replaced."""
    replaced = (
        command.replace("https://api.hellojohn.dev", runner.api_url)
        .replace("sk_live_abc123", tenant.secret_key)
        .replace("tnt_01HABCDEF654321", tenant.id)
        .replace("usr_01HABCDEF123456", user_id)
        .replace("eyJhbGciOiJFZERTQSJ9...", token)
    )
    out = subprocess.run(
        ["bash", "-c", replaced + " -sS -w '\\n%{http_code}'"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    body, _, status = out.stdout.rpartition("\n")
    return int(status), json.loads(body) if body.strip() else None


@pytest.mark.skipif(not SEED_PAGE.exists(), reason="the seed page is not on this machine")
def test_the_commands_are_the_seed_pages_own() -> None:
    page = SEED_PAGE.read_text()
    for command in ALL:
        assert command in page, command


def test_admin_update_profile(
    api: Http, runner: Runner, new_tenant: NamedTenant, create_user: UserFactory
) -> None:
    user = create_user(new_tenant, "alice@example.com", name="Alice")
    status, body = curl(runner, ADMIN_UPDATE, new_tenant, user["id"])
    assert status == 200, body
    expected = {"name": "Alice J. Smith", "phone_number": "+14155552671", "role": "admin"}
    read = api("GET", f"/v1/users/{user['id']}", headers=new_tenant.admin()).body
    for view in (body, read):
        assert {k: view[k] for k in expected} == expected
        # "Changing email triggers a new verification email by default": pending until verified
        assert view["email"] == "alice@example.com" and view["pending_email"] == SEED_ALICE
    wait_for_email(api, SEED_ALICE, about=new_tenant.name)


def test_user_changes_own_password(api: Http, runner: Runner, demo: Tenant, create_user: UserFactory) -> None:
    user = create_user(demo, password="OldPassword123!")
    token = sign_in(api, demo, user["email"], "OldPassword123!")["access_token"]
    status, body = curl(runner, CHANGE_PASSWORD, demo, token=token)
    assert status == 200, body
    assert body["id"] == user["id"] and "private_metadata" not in body
    assert sign_in(api, demo, user["email"], "NewPassword456!")["access_token"]
    old = api(
        "POST", "/v1/auth/sign-in", {"email": user["email"], "password": "OldPassword123!"}, demo.public()
    )
    assert_error(old, 401, "invalid_credentials")


def test_admin_sets_password_and_signs_out_all_sessions(
    api: Http, runner: Runner, demo: Tenant, create_user: UserFactory
) -> None:
    user = create_user(demo)
    sessions = [sign_in(api, demo, user["email"]) for _ in range(2)]
    status, body = curl(runner, SET_PASSWORD, demo, user["id"])
    assert status == 200, body
    assert body["id"] == user["id"]
    for session in sessions:
        assert_error(
            api("GET", "/v1/auth/me", headers=bearer(session["access_token"])), 401, "session_revoked"
        )
        refresh = api("POST", "/v1/auth/refresh", {"refresh_token": session["refresh_token"]}, demo.public())
        assert_error(refresh, 401, "session_revoked")
    assert sign_in(api, demo, user["email"], "TemporaryPass123!")["access_token"]
    old = api("POST", "/v1/auth/sign-in", {"email": user["email"], "password": PASSWORD}, demo.public())
    assert_error(old, 401, "invalid_credentials")


def test_update_email_keeps_the_old_one_active_until_verified(
    api: Http, runner: Runner, new_tenant: NamedTenant, create_user: UserFactory
) -> None:
    user = create_user(new_tenant, "alice@example.com")
    status, body = curl(runner, UPDATE_EMAIL, new_tenant, user["id"])
    assert status == 200, body
    assert body["email"] == "alice@example.com" and body["pending_email"] == SEED_ALICE
    read = api("GET", f"/v1/users/{user['id']}", headers=new_tenant.admin()).body
    assert read["email"] == "alice@example.com" and read["pending_email"] == SEED_ALICE
    assert sign_in(api, new_tenant, "alice@example.com")["access_token"]
    new = api("POST", "/v1/auth/sign-in", {"email": SEED_ALICE, "password": PASSWORD}, new_tenant.public())
    assert_error(new, 401, "invalid_credentials")
    [email] = wait_for_email(api, SEED_ALICE, about=new_tenant.name)
    assert "verify-email?token=" in email["text"]


def test_admin_skips_reverification(
    api: Http, runner: Runner, new_tenant: NamedTenant, create_user: UserFactory
) -> None:
    user = create_user(new_tenant, "alice@example.com")
    command = UPDATE_EMAIL.replace("""'{"email": "alice.new@example.com"}'""", f"'{SKIP_VERIFICATION_BODY}'")
    status, body = curl(runner, command, new_tenant, user["id"])
    assert status == 200, body
    read = api("GET", f"/v1/users/{user['id']}", headers=new_tenant.admin()).body
    for view in (body, read):
        assert (
            view["email"] == SEED_ALICE and view["email_verified"] is True and view["pending_email"] is None
        )
    assert sign_in(api, new_tenant, SEED_ALICE)["access_token"]
    old = api(
        "POST", "/v1/auth/sign-in", {"email": "alice@example.com", "password": PASSWORD}, new_tenant.public()
    )
    assert_error(old, 401, "invalid_credentials")
    time.sleep(1.0)  # the pipeline delivers in well under a second: nothing must have been sent
    assert emails(api, SEED_ALICE, about=new_tenant.name) == []


def test_update_role(api: Http, runner: Runner, demo: Tenant, create_user: UserFactory) -> None:
    user = create_user(demo)
    assert user["role"] == "member"
    status, body = curl(runner, UPDATE_ROLE, demo, user["id"])
    assert status == 200, body
    assert body["role"] == "admin"
    assert api("GET", f"/v1/users/{user['id']}", headers=demo.admin()).body["role"] == "admin"
    token = sign_in(api, demo, user["email"])["access_token"]
    assert api("GET", "/v1/auth/me", headers=bearer(token)).body["role"] == "admin"


def test_disable_refuses_sign_in_but_keeps_sessions_then_enable(
    api: Http, runner: Runner, demo: Tenant, create_user: UserFactory
) -> None:
    user = create_user(demo)
    session = sign_in(api, demo, user["email"])
    status, body = curl(runner, DISABLE, demo, user["id"])
    assert status == 200, body
    assert body["disabled"] is True and body["disabled_at"]
    assert api("GET", f"/v1/users/{user['id']}", headers=demo.admin()).body["disabled"] is True
    refused = api("POST", "/v1/auth/sign-in", {"email": user["email"], "password": PASSWORD}, demo.public())
    assert_error(refused, 403, "user_disabled")
    # "Existing sessions remain until they expire"
    assert api("GET", "/v1/auth/me", headers=bearer(session["access_token"])).status == 200

    status, body = curl(runner, ENABLE, demo, user["id"])
    assert status == 200, body
    assert body["disabled"] is False and body["disabled_at"] is None
    assert api("GET", f"/v1/users/{user['id']}", headers=demo.admin()).body["disabled"] is False
    assert sign_in(api, demo, user["email"])["access_token"]


def test_disable_with_revoke_sessions_ends_them_at_once(
    api: Http, runner: Runner, demo: Tenant, create_user: UserFactory
) -> None:
    user = create_user(demo)
    session = sign_in(api, demo, user["email"])
    status, body = curl(runner, DISABLE_AND_REVOKE, demo, user["id"])
    assert status == 200, body
    assert body["disabled"] is True
    assert_error(api("GET", "/v1/auth/me", headers=bearer(session["access_token"])), 401, "session_revoked")
    refresh = api("POST", "/v1/auth/refresh", {"refresh_token": session["refresh_token"]}, demo.public())
    assert_error(refresh, 401, "session_revoked")
    refused = api("POST", "/v1/auth/sign-in", {"email": user["email"], "password": PASSWORD}, demo.public())
    assert_error(refused, 403, "user_disabled")
