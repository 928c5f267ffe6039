"""Email change, both callers: pending_email, a verification email (SES, through the stream and SQS),
POST /v1/auth/email/verify, and the admin's "email_verified": true shortcut."""

from typing import Any

import pytest

from tests.conftest import Api, Clock, Tenant, bearer, sign_in
from tests.handlers.conftest import SENDER
from tests.handlers.helpers import can_sign_in, create_user, get_user
from tests.pipeline import Pipeline

HOURS = 3600


def change_email(api: Api, tenant: Tenant, uid: str, email: str, **extra: Any) -> Any:
    reply = api("PATCH", f"/v1/users/{uid}", {"email": email, **extra}, tenant.admin())
    assert reply.status == 200, reply.body
    return reply.body


def verify(api: Api, tenant: Tenant, token: str) -> Any:
    return api("POST", "/v1/auth/email/verify", {"token": token}, tenant.public())


def the_email_to(pipe: Pipeline, address: str) -> Any:
    pipe.pump()
    [mail] = pipe.emails(address)
    return mail


def test_seed_admin_change_end_to_end(api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline) -> None:
    body = {
        "name": "Alice J. Smith",
        "email": "alice.new@example.com",
        "phone_number": "+14155552671",
        "role": "admin",
    }
    reply = api("PATCH", f"/v1/users/{user['id']}", body, tenant.admin())
    assert reply.status == 200, reply.body
    assert (reply.body["email"], reply.body["pending_email"]) == (
        "alice@example.com",
        "alice.new@example.com",
    )

    # until the link is used: the old address signs in, the new one does not
    assert can_sign_in(api, tenant, "alice@example.com") == 200
    assert can_sign_in(api, tenant, "alice.new@example.com") == 401

    mail = the_email_to(pipe, "alice.new@example.com")
    assert mail.to == ["alice.new@example.com"]
    assert mail.source == SENDER
    assert "https://app.acme.test/verify-email?token=" in mail.body
    assert len(pipe.verifications()) == 1  # nothing twice
    [notice] = pipe.notices()  # the old address is told, with a link that cancels (test_notices.py)
    assert notice.to == ["alice@example.com"]

    verified = verify(api, tenant, mail.token)
    assert verified.status == 200, verified.body
    assert verified.body["email"] == "alice.new@example.com"
    assert verified.body["email_verified"] is True
    assert verified.body["pending_email"] is None
    assert "private_metadata" not in verified.body

    after = get_user(api, tenant, user["id"])
    assert (after["email"], after["pending_email"], after["email_verified"]) == (
        "alice.new@example.com",
        None,
        True,
    )
    assert (after["name"], after["phone_number"], after["role"]) == (
        "Alice J. Smith",
        "+14155552671",
        "admin",
    )
    assert can_sign_in(api, tenant, "alice.new@example.com") == 200
    assert can_sign_in(api, tenant, "alice@example.com") == 401
    # the old address is free again in the tenant; the new one is taken
    assert api("POST", "/v1/users", {"email": "alice@example.com"}, tenant.admin()).status == 201
    assert api("POST", "/v1/users", {"email": "Alice.New@example.com"}, tenant.admin()).error == "email_taken"


