"""hellojohn.rules.outbox.plan: all one stream record calls for (its event, its history entry, its
SQS jobs), first as a table of records and plans, then each kind of job."""

from typing import Any

import pytest
from hellojohn import actors, records
from hellojohn.rules import outbox

BASE: dict[str, Any] = {
    "PK": "TNT#t#USR#u",
    "SK": "USER",
    "tenant_id": "tnt_1",
    "id": "usr_1",
    "sessions": {},
}


def item(**changes: Any) -> dict[str, Any]:
    return {**BASE, **changes}


def jobs_for(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[outbox.Job]:
    return list(outbox.plan(outbox.Record(old, new)).jobs)


def test_other_items_call_for_nothing() -> None:
    for sk in ("TENANT", "KEY", "EMAIL", "SES#ses_1", "VERIFY"):
        old = {**BASE, "SK": sk, "sessions": {"s1": 1}}
        assert jobs_for(old, {**old, "sessions": {}}) == []


def test_created_user_calls_for_nothing() -> None:
    assert jobs_for(None, item()) == []


def test_a_new_pending_change_is_one_email_job() -> None:
    [job] = jobs_for(item(), item(pending_email="n@example.com", pending_change_id="chg_1"))
    assert job.queue == "email"
    assert job.body == {
        "type": outbox.VERIFY_EMAIL,
        "tenant_id": "tnt_1",
        "user_id": "usr_1",
        "change_id": "chg_1",
    }


def test_a_newer_change_is_another_job() -> None:
    old = item(pending_change_id="chg_1")
    [job] = jobs_for(old, item(pending_change_id="chg_2"))
    assert job.body["change_id"] == "chg_2"


def test_the_same_change_is_not_sent_again() -> None:
    """The worker's own write (the token hash) and unrelated edits keep the change id: no new job."""
    old = item(pending_change_id="chg_1")
    assert jobs_for(old, item(pending_change_id="chg_1", pending_token_hash="h")) == []
    assert jobs_for(old, item(pending_change_id="chg_1", name="Bob")) == []


def test_a_finished_or_cancelled_change_is_nothing() -> None:
    assert jobs_for(item(pending_change_id="chg_1"), item()) == []


def test_removed_sessions_are_one_cleanup_job() -> None:
    old = item(sessions={"ses_b": 1, "ses_a": 2, "ses_keep": 3})
    [job] = jobs_for(old, item(sessions={"ses_keep": 3}))
    assert job.queue == "sessions"
    assert job.body == {
        "type": outbox.DELETE_SESSIONS,
        "tenant_id": "tnt_1",
        "user_id": "usr_1",
        "session_ids": ["ses_a", "ses_b"],
    }


def test_added_sessions_are_nothing() -> None:
    assert jobs_for(item(), item(sessions={"ses_new": 1})) == []


def test_many_removed_sessions_are_chunked() -> None:
    many = {f"ses_{i:05d}": i for i in range(outbox.MAX_SESSIONS_PER_JOB * 2 + 1)}
    found = jobs_for(item(sessions=many), item(sessions={}))
    assert [len(j.body["session_ids"]) for j in found] == [
        outbox.MAX_SESSIONS_PER_JOB,
        outbox.MAX_SESSIONS_PER_JOB,
        1,
    ]
    assert sorted(s for j in found for s in j.body["session_ids"]) == sorted(many)


def test_a_deleted_user_cleans_up_every_session() -> None:
    [job] = jobs_for(item(sessions={"ses_1": 1}), None)
    assert job.body["session_ids"] == ["ses_1"]


def test_one_change_can_call_for_both() -> None:
    old = item(sessions={"ses_1": 1})
    found = jobs_for(old, item(pending_change_id="chg_1"))
    assert sorted(j.queue for j in found) == ["email", "sessions"]


# -- the security notices (docs/NOTICES.md) ---------------------------------------------------------

USER = {
    **BASE,
    "email": "old@example.com",
    "email_key": "old@example.com",
    "password_hash": "h1",
    "updated_at": 5,
}


def stamped(change_id: str, **changes: Any) -> dict[str, Any]:
    return {**USER, "change": {"id": change_id, "actor": "secret_key"}, **changes}


def notices(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    return [j.body for j in jobs_for(old, new) if j.body["type"] == outbox.NOTICE]


def test_a_requested_change_is_told_to_the_current_address() -> None:
    new = stamped("chg_2", pending_email="n@example.com", pending_change_id="chg_p")
    [body] = notices(stamped("chg_1"), new)
    assert body == {
        "type": outbox.NOTICE,
        "tenant_id": "tnt_1",
        "user_id": "usr_1",
        "kind": records.EMAIL_CHANGE_REQUESTED,
        "change_id": "chg_p",
        "to": "old@example.com",
    }


def test_a_changed_address_is_told_to_the_old_one_a_restore_as_restored() -> None:
    new = stamped("chg_2", email="new@example.com", email_key="new@example.com")
    [body] = notices(stamped("chg_1"), new)
    assert (body["kind"], body["change_id"], body["to"], body["new_email"]) == (
        records.EMAIL_CHANGED,
        "chg_2",
        "old@example.com",
        "new@example.com",
    )
    restored = {**new, "change": {"id": "chg_3", "actor": "user", "via": actors.VIA_RESTORE}}
    [body] = notices(stamped("chg_1"), restored)
    assert body["kind"] == records.EMAIL_RESTORED
    recased = stamped("chg_2", email="OLD@example.com")  # the same key: no change of address
    assert notices(stamped("chg_1"), recased) == []


def test_a_password_change_is_told_but_not_a_sign_ins_rehash_nor_a_write_without_a_change() -> None:
    [body] = notices(stamped("chg_1"), stamped("chg_2", password_hash="h2", updated_at=9))
    assert (body["kind"], body["to"], body["at"], body["change_id"]) == (
        records.PASSWORD_CHANGED,
        "old@example.com",
        9,
        "chg_2",
    )
    rehashed = stamped("chg_2", password_hash="h2", sessions={"ses_1": 99})
    assert notices(stamped("chg_1"), rehashed) == []
    same_stamp = stamped("chg_1", password_hash="h2")  # the guess counters keep the item's stamp
    assert notices(stamped("chg_1"), same_stamp) == []
    assert notices(stamped("chg_1"), stamped("chg_2", name="N")) == []


# -- the whole plan of a record: event, history entry, jobs ----------------------------------------

PENDING = {"pending_email": "n@example.com", "pending_change_id": "chg_p"}
SIGNED_IN = {"sessions": {"ses_1": 99}}
TWO_SESSIONS = {"sessions": {"ses_1": 99, "ses_2": 99}}
DELETION = {"deletion_requested_at": 100, "purge_at": 100 + 7 * 86400, "sessions": {}}
RESTORED = {"email": "r@example.com", "email_key": "r@example.com", "sessions": {}}
# (old, new) -> (the event's name or None, the jobs: a job's type, or "notice:<kind>")
PLANS: list[tuple[str, dict[str, Any] | None, dict[str, Any] | None, str | None, list[str]]] = [
    ("a session item", {**USER, "SK": "SES#ses_1"}, None, None, []),
    ("a user created", None, stamped("chg_1"), "user.created", []),
    (
        "an email change asked for",
        stamped("chg_1"),
        stamped("chg_2", **PENDING),
        "user.email_change_requested",
        ["verify_email", "notice:email_change_requested"],
    ),
    (
        "the worker's token on the pending change: no change a consumer sees",
        stamped("chg_2", **PENDING),
        stamped("chg_3", **PENDING, pending_token_hash="h"),
        None,
        [],
    ),
    (
        "a password changed, the other sessions signed out",
        stamped("chg_1", **TWO_SESSIONS),
        stamped("chg_2", password_hash="h2", **SIGNED_IN),
        "user.password_changed",
        ["notice:password_changed", "delete_sessions"],
    ),
    (
        "a sign-in (its rehash is no password change)",
        stamped("chg_1"),
        stamped("chg_2", password_hash="h2", **SIGNED_IN),
        "user.signed_in",
        [],
    ),
    (
        "a wrong password: the guess counters keep the stamp",
        stamped("chg_1"),
        stamped("chg_1", failed_attempts=1),
        None,
        [],
    ),
    (
        "a restore: the address back, every session revoked",
        stamped("chg_1", **SIGNED_IN),
        {
            **stamped("chg_2", **RESTORED),
            "change": {"id": "chg_2", "actor": "user", "via": actors.VIA_RESTORE},
        },
        "user.email_changed",
        ["notice:email_restored", "delete_sessions"],
    ),
    (
        "a deletion with a grace period, every session revoked",
        stamped("chg_1", **SIGNED_IN),
        stamped("chg_2", **DELETION),
        "user.deletion_requested",
        ["notice:deletion_requested", "delete_sessions"],
    ),
    (
        "a deletion to purge at once: no restore deadline to tell",
        stamped("chg_1"),
        stamped("chg_2", deletion_requested_at=100, purge_at=100),
        "user.deletion_requested",
        [],
    ),
    (
        "a user item removed: the purge",
        stamped("chg_1", **SIGNED_IN),
        None,
        "user.deleted",
        ["delete_sessions"],
    ),
]


@pytest.mark.parametrize(("old", "new", "event", "jobs"), [p[1:] for p in PLANS], ids=[p[0] for p in PLANS])
def test_a_record_calls_for_its_event_its_history_entry_and_its_jobs(
    old: dict[str, Any] | None, new: dict[str, Any] | None, event: str | None, jobs: list[str]
) -> None:
    plan = outbox.plan(outbox.Record(old, new, "42", "2026-01-01T00:00:00Z"))
    assert (plan.event.detail_type if plan.event else None) == event
    if plan.event is None:
        assert plan.entry is None  # no event, no history entry
    else:
        assert plan.entry == {"type": plan.event.detail_type, **plan.event.detail}
        assert (plan.event.detail["sequence"], plan.event.detail["time"]) == ("42", "2026-01-01T00:00:00Z")
    found = [
        f"notice:{j.body['kind']}" if j.body["type"] == outbox.NOTICE else j.body["type"] for j in plan.jobs
    ]
    assert found == jobs


def test_a_deletion_with_a_grace_period_tells_its_restore_deadline() -> None:
    [body] = notices(stamped("chg_1"), stamped("chg_2", **DELETION))
    assert (body["kind"], body["to"], body["purge_at"], body["change_id"]) == (
        records.DELETION_REQUESTED,
        "old@example.com",
        DELETION["purge_at"],
        "chg_2",
    )
    again = stamped("chg_3", **DELETION, name="N")  # still pending: told once, when it began
    assert notices(stamped("chg_2", **DELETION), again) == []


def test_only_a_user_items_removal_is_a_purge() -> None:
    assert outbox.plan(outbox.Record(stamped("chg_1"), stamped("chg_2", name="N"))).purge is None
    session = {**USER, "SK": "SES#ses_1"}
    assert outbox.plan(outbox.Record(session, None)).purge is None


def test_the_purge_says_who_purged_and_keeps_its_change_id_on_a_retry() -> None:
    """By DynamoDB's TTL (its userIdentity): the system; at once: whoever asked. The change id
    derives from the record, so a retried record keeps its history entry's key."""
    from hellojohn.rules import purge

    old = stamped("chg_1", **DELETION)
    ttl = outbox.Record(old, None, "42", "2026-01-01T00:00:00Z", 1767225600, purge.TTL_SERVICE)
    plan = outbox.plan(ttl)
    assert plan.purge is not None and plan.event is not None
    assert plan.purge.old == old
    assert (plan.purge.receipt["via"], plan.purge.receipt["purged_by"]) == ("ttl", {"type": "system"})
    assert plan.event.detail["actor"] == {"type": "system"}
    assert (plan.event.detail["before"], plan.event.detail["after"]) == ({}, {})  # ids only
    retried = outbox.plan(ttl).event
    assert retried is not None
    assert plan.event.detail["change_id"] == plan.purge.receipt["change_id"] == retried.detail["change_id"]
    at_once = outbox.plan(outbox.Record(old, None, "43", "2026-01-01T00:00:00Z", 1767225600))
    assert at_once.purge is not None and at_once.purge.receipt["via"] == "at_once"
    assert at_once.purge.receipt["purged_by"] == {"type": "secret_key"}
    assert at_once.event is not None and at_once.event.detail["change_id"] != plan.event.detail["change_id"]
