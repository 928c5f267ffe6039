"""Security notices (docs/NOTICES.md): what each says and to whom, their links (once, and only once,
and not after a newer change), the tenant's switches, and SQS or SES failing once."""

import json
import threading
from types import SimpleNamespace
from typing import Any

import pytest

from tests.conftest import PASSWORD, Api, Clock, Tenant, bearer, make_tenant, sign_in
from tests.handlers.helpers import can_sign_in, create_user, get_user, set_notices_off
from tests.pipeline import Email, Pipeline, failing

NEW_PASSWORD = "Another-Horse-43"
DAY = 24 * 3600
CHANGED = "The email address of your Acme account changed"  # the "email changed" notice


def patch_email(api: Api, tenant: Tenant, uid: str, email: str, **more: Any) -> dict[str, Any]:
    reply = api("PATCH", f"/v1/users/{uid}", {"email": email, **more}, tenant.admin())
    assert reply.status == 200, reply.body
    return dict(reply.body)


def verify(api: Api, tenant: Tenant, token: str) -> Any:
    return api("POST", "/v1/auth/email/verify", {"token": token}, tenant.public())


def cancel(api: Api, tenant: Tenant, token: str) -> Any:
    return api("POST", "/v1/auth/email/cancel", {"token": token}, tenant.public())


def restore(api: Api, tenant: Tenant, token: str) -> Any:
    return api("POST", "/v1/auth/email/restore", {"token": token}, tenant.public())


def notice(pipe: Pipeline, to: str, subject_part: str) -> Email:
    pipe.pump()
    [found] = [m for m in pipe.notices(to) if subject_part in m.subject]
    return found


def change_and_verify(api: Api, tenant: Tenant, pipe: Pipeline, uid: str, email: str) -> None:
    patch_email(api, tenant, uid, email)
    pipe.pump()
    [mail] = pipe.verifications(email)
    assert verify(api, tenant, mail.token).status == 200


def history_types(api: Api, tenant: Tenant, uid: str) -> list[str]:
    reply = api("GET", f"/v1/users/{uid}/events?limit=100", None, tenant.admin())
    assert reply.status == 200, reply.body
    return [e["type"] for e in reply.body["data"]]


# -- "email change requested": to the current address, a masked new address, a cancel link ---------


