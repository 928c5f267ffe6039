"""Reverification over HTTP against the real runner (issue 26, "What it must show"): a tenant made
by `make tenant ARGS="--reverification-max-age 2"`; sign in, change the email at once (200), wait
3 s, change it again (403 `reauthentication_required` with RFC 9470's header), reauthenticate,
change it (200)."""

import time

import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import Http, Runner, assert_error, bearer, make_tenant, sign_in, unique_email

pytestmark = pytest.mark.e2e

CHALLENGE = (
    'Bearer error="insufficient_user_authentication", error_description="A recent proof of the '
    'password is required: POST /v1/auth/reauthenticate, then retry", max_age="2"'
)


def test_a_stale_session_must_prove_the_password_to_change_the_email(api: Http, runner: Runner) -> None:
    tenant = make_tenant(runner, "Reverify", "--reverification-max-age", "2")
    email = unique_email("reverify")
    created = api("POST", "/v1/users", {"email": email, "password": PASSWORD}, tenant.admin())
    assert created.status == 201, created.body
    # the functions' environments warmed first (a cold start is not what is measured against 2 s)
    warm = bearer(sign_in(api, tenant, email)["access_token"])
    assert api("PATCH", "/v1/auth/me", {"name": "Warm"}, warm).status == 200
    assert api("POST", "/v1/auth/reauthenticate", {"password": PASSWORD}, warm).status == 200

    headers = bearer(sign_in(api, tenant, email)["access_token"])
    at_once = api("PATCH", "/v1/auth/me", {"email": unique_email("first")}, headers)
    assert at_once.status == 200, at_once.body
    time.sleep(3)
    stale = api("PATCH", "/v1/auth/me", {"email": unique_email("second")}, headers)
    assert_error(stale, 403, "reauthentication_required")
    assert stale.header("WWW-Authenticate") == CHALLENGE
    assert api("PATCH", "/v1/auth/me", {"name": "Still fine"}, headers).status == 200  # never asked

    wrong = api("POST", "/v1/auth/reauthenticate", {"password": "Wrong-Password-9"}, headers)
    assert_error(wrong, 401, "invalid_credentials")
    proved = api("POST", "/v1/auth/reauthenticate", {"password": PASSWORD}, headers)
    assert proved.status == 200, proved.body
    changed_to = unique_email("third")
    after = api("PATCH", "/v1/auth/me", {"email": changed_to}, bearer(proved.body["session"]["access_token"]))
    assert after.status == 200, after.body
    assert after.body["pending_email"] == changed_to or after.body["email"] == changed_to