def test_self_service_change_end_to_end(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    session = sign_in(api, tenant)
    reply = api("PATCH", "/v1/auth/me", {"email": "me@example.org"}, bearer(session["access_token"]))
    assert reply.status == 200, reply.body
    assert reply.body["pending_email"] == "me@example.org"
    # the session that asked keeps working while the change is pending
    assert (
        api("GET", "/v1/auth/me", headers=bearer(session["access_token"])).body["email"]
        == "alice@example.com"
    )
    mail = the_email_to(pipe, "me@example.org")
    assert verify(api, tenant, mail.token).status == 200
    me = api("GET", "/v1/auth/me", headers=bearer(session["access_token"]))
    assert me.status == 200
    assert (me.body["email"], me.body["pending_email"], me.body["email_verified"]) == (
        "me@example.org",
        None,
        True,
    )


def test_token_is_single_use(api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline) -> None:
    change_email(api, tenant, user["id"], "once@example.com")
    mail = the_email_to(pipe, "once@example.com")
    assert verify(api, tenant, mail.token).status == 200
    again = verify(api, tenant, mail.token)
    assert again.status == 400, again.body
    assert again.error == "invalid_request"
    assert get_user(api, tenant, user["id"])["email"] == "once@example.com"


def test_token_expires_after_48_hours(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline, clock: Clock
) -> None:
    change_email(api, tenant, user["id"], "late@example.com")
    mail = the_email_to(pipe, "late@example.com")
    clock.advance(48 * HOURS + 1)
    reply = verify(api, tenant, mail.token)
    assert reply.status == 400, reply.body
    after = get_user(api, tenant, user["id"])
    assert (after["email"], after["pending_email"]) == ("alice@example.com", "late@example.com")


def test_token_works_until_just_before_48_hours(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline, clock: Clock
) -> None:
    change_email(api, tenant, user["id"], "intime@example.com")
    mail = the_email_to(pipe, "intime@example.com")
    clock.advance(48 * HOURS - 60)
    reply = verify(api, tenant, mail.token)
    assert reply.status == 200, reply.body
    assert reply.body["email"] == "intime@example.com"


def test_newer_change_supersedes_the_older_link(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    change_email(api, tenant, user["id"], "first@example.com")
    first = the_email_to(pipe, "first@example.com")
    change_email(api, tenant, user["id"], "second@example.com")
    second = the_email_to(pipe, "second@example.com")
    assert first.token != second.token

    stale = verify(api, tenant, first.token)
    assert stale.status == 400, stale.body
    assert get_user(api, tenant, user["id"])["pending_email"] == "second@example.com"

    assert verify(api, tenant, second.token).status == 200
    assert get_user(api, tenant, user["id"])["email"] == "second@example.com"
    assert can_sign_in(api, tenant, "first@example.com") == 401


def test_change_made_before_the_email_is_sent_sends_only_the_latest(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    """Two changes before the worker runs: the first job finds its change superseded and sends nothing."""
    change_email(api, tenant, user["id"], "early@example.com")
    change_email(api, tenant, user["id"], "latest@example.com")
    pipe.pump()
    assert [m.to for m in pipe.verifications()] == [["latest@example.com"]]


def test_email_taken_at_request_is_409(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    create_user(api, tenant, "bob@example.com")
    before = get_user(api, tenant, user["id"])
    reply = api("PATCH", f"/v1/users/{user['id']}", {"email": "BOB@example.com"}, tenant.admin())
    assert reply.status == 409
    assert reply.error == "email_taken"
    assert get_user(api, tenant, user["id"]) == before
    pipe.pump()
    assert pipe.emails() == []


def test_email_taken_between_request_and_verification_is_409(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    change_email(api, tenant, user["id"], "contested@example.com")
    mail = the_email_to(pipe, "contested@example.com")
    create_user(api, tenant, "Contested@Example.com")  # someone else takes the address meanwhile

    reply = verify(api, tenant, mail.token)
    assert reply.status == 409, reply.body
    assert reply.error == "email_taken"
    after = get_user(api, tenant, user["id"])
    assert after["email"] == "alice@example.com"
    assert can_sign_in(api, tenant, "alice@example.com") == 200


def test_admin_email_verified_true_switches_at_once_and_sends_no_verification(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    body = change_email(api, tenant, user["id"], "direct@example.com", email_verified=True)
    assert (body["email"], body["pending_email"], body["email_verified"]) == (
        "direct@example.com",
        None,
        True,
    )
    assert get_user(api, tenant, user["id"]) == body
    assert can_sign_in(api, tenant, "direct@example.com") == 200
    assert can_sign_in(api, tenant, "alice@example.com") == 401
    pipe.pump()
    assert pipe.verifications() == []
    assert [m.to for m in pipe.notices()] == [["alice@example.com"]]  # the "email changed" notice
    assert api("POST", "/v1/users", {"email": "alice@example.com"}, tenant.admin()).status == 201


def test_admin_switch_cancels_a_pending_change(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    change_email(api, tenant, user["id"], "pending@example.com")
    mail = the_email_to(pipe, "pending@example.com")
    body = change_email(api, tenant, user["id"], "forced@example.com", email_verified=True)
    assert (body["email"], body["pending_email"]) == ("forced@example.com", None)
    assert verify(api, tenant, mail.token).status == 400
    assert get_user(api, tenant, user["id"])["email"] == "forced@example.com"


def test_admin_switch_to_a_taken_address_is_409(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    create_user(api, tenant, "bob@example.com")
    reply = api(
        "PATCH",
        f"/v1/users/{user['id']}",
        {"email": "bob@example.com", "email_verified": True},
        tenant.admin(),
    )
    assert reply.status == 409
    assert reply.error == "email_taken"
    assert get_user(api, tenant, user["id"])["email"] == "alice@example.com"


def test_email_verified_false_with_email_still_verifies(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    body = change_email(api, tenant, user["id"], "slow@example.com", email_verified=False)
    assert (body["email"], body["pending_email"]) == ("alice@example.com", "slow@example.com")
    assert len(pipe.emails()) == 0
    the_email_to(pipe, "slow@example.com")


def test_same_address_recased_is_not_a_change(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    body = change_email(api, tenant, user["id"], "Alice@Example.com")
    assert body["pending_email"] is None
    assert body["email"] == "Alice@example.com"
    pipe.pump()
    assert pipe.emails() == []
    assert can_sign_in(api, tenant, "alice@example.com") == 200


def test_returning_to_the_current_address_cancels_the_pending_change(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    change_email(api, tenant, user["id"], "maybe@example.com")
    mail = the_email_to(pipe, "maybe@example.com")
    body = change_email(api, tenant, user["id"], "alice@example.com")
    assert body["pending_email"] is None
    assert verify(api, tenant, mail.token).status == 400
    assert get_user(api, tenant, user["id"])["email"] == "alice@example.com"


def test_a_cancelled_change_leaves_no_pending_attribute_on_the_item(
    api: Api, tenant: Tenant, user: dict[str, Any], aws: dict[str, str]
) -> None:
    """Every attribute a change sets is removed when it ends (`records.PENDING_FIELDS`, one list:
    `pending_requested_at` was once missing from the list the cancellation removed)."""
    import boto3
    from hellojohn.store import keys

    change_email(api, tenant, user["id"], "maybe@example.com")
    change_email(api, tenant, user["id"], "alice@example.com")
    item = boto3.client("dynamodb").get_item(TableName=aws["Table"], Key=keys.user(tenant.id, user["id"]))[
        "Item"
    ]
    assert [name for name in item if name.startswith("pending_")] == []


def test_sender_and_link_come_from_the_tenants_settings(api: Api, pipe: Pipeline) -> None:
    from hellojohn.rules import provisioning

    made = provisioning.create_tenant(
        "Globex",
        live=False,
        email_from="accounts@globex.example.com",
        verify_url_base="https://globex.example.com/confirm?src=mail",
    )
    globex = Tenant(made.tenant.id, made.secret_key, made.publishable_key)
    Pipeline.verify_sender("accounts@globex.example.com")
    hank = create_user(api, globex, "hank@globex.example.com")
    change_email(api, globex, hank["id"], "hank.new@globex.example.com")
    mail = the_email_to(pipe, "hank.new@globex.example.com")
    assert mail.source == "accounts@globex.example.com"
    assert "Globex" in mail.subject
    assert f"https://globex.example.com/confirm?src=mail&amp;token={mail.token}" in mail.body
    assert verify(api, globex, mail.token).status == 200


def test_token_of_one_tenant_does_not_verify_in_another(
    api: Api, tenant: Tenant, other_tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    change_email(api, tenant, user["id"], "cross@example.com")
    mail = the_email_to(pipe, "cross@example.com")
    assert verify(api, other_tenant, mail.token).status == 400
    assert verify(api, tenant, mail.token).status == 200


@pytest.mark.parametrize("token", ["", "x" * 600, "not-a-token", "A" * 43])
def test_bad_tokens_are_refused(api: Api, tenant: Tenant, user: dict[str, Any], token: str) -> None:
    reply = verify(api, tenant, token)
    assert reply.status in (400, 422), reply.body
    assert get_user(api, tenant, user["id"])["email"] == "alice@example.com"


def test_verify_needs_the_publishable_key(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    change_email(api, tenant, user["id"], "keyed@example.com")
    mail = the_email_to(pipe, "keyed@example.com")
    assert api("POST", "/v1/auth/email/verify", {"token": mail.token}).status == 401
    assert api("POST", "/v1/auth/email/verify", {"token": mail.token}, tenant.admin()).status == 403
    assert get_user(api, tenant, user["id"])["pending_email"] == "keyed@example.com"
    assert verify(api, tenant, mail.token).status == 200


def test_no_secret_in_responses(api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline) -> None:
    change_email(api, tenant, user["id"], "secretive@example.com")
    mail = the_email_to(pipe, "secretive@example.com")
    shown = repr(get_user(api, tenant, user["id"]))
    assert mail.token not in shown
    for hidden in ("password_hash", "pending_token_hash", "pending_change_id", "sessions", "version"):
        assert hidden not in shown