def test_a_requested_change_tells_the_current_address_masked(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    patch_email(api, tenant, user["id"], "jane.doe@example.com")
    mail = notice(pipe, "alice@example.com", "was requested")
    assert mail.to == ["alice@example.com"]
    assert mail.subject == "A change of your Acme email address was requested"
    assert "j***@e***.com" in mail.body
    assert "jane.doe" not in mail.body  # the new address is never shown whole to the old one
    assert f"https://app.acme.test/cancel-email-change?token={mail.token}" in mail.body
    assert pipe.notices("jane.doe@example.com") == []  # the new address gets the verification only
    assert len(pipe.verifications("jane.doe@example.com")) == 1


def test_a_self_service_change_is_told_too(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    session = sign_in(api, tenant)
    reply = api("PATCH", "/v1/auth/me", {"email": "mine@example.com"}, bearer(session["access_token"]))
    assert reply.status == 200, reply.body
    assert "m***@e***.com" in notice(pipe, "alice@example.com", "was requested").body


def test_the_cancel_link_ends_the_change_once_and_the_verify_link_dies(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    patch_email(api, tenant, user["id"], "intruder@example.com")
    link = notice(pipe, "alice@example.com", "was requested")
    [verification] = pipe.verifications("intruder@example.com")
    done = cancel(api, tenant, link.token)
    assert done.status == 204, done.body
    after = get_user(api, tenant, user["id"])
    assert (after["email"], after["pending_email"]) == ("alice@example.com", None)
    again = cancel(api, tenant, link.token)  # single use
    assert (again.status, again.body["error"]["code"]) == (400, "invalid_request")
    dead = verify(api, tenant, verification.token)
    assert (dead.status, dead.body["error"]["code"]) == (400, "invalid_request")
    assert get_user(api, tenant, user["id"])["email"] == "alice@example.com"
    pipe.pump()
    assert history_types(api, tenant, user["id"])[0] == "user.email_change_cancelled"


def test_a_newer_change_supersedes_the_cancel_link(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    patch_email(api, tenant, user["id"], "first@example.com")
    first = notice(pipe, "alice@example.com", "was requested")
    patch_email(api, tenant, user["id"], "second@example.com")
    pipe.pump()
    second = next(m for m in pipe.notices("alice@example.com") if "s***@" in m.body)
    stale = cancel(api, tenant, first.token)
    assert (stale.status, stale.body["error"]["code"]) == (400, "invalid_request")
    assert get_user(api, tenant, user["id"])["pending_email"] == "second@example.com"
    assert cancel(api, tenant, second.token).status == 204
    assert get_user(api, tenant, user["id"])["pending_email"] is None


def test_a_verified_change_leaves_the_cancel_link_nothing_to_cancel(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    patch_email(api, tenant, user["id"], "kept@example.com")
    link = notice(pipe, "alice@example.com", "was requested")
    [mail] = pipe.verifications("kept@example.com")
    assert verify(api, tenant, mail.token).status == 200
    assert cancel(api, tenant, link.token).status == 400
    assert get_user(api, tenant, user["id"])["email"] == "kept@example.com"


# -- "email changed": to the old address, with a 7-day restore link ----------------------------------


def test_a_completed_change_tells_the_old_address_with_a_restore_link(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    sessions = [sign_in(api, tenant) for _ in range(2)]
    change_and_verify(api, tenant, pipe, user["id"], "bob@example.org")
    mail = notice(pipe, "alice@example.com", CHANGED)
    assert mail.subject == "The email address of your Acme account changed"
    assert "b***@e***.org" in mail.body and "bob@" not in mail.body
    assert f"https://app.acme.test/restore-email?token={mail.token}" in mail.body
    assert pipe.notices("bob@example.org") == []

    done = restore(api, tenant, mail.token)
    assert done.status == 204, done.body
    after = get_user(api, tenant, user["id"])
    assert (after["email"], after["email_verified"], after["pending_email"]) == (
        "alice@example.com",
        True,
        None,
    )
    for s in sessions:  # every session revoked
        me = api("GET", "/v1/auth/me", None, bearer(s["access_token"]))
        assert me.status == 401, me.body
    assert can_sign_in(api, tenant, "alice@example.com") == 200
    assert can_sign_in(api, tenant, "bob@example.org") == 401
    create_user(api, tenant, "bob@example.org")  # the newer address's claim was released
    again = restore(api, tenant, mail.token)  # single use
    assert (again.status, again.body["error"]["code"]) == (400, "invalid_request")

    # the restore is a real change (its events); the address it replaced is told, with no link back
    pipe.pump()
    entries = api("GET", f"/v1/users/{user['id']}/events?limit=100", None, tenant.admin()).body["data"]
    [entry] = [
        e for e in entries if e["type"] == "user.email_changed" and e["after"]["email"] == "alice@example.com"
    ]
    assert entry["changed"] == ["email"]  # verified before and after
    assert (entry["actor"]["type"], entry["actor"]["user_id"]) == ("user", user["id"])
    assert len(entry["sessions"]["revoked"]) == len(sessions)
    back = notice(pipe, "bob@example.org", "was put back")
    assert "a***@e***.com" in back.body and "token=" not in back.body


def test_an_admins_verified_switch_is_told_to_the_old_address(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    patch_email(api, tenant, user["id"], "direct@example.com", email_verified=True)
    mail = notice(pipe, "alice@example.com", CHANGED)
    assert restore(api, tenant, mail.token).status == 204
    assert get_user(api, tenant, user["id"])["email"] == "alice@example.com"


def test_restore_is_refused_when_the_old_address_was_claimed_meanwhile(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    change_and_verify(api, tenant, pipe, user["id"], "moved@example.com")
    mail = notice(pipe, "alice@example.com", CHANGED)
    other = create_user(api, tenant, "alice@example.com")
    before = get_user(api, tenant, user["id"])
    refused = restore(api, tenant, mail.token)
    assert (refused.status, refused.body["error"]["code"]) == (409, "email_taken")
    assert get_user(api, tenant, user["id"]) == before  # nothing changed
    assert can_sign_in(api, tenant, "moved@example.com") == 200
    # the token was not spent: once the address is free again, the same link works
    patch_email(api, tenant, other["id"], "elsewhere@example.com", email_verified=True)
    assert restore(api, tenant, mail.token).status == 204
    assert get_user(api, tenant, user["id"])["email"] == "alice@example.com"


AGAIN = "The email address of your Acme account changed again"  # to an address holding a live link


def thief_change(api: Api, tenant: Tenant, pipe: Pipeline, session: dict[str, Any], email: str) -> None:
    """A change made with a session (stolen or not): PATCH /v1/auth/me, then the emailed link."""
    reply = api("PATCH", "/v1/auth/me", {"email": email}, bearer(session["access_token"]))
    assert reply.status == 200, reply.body
    pipe.pump()
    [mail] = pipe.verifications(email)
    assert verify(api, tenant, mail.token).status == 200


def test_a_thief_cannot_void_the_restore_link(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    """Issue 24: with a stolen session, change to B and verify (the restore link R1 goes to the
    owner's A), then to C and verify (R2 goes to B, the thief's). R1 still restores A, ends the
    thief's session, and voids R2; A heard of the second change too."""
    owner = sign_in(api, tenant)
    thief = sign_in(api, tenant)
    thief_change(api, tenant, pipe, thief, "b@thief.example.net")
    r1 = notice(pipe, "alice@example.com", CHANGED)
    thief_change(api, tenant, pipe, thief, "c@thief.example.net")
    r2 = notice(pipe, "b@thief.example.net", CHANGED)
    told = notice(pipe, "alice@example.com", AGAIN)  # the owner hears of the second step
    assert "c***@t***.net" in told.body and "token=" not in told.body
    assert get_user(api, tenant, user["id"])["email"] == "c@thief.example.net"

    done = restore(api, tenant, r1.token)
    assert done.status == 204, done.body
    after = get_user(api, tenant, user["id"])
    assert (after["email"], after["email_verified"], after["pending_email"]) == (
        "alice@example.com",
        True,
        None,
    )
    for session in (thief, owner):  # every session ended: the thief's first
        me = api("GET", "/v1/auth/me", None, bearer(session["access_token"]))
        assert (me.status, me.error) == (401, "session_revoked"), me.body
        again = api("POST", "/v1/auth/refresh", {"refresh_token": session["refresh_token"]}, tenant.public())
        assert again.status == 401, again.body
    assert can_sign_in(api, tenant, "alice@example.com") == 200
    create_user(api, tenant, "c@thief.example.net")  # the thief's current address was released
    # the thief's own link (sent to B, for the later change) was voided by the owner's restore
    voided = restore(api, tenant, r2.token)
    assert (voided.status, voided.error) == (400, "invalid_request")
    assert get_user(api, tenant, user["id"])["email"] == "alice@example.com"
    pipe.pump()
    assert [m.subject for m in pipe.notices("c@thief.example.net") if "put back" in m.subject]


def test_every_restore_link_stays_usable_whatever_follows(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    """A later link used first (B back, from C) does not void an earlier one: R1 then restores A.
    Changes after it, by an admin or back to an earlier address, do not void it either."""
    change_and_verify(api, tenant, pipe, user["id"], "b@example.com")
    r1 = notice(pipe, "alice@example.com", CHANGED)
    change_and_verify(api, tenant, pipe, user["id"], "c@example.com")
    r2 = notice(pipe, "b@example.com", CHANGED)
    patch_email(api, tenant, user["id"], "d@example.com", email_verified=True)  # an admin's switch
    r3 = notice(pipe, "c@example.com", CHANGED)
    assert restore(api, tenant, r2.token).status == 204  # B back (from D), the link of C -> D voided
    assert get_user(api, tenant, user["id"])["email"] == "b@example.com"
    assert restore(api, tenant, r3.token).error == "invalid_request"
    assert restore(api, tenant, r1.token).status == 204  # the earliest still works
    assert get_user(api, tenant, user["id"])["email"] == "alice@example.com"
    assert can_sign_in(api, tenant, "alice@example.com") == 200
    assert can_sign_in(api, tenant, "b@example.com") == 401


def test_each_further_change_is_told_to_every_live_link_once(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    """A -> B -> C -> D: A holds R1, B holds R2, so the change to D is told to C (with R3), and to
    A and B (no new link). A redelivered job tells no one twice."""
    change_and_verify(api, tenant, pipe, user["id"], "b@example.com")
    change_and_verify(api, tenant, pipe, user["id"], "c@example.com")
    change_and_verify(api, tenant, pipe, user["id"], "d@example.com")
    pipe.pump()
    assert [m.subject for m in pipe.notices("alice@example.com")].count(AGAIN) == 2  # to C, to D
    assert [m.subject for m in pipe.notices("b@example.com")].count(AGAIN) == 1  # to D
    assert [m.subject for m in pipe.notices("c@example.com")].count(CHANGED) == 1
    assert pipe.notices("d@example.com") == []
    # the job of the last change, delivered again: nothing more is sent
    before = len(pipe.notices())
    from hellojohn.rules import notices as rules

    user_now = get_user(api, tenant, user["id"])
    entries = api("GET", f"/v1/users/{user['id']}/events?limit=1", None, tenant.admin()).body["data"]
    job = {
        "type": "notice",
        "tenant_id": tenant.id,
        "user_id": user["id"],
        "kind": "email_changed",
        "change_id": entries[0]["change_id"],
        "to": "c@example.com",
        "new_email": user_now["email"],
    }
    assert rules.deliver(job) == "already sent"
    assert len(pipe.notices()) == before


def test_a_restore_clears_what_a_thief_could_set(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    """The pending change, the wrong-password lock, the verification emails counted this hour."""
    thief = sign_in(api, tenant)
    thief_change(api, tenant, pipe, thief, "b@thief.example.net")
    r1 = notice(pipe, "alice@example.com", CHANGED)
    for i in range(4):  # the hour's verification emails, spent
        body = {"email": f"x{i}@thief.example.net"}
        reply = api("PATCH", "/v1/auth/me", body, bearer(thief["access_token"]))
        assert reply.status == 200, reply.body
    wrong = {"email": "b@thief.example.net", "password": "Not-The-Password-1"}
    codes = [api("POST", "/v1/auth/sign-in", wrong, tenant.public()).error for _ in range(6)]
    assert "too_many_attempts" in codes
    assert restore(api, tenant, r1.token).status == 204
    assert get_user(api, tenant, user["id"])["pending_email"] is None
    assert can_sign_in(api, tenant, "alice@example.com") == 200  # the lock is gone
    owner = sign_in(api, tenant)
    reply = api("PATCH", "/v1/auth/me", {"email": "alice.new@example.com"}, bearer(owner["access_token"]))
    assert reply.status == 200, reply.body  # the thief's hour of emails no longer counts


def test_a_link_added_while_a_restore_runs_is_not_lost_and_is_voided(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker adds a later change's link between the restore's read and its write: the
    restore's condition on the links' version fails, it reads again, and voids that one too."""
    from hellojohn.rules import opaque
    from hellojohn.store import links

    change_and_verify(api, tenant, pipe, user["id"], "b@example.com")
    r1 = notice(pipe, "alice@example.com", CHANGED)
    real = links.get_user_and_restore_links
    late: list[str] = []

    def read_then_race(tid: str, uid: str) -> Any:
        found = real(tid, uid)
        if not late:
            late.append(opaque.new_verification_token()[0])
            expires = next(iter(found[1].links.values()))[1]
            link = links.Link(
                tid, uid, "restore", "chg_" + "9" * 26, "b@example.com", "z@example.com", expires
            )

            def worker() -> None:  # the email worker's write: a thread starts outside the function's role
                links.add_restore_link(opaque.digest(late[0]), link, links.get_restore_links(tid, uid), 0)

            thread = threading.Thread(target=worker)
            thread.start()
            thread.join()
        return found

    monkeypatch.setattr(links, "get_user_and_restore_links", read_then_race)
    assert restore(api, tenant, r1.token).status == 204
    assert get_user(api, tenant, user["id"])["email"] == "alice@example.com"
    assert late and restore(api, tenant, late[0]).error == "invalid_request"  # voided, not lost


def test_a_late_job_of_a_voided_change_tells_without_a_link(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    """A change's notice job arriving after a restore that voided it: sent, with no restore link."""
    from hellojohn.rules import notices as rules

    change_and_verify(api, tenant, pipe, user["id"], "b@example.com")
    r1 = notice(pipe, "alice@example.com", CHANGED)
    assert restore(api, tenant, r1.token).status == 204
    pipe.pump()
    job = {
        "type": "notice",
        "tenant_id": tenant.id,
        "user_id": user["id"],
        "kind": "email_changed",
        "change_id": "chg_00000000000000000000000001",  # older than the restore
        "to": "b@example.com",
        "new_email": "c@example.com",
    }
    assert rules.deliver(job) == "sent"
    [mail] = [m for m in pipe.notices("b@example.com") if m.subject == CHANGED]
    assert "token=" not in mail.body


def test_the_restore_link_expires_after_7_days(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline, clock: Clock
) -> None:
    change_and_verify(api, tenant, pipe, user["id"], "later@example.com")
    mail = notice(pipe, "alice@example.com", CHANGED)
    assert "valid until" in mail.body
    clock.advance(7 * DAY + 1)
    late = restore(api, tenant, mail.token)
    assert (late.status, late.body["error"]["code"]) == (400, "invalid_request")


def test_links_are_refused_by_another_tenant_and_by_the_other_route(
    api: Api, tenant: Tenant, other_tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    change_and_verify(api, tenant, pipe, user["id"], "x@example.com")
    restore_mail = notice(pipe, "alice@example.com", CHANGED)
    patch_email(api, tenant, user["id"], "y@example.com")
    cancel_mail = notice(pipe, "x@example.com", "was requested")
    unknown = restore(api, tenant, "no-such-token")
    for reply in (
        restore(api, other_tenant, restore_mail.token),
        cancel(api, other_tenant, cancel_mail.token),
        cancel(api, tenant, restore_mail.token),
        restore(api, tenant, cancel_mail.token),
    ):
        # no oracle: the same status, code and message as a token that never existed
        assert (reply.status, reply.body["error"]["code"], reply.body["error"]["message"]) == (
            unknown.status,
            unknown.body["error"]["code"],
            unknown.body["error"]["message"],
        )
    assert cancel(api, tenant, cancel_mail.token).status == 204
    assert restore(api, tenant, restore_mail.token).status == 204


# -- "password changed": to the user's address -------------------------------------------------------


def test_a_password_change_is_told_with_its_time(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    pipe.pump()
    assert pipe.notices() == []  # creating a user (with a password) is not a change of it
    session = sign_in(api, tenant)
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    reply = api("POST", "/v1/auth/password/change", body, bearer(session["access_token"]))
    assert reply.status == 200, reply.body
    mail = notice(pipe, "alice@example.com", "password")
    assert mail.subject == "The password of your Acme account changed"
    updated = get_user(api, tenant, user["id"])["updated_at"]
    assert f"was changed at {updated}" in mail.body
    assert "If this was not you" in mail.body
    assert "token=" not in mail.body
    assert can_sign_in(api, tenant, "alice@example.com", NEW_PASSWORD) == 200
    pipe.pump()
    assert len(pipe.notices()) == 1  # signing in (which may rehash) tells nothing


@pytest.mark.parametrize("temporary", [False, True])
def test_an_admins_password_set_is_told(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline, temporary: bool
) -> None:
    reply = api(
        "POST",
        f"/v1/users/{user['id']}/password",
        {"password": NEW_PASSWORD, "temporary": temporary},
        tenant.admin(),
    )
    assert reply.status == 200, reply.body
    assert notice(pipe, "alice@example.com", "password").to == ["alice@example.com"]


# -- the tenant's switches ---------------------------------------------------------------------------


def test_each_notice_can_be_switched_off(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    set_notices_off(tenant.id, ["email_change_requested", "password_changed"])
    patch_email(api, tenant, user["id"], "quiet@example.com")
    api("POST", f"/v1/users/{user['id']}/password", {"password": NEW_PASSWORD}, tenant.admin())
    pipe.pump()
    assert pipe.notices() == []
    assert len(pipe.verifications("quiet@example.com")) == 1  # the verification is no notice
    set_notices_off(tenant.id, ["email_changed"])
    [mail] = pipe.verifications("quiet@example.com")
    assert verify(api, tenant, mail.token).status == 200
    pipe.pump()
    assert pipe.notices() == []
    set_notices_off(tenant.id, [])
    api("POST", f"/v1/users/{user['id']}/password", {"password": PASSWORD}, tenant.admin())
    assert notice(pipe, "quiet@example.com", "password").to == ["quiet@example.com"]


def test_a_switch_applies_to_jobs_already_queued(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    patch_email(api, tenant, user["id"], "queued@example.com")
    pipe.route()
    assert [j["kind"] for j in pipe.peek("EmailQueue", "notice")] == ["email_change_requested"]
    set_notices_off(tenant.id, ["email_change_requested"])
    pipe.pump()
    assert pipe.notices() == []


def test_a_new_tenant_has_every_notice_and_its_link_pages(aws: dict[str, str]) -> None:
    from hellojohn.records import NOTICES
    from hellojohn.rules import tenancy

    made = make_tenant("Initech")
    stored = tenancy.tenant(made.id)
    assert stored is not None and stored.notices == NOTICES
    assert stored.cancel_url_base == "https://app.acme.test/cancel-email-change"
    assert stored.restore_url_base == "https://app.acme.test/restore-email"
    with pytest.raises(ValueError, match="unknown notices"):
        make_tenant("Bad", notices=("email_changed", "weather"))


# -- failures: SES once, SQS once, a job twice --------------------------------------------------------


def test_ses_failing_once_sends_one_notice_whose_link_works(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hellojohn.adapters import mail

    ses = mail.ses()
    real = ses.send_email

    def notices_fail_once(**kwargs: Any) -> Any:
        if kwargs["Destination"]["ToAddresses"] == ["alice@example.com"] and not calls:
            calls.append(kwargs)
            raise failing(1, "SendEmail")()
        return real(**kwargs)

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(ses, "send_email", notices_fail_once)
    patch_email(api, tenant, user["id"], "retry@example.com")
    pipe.route()
    worked = pipe.work("EmailQueue")
    assert len(worked.failed["EmailQueue"]) == 1 and pipe.notices() == []
    pipe.pump()
    [sent] = pipe.notices("alice@example.com")  # one, after the retry
    assert len(calls) == 1
    assert cancel(api, tenant, sent.token).status == 204


def test_sqs_failing_once_at_the_router_loses_nothing_and_sends_nothing_twice(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The record's second job (the notice) is refused: the record is retried, so its first job
    (the verification) is queued again; each email still goes out once."""
    from hellojohn.adapters import jobs

    real = jobs.sqs()
    sent: list[str] = []

    def second_refused(**kwargs: Any) -> Any:
        sent.append(json.loads(kwargs["MessageBody"])["type"])
        if sent == ["verify_email", "notice"]:
            raise failing(1, "SendMessage")()
        return real.send_message(**kwargs)

    pipe.pump()
    monkeypatch.setattr(jobs, "sqs", lambda: SimpleNamespace(send_message=second_refused))
    patch_email(api, tenant, user["id"], "twice@example.com")
    assert pipe.route().router_failures
    pipe.pump()
    assert sent == ["verify_email", "notice", "verify_email", "notice"]
    assert len(pipe.notices("alice@example.com")) == 1
    assert len(pipe.verifications("twice@example.com")) == 1


def test_a_notice_job_delivered_twice_sends_one_email(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    api("POST", f"/v1/users/{user['id']}/password", {"password": NEW_PASSWORD}, tenant.admin())
    pipe.route()
    [job] = pipe.peek("EmailQueue", "notice")
    pipe.pump()
    pipe.sqs.send_message(QueueUrl=pipe.queue_url("EmailQueue"), MessageBody=json.dumps(job))
    pipe.pump()
    assert len(pipe.notices("alice@example.com")) == 1


# -- the notices' bookkeeping is no change ------------------------------------------------------------


def test_the_notices_writes_are_no_event_and_no_history(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    patch_email(api, tenant, user["id"], "n@example.com")
    api("POST", f"/v1/users/{user['id']}/password", {"password": NEW_PASSWORD}, tenant.admin())
    pipe.pump()
    assert len(pipe.notices()) == 2  # their tokens and sent markers were written
    assert history_types(api, tenant, user["id"]) == [
        "user.password_changed",
        "user.email_change_requested",
        "user.created",
    ]


def _legacy_pointer(tid: str, uid: str, token: str, change_id: str, expires: int) -> None:
    """A restore link as the code before issue 24 stored it: the token, and a pointer naming it."""
    import boto3
    from hellojohn.config import settings
    from hellojohn.rules import opaque
    from hellojohn.store import keys, links

    link = links.Link(tid, uid, links.RESTORE, change_id, "alice@example.com", "b@example.com", expires)
    links.put_link(opaque.digest(token), link)
    item = {
        "token_hash": {"S": opaque.digest(token)},
        "change_id": {"S": change_id},
        "ttl": {"N": str(expires)},
    }
    boto3.client("dynamodb").put_item(
        TableName=settings().table_name, Item={**keys.restore_links(tid, uid), **item}
    )


@pytest.mark.parametrize("then_a_change", [False, True])
def test_a_restore_link_made_before_the_upgrade_still_works(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline, then_a_change: bool
) -> None:
    """The pointer the earlier code kept is read as a one-link set: its link restores, and a new
    change's link is added beside it (not refused by the old item)."""
    from hellojohn.rules import opaque

    change_and_verify(api, tenant, pipe, user["id"], "b@example.com")
    pipe.pump()
    from hellojohn.store import links

    links_now = links.get_restore_links(tenant.id, user["id"])
    expires = next(iter(links_now.links.values()))[1]
    old = opaque.new_verification_token()[0]
    _legacy_pointer(tenant.id, user["id"], old, "chg_" + "0" * 25 + "1", expires)
    if then_a_change:
        change_and_verify(api, tenant, pipe, user["id"], "c@example.com")
        newer = notice(pipe, "b@example.com", CHANGED)
        assert "token=" in newer.body  # the new link was issued over the old pointer
    assert restore(api, tenant, old).status == 204
    assert get_user(api, tenant, user["id"])["email"] == "alice@example.com"
