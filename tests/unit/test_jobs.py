"""hellojohn.adapters.jobs.for_change: which SQS jobs a committed change of a user item calls for."""

from typing import Any

from hellojohn.adapters import jobs

BASE: dict[str, Any] = {
    "PK": "TNT#t#USR#u",
    "SK": "USER",
    "tenant_id": "tnt_1",
    "id": "usr_1",
    "sessions": {},
}


def item(**changes: Any) -> dict[str, Any]:
    return {**BASE, **changes}


def test_other_items_call_for_nothing() -> None:
    for sk in ("TENANT", "KEY", "EMAIL", "SES#ses_1", "VERIFY"):
        old = {**BASE, "SK": sk, "sessions": {"s1": 1}}
        assert jobs.for_change(old, {**old, "sessions": {}}) == []


def test_created_user_calls_for_nothing() -> None:
    assert jobs.for_change(None, item()) == []


def test_a_new_pending_change_is_one_email_job() -> None:
    [job] = jobs.for_change(item(), item(pending_email="n@example.com", pending_change_id="chg_1"))
    assert job.queue == "email"
    assert job.body == {
        "type": jobs.VERIFY_EMAIL,
        "tenant_id": "tnt_1",
        "user_id": "usr_1",
        "change_id": "chg_1",
    }


def test_a_newer_change_is_another_job() -> None:
    old = item(pending_change_id="chg_1")
    [job] = jobs.for_change(old, item(pending_change_id="chg_2"))
    assert job.body["change_id"] == "chg_2"


def test_the_same_change_is_not_sent_again() -> None:
    """The worker's own write (the token hash) and unrelated edits keep the change id: no new job."""
    old = item(pending_change_id="chg_1")
    assert jobs.for_change(old, item(pending_change_id="chg_1", pending_token_hash="h")) == []
    assert jobs.for_change(old, item(pending_change_id="chg_1", name="Bob")) == []


def test_a_finished_or_cancelled_change_is_nothing() -> None:
    assert jobs.for_change(item(pending_change_id="chg_1"), item()) == []


def test_removed_sessions_are_one_cleanup_job() -> None:
    old = item(sessions={"ses_b": 1, "ses_a": 2, "ses_keep": 3})
    [job] = jobs.for_change(old, item(sessions={"ses_keep": 3}))
    assert job.queue == "sessions"
    assert job.body == {
        "type": jobs.DELETE_SESSIONS,
        "tenant_id": "tnt_1",
        "user_id": "usr_1",
        "session_ids": ["ses_a", "ses_b"],
    }


def test_added_sessions_are_nothing() -> None:
    assert jobs.for_change(item(), item(sessions={"ses_new": 1})) == []


def test_many_removed_sessions_are_chunked() -> None:
    many = {f"ses_{i:05d}": i for i in range(jobs.MAX_SESSIONS_PER_JOB * 2 + 1)}
    found = jobs.for_change(item(sessions=many), item(sessions={}))
    assert [len(j.body["session_ids"]) for j in found] == [
        jobs.MAX_SESSIONS_PER_JOB,
        jobs.MAX_SESSIONS_PER_JOB,
        1,
    ]
    assert sorted(s for j in found for s in j.body["session_ids"]) == sorted(many)


def test_a_deleted_user_cleans_up_every_session() -> None:
    [job] = jobs.for_change(item(sessions={"ses_1": 1}), None)
    assert job.body["session_ids"] == ["ses_1"]


def test_one_change_can_call_for_both() -> None:
    old = item(sessions={"ses_1": 1})
    found = jobs.for_change(old, item(pending_change_id="chg_1"))
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
    return [j.body for j in jobs.for_change(old, new) if j.body["type"] == jobs.NOTICE]


def test_a_requested_change_is_told_to_the_current_address() -> None:
    new = stamped("chg_2", pending_email="n@example.com", pending_change_id="chg_p")
    [body] = notices(stamped("chg_1"), new)
    assert body == {
        "type": jobs.NOTICE,
        "tenant_id": "tnt_1",
        "user_id": "usr_1",
        "kind": jobs.EMAIL_CHANGE_REQUESTED,
        "change_id": "chg_p",
        "to": "old@example.com",
    }


def test_a_changed_address_is_told_to_the_old_one_a_restore_as_restored() -> None:
    new = stamped("chg_2", email="new@example.com", email_key="new@example.com")
    [body] = notices(stamped("chg_1"), new)
    assert (body["kind"], body["change_id"], body["to"], body["new_email"]) == (
        jobs.EMAIL_CHANGED,
        "chg_2",
        "old@example.com",
        "new@example.com",
    )
    restored = {**new, "change": {"id": "chg_3", "actor": "user", "via": jobs.RESTORE}}
    [body] = notices(stamped("chg_1"), restored)
    assert body["kind"] == jobs.EMAIL_RESTORED
    recased = stamped("chg_2", email="OLD@example.com")  # the same key: no change of address
    assert notices(stamped("chg_1"), recased) == []


def test_a_password_change_is_told_but_not_a_sign_ins_rehash_nor_a_write_without_a_change() -> None:
    [body] = notices(stamped("chg_1"), stamped("chg_2", password_hash="h2", updated_at=9))
    assert (body["kind"], body["to"], body["at"], body["change_id"]) == (
        jobs.PASSWORD_CHANGED,
        "old@example.com",
        9,
        "chg_2",
    )
    rehashed = stamped("chg_2", password_hash="h2", sessions={"ses_1": 99})
    assert notices(stamped("chg_1"), rehashed) == []
    same_stamp = stamped("chg_1", password_hash="h2")  # the guess counters keep the item's stamp
    assert notices(stamped("chg_1"), same_stamp) == []
    assert notices(stamped("chg_1"), stamped("chg_2", name="N")) == []
