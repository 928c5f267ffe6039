"""Verification emails are throttled per user and per target address (finding 4): 5 in a clock
hour each, then 429 too_many_attempts with Retry-After, and nothing is sent or changed.

Before: a signed-in user alternating PATCH /v1/auth/me {"email": …} between two addresses sent
an email per request, to any address."""

from typing import Any

from tests.conftest import Api, Clock, Tenant, bearer, sign_in
from tests.handlers.helpers import create_user
from tests.pipeline import Pipeline
from tests.security.helpers import assert_error


def _me(api: Api, token: str, email: str) -> Any:
    return api("PATCH", "/v1/auth/me", {"email": email}, bearer(token))


def test_one_user_alternating_two_addresses(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline, clock: Clock
) -> None:
    clock.advance(3600 - clock.time() % 3600 + 10)  # at the start of a clock hour
    token = sign_in(api, tenant)["access_token"]
    for i in range(5):
        assert _me(api, token, f"target{i % 2}@example.org").status == 200
    pipe.pump()
    sent = len(pipe.emails())
    before = api("GET", "/v1/auth/me", headers=bearer(token))
    refused = _me(api, token, "target2@example.org")
    assert_error(refused, 429, "too_many_attempts")
    assert 3500 <= int(refused.headers["Retry-After"]) <= 3600
    after = api("GET", "/v1/auth/me", headers=bearer(token))
    assert after.body == before.body and after.headers["ETag"] == before.headers["ETag"]  # unchanged
    pipe.pump()
    assert len(pipe.emails()) == sent  # nothing sent
    # the admin PATCH counts for the same user too
    admin = api("PATCH", f"/v1/users/{user['id']}", {"email": "target3@example.org"}, tenant.admin())
    assert_error(admin, 429, "too_many_attempts")
    clock.advance(3600)  # the next hour
    token = sign_in(api, tenant)["access_token"]
    assert _me(api, token, "target4@example.org").status == 200


def test_one_address_targeted_by_many_users(api: Api, tenant: Tenant, pipe: Pipeline, clock: Clock) -> None:
    clock.advance(3600 - clock.time() % 3600 + 10)
    victim = "victim@example.org"
    tokens = []
    for i in range(6):
        create_user(api, tenant, f"sender{i}@example.com")
        tokens.append(sign_in(api, tenant, f"sender{i}@example.com")["access_token"])
    for token in tokens[:5]:
        assert _me(api, token, victim).status == 200
    pipe.pump()
    assert len(pipe.emails(victim)) == 5
    refused = _me(api, tokens[5], victim)
    assert_error(refused, 429, "too_many_attempts")
    assert api("GET", "/v1/auth/me", headers=bearer(tokens[5])).body["pending_email"] is None
    pipe.pump()
    assert len(pipe.emails(victim)) == 5
    assert _me(api, tokens[5], "elsewhere@example.org").status == 200  # another address: fine


def test_recasing_ones_own_address_sends_nothing_and_counts_nothing(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    token = sign_in(api, tenant)["access_token"]
    for _ in range(8):
        assert _me(api, token, "Alice@Example.com").status == 200
