"""Issue 3 end to end: an email change goes through the stream, SQS, the email worker and SES, and
the link in the email is what makes the new address active."""

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import PASSWORD, Tenant
from tests.e2e.conftest import (
    Http,
    Runner,
    UserFactory,
    assert_error,
    bearer,
    sign_in,
    unique_email,
    wait_for_email,
)

pytestmark = pytest.mark.e2e
LINK = re.compile(r"https?://[^\s<>\"']+")


def _signs_in(api: Http, tenant: Tenant, email: str, password: str = PASSWORD) -> int:
    return api("POST", "/v1/auth/sign-in", {"email": email, "password": password}, tenant.public()).status


def test_admin_email_change_is_confirmed_by_the_emailed_link(
    api: Http, runner: Runner, demo: Tenant, create_user: UserFactory
) -> None:
    old, new = unique_email("old"), unique_email("new")
    user = create_user(demo, old)

    changed = api("PATCH", f"/v1/users/{user['id']}", {"email": new}, demo.admin())
    assert changed.status == 200, changed.body
    assert changed.body["email"] == old and changed.body["pending_email"] == new
    assert _signs_in(api, demo, old) == 200
    assert _signs_in(api, demo, new) == 401

    [email] = wait_for_email(api, new)
    assert set(email) == {"to", "subject", "text", "html", "sent_at"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", email["sent_at"])
    link = LINK.search(email["text"])
    assert link, email["text"]
    assert link.group(0).startswith(f"{runner.api_url}/verify-email?")
    token = parse_qs(urlsplit(link.group(0)).query)["token"][0]
    assert token in email["html"]

    page = api("GET", f"/verify-email?token={token}")  # what the browser opens: a page that posts the token
    assert page.status == 200 and "text/html" in (page.header("Content-Type") or "")
    assert token in page.body and "/v1/auth/email/verify" in page.body

    verified = api("POST", "/v1/auth/email/verify", {"token": token}, demo.public())
    assert verified.status == 200, verified.body
    assert verified.body["email"] == new and verified.body["email_verified"] is True
    assert verified.body["pending_email"] is None
    assert _signs_in(api, demo, new) == 200
    assert _signs_in(api, demo, old) == 401

    assert_error(
        api("POST", "/v1/auth/email/verify", {"token": token}, demo.public()), 400, "invalid_request"
    )
    read = api("GET", f"/v1/users/{user['id']}", headers=demo.admin())
    assert read.body["email"] == new and read.body["email_verified"] is True


def test_the_emails_list_is_oldest_first_and_local_only(
    api: Http, demo: Tenant, create_user: UserFactory
) -> None:
    first, second = unique_email("first"), unique_email("second")
    a, b = create_user(demo), create_user(demo)
    assert api("PATCH", f"/v1/users/{a['id']}", {"email": first}, demo.admin()).status == 200
    wait_for_email(api, first)
    assert api("PATCH", f"/v1/users/{b['id']}", {"email": second}, demo.admin()).status == 200
    wait_for_email(api, second)
    listed = [e["to"] for e in api("GET", "/_local/emails").body]
    assert listed.index(first) < listed.index(second)


def test_a_failed_transaction_does_not_stop_the_stream(
    api: Http, demo: Tenant, create_user: UserFactory
) -> None:
    """The second sign-out with one token is a cancelled transaction, after which moto puts back a
    copy of the table: the runner's stream poller must follow it, or no email is ever sent again."""
    user = create_user(demo)
    session = sign_in(api, demo, user["email"])
    assert api("POST", "/v1/auth/sign-out", headers=bearer(session["access_token"])).status == 204
    assert api("POST", "/v1/auth/sign-out", headers=bearer(session["access_token"])).status == 401
    new = unique_email("after-swap")
    assert api("PATCH", f"/v1/users/{user['id']}", {"email": new}, demo.admin()).status == 200
    [email] = wait_for_email(api, new)
    token = parse_qs(urlsplit(LINK.search(email["text"]).group(0)).query)["token"][0]  # type: ignore[union-attr]
    assert api("POST", "/v1/auth/email/verify", {"token": token}, demo.public()).status == 200


def test_the_change_is_an_eventbridge_event_at_local_events(
    api: Http, demo: Tenant, create_user: UserFactory
) -> None:
    """The seed's admin PATCH with a new email: `/_local/events` lists what the bus delivered."""
    user = create_user(demo, unique_email("events"))
    new = unique_email("events-new")
    changed = api("PATCH", f"/v1/users/{user['id']}", {"email": new, "name": "Alice J. Smith"}, demo.admin())
    assert changed.status == 200, changed.body
    deadline = time.monotonic() + 10
    while True:
        events = api("GET", "/_local/events").body
        mine = [e for e in events if e["detail"]["user_id"] == user["id"]]
        if len(mine) == 2 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert [e["detail-type"] for e in mine] == ["user.created", "user.email_change_requested"]
    requested = mine[1]
    assert requested["source"] == "hellojohn.users"
    assert requested["detail"]["actor"]["type"] == "secret_key"
    assert requested["detail"]["request_id"] == changed.header("X-Request-ID")
    assert requested["detail"]["changed"] == ["pending_email", "name"]
    assert requested["detail"]["after"] == {"pending_email": new, "name": "Alice J. Smith"}


def _token(link_text: str, page: str) -> str:
    link = LINK.search(link_text)
    assert link, link_text
    assert f"/{page}?" in link.group(0), link.group(0)
    return parse_qs(urlsplit(link.group(0)).query)["token"][0]


def test_the_seed_patch_leaves_a_notice_to_the_old_address_whose_page_cancels(
    api: Http, runner: Runner, demo: Tenant, create_user: UserFactory
) -> None:
    """The seed's admin PATCH (README): the old address has the "change requested" notice at
    /_local/emails; its link opens the runner's cancel page, which posts the token."""
    old, new = unique_email("seed-old"), unique_email("seed-new")
    user = create_user(demo, old)
    body = {"name": "Alice J. Smith", "email": new, "phone_number": "+14155552671", "role": "admin"}
    assert api("PATCH", f"/v1/users/{user['id']}", body, demo.admin()).status == 200
    [notice] = wait_for_email(api, old, "was requested")
    assert new not in notice["text"] and new not in notice["html"]  # masked
    token = _token(notice["text"], "cancel-email-change")
    assert LINK.search(notice["text"]).group(0).startswith(runner.api_url)  # type: ignore[union-attr]
    page = api("GET", f"/cancel-email-change?token={token}")
    assert page.status == 200 and "text/html" in (page.header("Content-Type") or "")
    assert token in page.body and "/v1/auth/email/cancel" in page.body
    assert api("POST", "/v1/auth/email/cancel", {"token": token}, demo.public()).status == 204
    assert_error(
        api("POST", "/v1/auth/email/cancel", {"token": token}, demo.public()), 400, "invalid_request"
    )
    [verification] = wait_for_email(api, new)
    dead = api(
        "POST",
        "/v1/auth/email/verify",
        {"token": _token(verification["text"], "verify-email")},
        demo.public(),
    )
    assert_error(dead, 400, "invalid_request")
    assert api("GET", f"/v1/users/{user['id']}", headers=demo.admin()).body["pending_email"] is None


def test_a_completed_change_leaves_a_notice_whose_page_restores(
    api: Http, demo: Tenant, create_user: UserFactory
) -> None:
    old, new = unique_email("restore-old"), unique_email("restore-new")
    user = create_user(demo, old)
    session = sign_in(api, demo, old)
    assert (
        api("PATCH", f"/v1/users/{user['id']}", {"email": new, "email_verified": True}, demo.admin()).status
        == 200
    )
    [notice] = wait_for_email(api, old, "changed")
    token = _token(notice["text"], "restore-email")
    page = api("GET", f"/restore-email?token={token}")
    assert page.status == 200 and token in page.body and "/v1/auth/email/restore" in page.body
    assert api("POST", "/v1/auth/email/restore", {"token": token}, demo.public()).status == 204
    read = api("GET", f"/v1/users/{user['id']}", headers=demo.admin()).body
    assert (read["email"], read["email_verified"]) == (old, True)
    assert api("GET", "/v1/auth/me", headers=bearer(session["access_token"])).status == 401  # revoked
    assert _signs_in(api, demo, old) == 200
    [told] = wait_for_email(api, new, "put back")
    assert "token=" not in told["text"]


def test_a_password_change_leaves_a_notice(api: Http, demo: Tenant, create_user: UserFactory) -> None:
    user = create_user(demo)
    reply = api("POST", f"/v1/users/{user['id']}/password", {"password": "Another-Horse-43"}, demo.admin())
    assert reply.status == 200, reply.body
    [notice] = wait_for_email(api, user["email"], "password")
    assert "If this was not you" in notice["text"]
