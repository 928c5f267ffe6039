"""Authentication before validation (hellojohn/edge/resolver.py `entry`): a request whose credentials are
missing or invalid is 401 whatever its body; only an authenticated caller learns about its body."""

from typing import Any

import pytest

from tests.conftest import Api, Tenant, bearer, sign_in
from tests.security.conftest import Calls
from tests.security.helpers import assert_error, table_items

BAD_BODIES: list[tuple[str | None, str | None]] = [
    ('{"role": "admin"}', "application/json"),  # an admin-only field (403 forbidden_field once signed in)
    ('{"email": "x"}', "application/json"),  # an invalid field (422 once authenticated)
    ('{"unknown": 1}', "application/json"),
    ("{not json", "application/json"),  # 400 invalid_json
    ('{"a": 1, "a": 2}', "application/json"),
    ("[" * 30000, "application/json"),
    ("x" * (70 * 1024), "application/json"),  # 413
    ('{"email": "x"}', "text/plain"),  # 415
    ("[]", "application/json"),
]

ROUTES = [
    ("PATCH", "/v1/auth/me"),
    ("POST", "/v1/auth/password/change"),
    ("POST", "/v1/auth/sign-out"),
    ("POST", "/v1/auth/reauthenticate"),
    ("POST", "/v1/users"),
    ("PATCH", "/v1/users/usr_01HZZZZZZZZZZZZZZZZZZZZZZZ"),
    ("POST", "/v1/users/usr_01HZZZZZZZZZZZZZZZZZZZZZZZ/password"),
    ("POST", "/v1/users/usr_01HZZZZZZZZZZZZZZZZZZZZZZZ/disable"),
    ("POST", "/v1/auth/sign-in"),
    ("POST", "/v1/auth/refresh"),
    ("POST", "/v1/auth/email/verify"),
    ("POST", "/v1/auth/email/cancel"),
    ("POST", "/v1/auth/email/restore"),
]

CREDENTIALS: list[dict[str, str]] = [
    {},  # none
    {"Authorization": "Basic dXNlcjpwYXNz"},
    {"Authorization": "Bearer sk_test_" + "A" * 43, "X-Tenant-ID": "tnt_01HZZZZZZZZZZZZZZZZZZZZZZZ"},
    {"Authorization": "Bearer pk_test_" + "A" * 43, "X-Tenant-ID": "tnt_01HZZZZZZZZZZZZZZZZZZZZZZZ"},
    {"Authorization": "Bearer eyJhbGciOiJFZERTQSJ9.e30.AAAA"},  # a made-up token
]


def test_the_issues_two_requests_are_401(api: Api, tenant: Tenant) -> None:
    """Before: 403 forbidden_field and 422 validation_failed with field details."""
    assert_error(api("PATCH", "/v1/auth/me", {"role": "admin"}), 401, "unauthorized")
    assert_error(api("POST", "/v1/users", {"email": "x"}), 401, "unauthorized")


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_no_valid_credential_is_401_whatever_the_body(
    api: Api, tenant: Tenant, calls: Calls, method: str, path: str
) -> None:
    """Each credential gets one answer whatever the body: 401, or 403 `forbidden` for a key of
    the wrong kind (refused on its prefix, before any lookup)."""
    before = table_items()
    for credential in CREDENTIALS:
        answers = set()
        for raw, media in BAD_BODIES:
            headers = {**credential, **({"Content-Type": media} if media else {})}
            reply = api(method, path, headers=headers, raw=raw)
            assert reply.body["error"]["details"] == [], reply.body
            answers.add((reply.status, reply.error))
        assert len(answers) == 1, (credential, answers)
        [(status, code)] = answers
        assert status == 401 or (status, code) == (403, "forbidden"), (credential, answers)
        if not credential:
            assert (status, code) == (401, "unauthorized")
    assert table_items() == before
    # with no Authorization at all, nothing is looked up
    calls.clear()
    api(method, path, headers={"Content-Type": "application/json"}, raw='{"email": "x"}')
    assert calls.operations == []


def test_authenticated_callers_still_learn_about_their_body(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    session = sign_in(api, tenant)
    assert_error(
        api("PATCH", "/v1/auth/me", {"role": "admin"}, bearer(session["access_token"])),
        403,
        "forbidden_field",
    )
    assert_error(api("POST", "/v1/users", {"email": "x"}, tenant.admin()), 422, "validation_failed")
    assert_error(api("POST", "/v1/users", raw="{not json", headers=tenant.admin()), 400, "invalid_json")
