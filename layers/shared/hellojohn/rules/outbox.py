"""The outbox: what one record of the table's stream calls for, decided in one place, and its doing.

The table's stream is the outbox: a committed change of a user item becomes work done after the
request that made it, never inside it. `plan` decides, for one stream record, all it calls for:

- its change event (`rules.change_events` builds it) and the history entry that keeps it
  (`rules.history`): only for a write that made a change of its own (`own_stamp`);
- its SQS jobs, in order: the verification email of a new pending change (`VERIFY_EMAIL`), the
  security notices (`NOTICE`, docs/NOTICES.md: an email change asked for, an address changed, a
  password changed, a deletion requested), the deletion of removed sessions' items
  (`DELETE_SESSIONS`);
- a user item's REMOVE (DynamoDB's TTL after `purge_at`, or a purge at once): the purge
  (`rules.purge`: the rest of the user's items deleted, the history pseudonymised, a receipt) and
  its `user.deleted` event, kept and put as any other.

`carry_out` does a plan in the order that puts nothing twice (docs/EVENTS.md, "How an event is
made"): the purge, if any (idempotent: a retry does it again to the same end); the history entry,
put once; the jobs, then the entry marked as having queued them; the event on the bus last, the
one put a consumer sees. A record that fails part way is retried from
its start and puts nothing again that a consumer saw. The workers (`functions/email_worker`,
`functions/session_cleanup`) read the jobs' words from here: what they import of this module is
its words, so the event's building (pydantic models) is imported by `plan`, when a record comes.

What a new kind of record calls for is decided here too: what the record must say goes in `Record`
(the router fills it), the decision in `plan`, and work of a new kind in a field of `Plan` that
`carry_out` does, in the order above (as the purge: `Record.identity` and `when`, `Plan.purge`).
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hellojohn import actors, signals
from hellojohn.adapters import bus, jobs
from hellojohn.logs import logger
from hellojohn.records import (
    DELETION_REQUESTED,
    EMAIL_CHANGE_REQUESTED,
    EMAIL_CHANGED,
    EMAIL_RESTORED,
    PASSWORD_CHANGED,
)
from hellojohn.store import keys

if TYPE_CHECKING:
    from hellojohn.rules.change_events import ChangeEvent
    from hellojohn.rules.purge import Purge

VERIFY_EMAIL = "verify_email"  # the jobs' types (a job's body["type"])
DELETE_SESSIONS = "delete_sessions"
NOTICE = "notice"
MAX_SESSIONS_PER_JOB = 500  # keeps a job far below SQS's 256 KB


@dataclass(frozen=True)
class Record:
    """One record of the table's stream: the item before and after (deserialised; None: none, as
    when the item is created or deleted), its sequence number, when it was committed (RFC 3339, and
    `when`, epoch seconds) and who made it (`userIdentity`: DynamoDB's TTL service, or None)."""

    old: dict[str, Any] | None
    new: dict[str, Any] | None
    sequence: str = ""
    at: str = ""
    when: int = 0
    identity: dict[str, Any] | None = None


@dataclass(frozen=True)
class Job:
    queue: str  # jobs.EMAIL | jobs.SESSIONS
    body: dict[str, Any]


@dataclass(frozen=True)
class Plan:
    """All one stream record calls for (`plan`); `carry_out` does it."""

    event: "ChangeEvent | None" = None  # the change event (None: no change a consumer sees)
    entry: dict[str, Any] | None = None  # the user's history entry: the event, kept
    jobs: tuple[Job, ...] = ()
    purge: "Purge | None" = None  # a deleted user's purge (`rules.purge`), done first


NOTHING = Plan()


def plan(record: Record) -> Plan:
    """What one stream record calls for. Only a user item's records call for anything."""
    from hellojohn.rules import change_events, history, purge

    old, new = record.old, record.new
    if (new or old or {}).get("SK") != keys.USER_SK:
        return NOTHING
    if old is not None and new is None:  # the user item removed: the end of its deletion, the purge
        purged, deleted = purge.decided(old, record.sequence, record.at, record.when, record.identity)
        return Plan(deleted, history.entry_of(deleted), _session_cleanup(old, new), purged)
    stamp = own_stamp(old, new) if new is not None else None
    moved = old is not None and new is not None and password_changed(old, new)
    event = change_events.build(old, new, stamp, moved, record.sequence, record.at) if new and stamp else None
    notices = _notices(old, new, stamp, moved) if old and new and stamp else ()
    return Plan(
        event,
        history.entry_of(event) if event else None,
        (*_verification(old, new), *notices, *_session_cleanup(old, new)),
    )


def own_stamp(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any] | None:
    """The `change` stamp (`hellojohn.actors`) of the write that turned user item `old` into `new`, or
    None when that write made no change of its own (the guess counters keep the stamp the item had)."""
    stamp: dict[str, Any] = new.get("change") or {}
    if not stamp.get("id") or (old is not None and (old.get("change") or {}).get("id") == stamp["id"]):
        return None
    return stamp


def password_changed(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether the write from user item `old` to `new` changed the password: the hash moved, and not
    by a sign-in (the only write that adds a session), whose rehash keeps the same password."""
    signed_in = bool(set(new.get("sessions") or {}) - set(old.get("sessions") or {}))
    moved = bool(new.get("password_hash")) and old.get("password_hash") != new.get("password_hash")
    return moved and not signed_in


def _new_pending_change(old: dict[str, Any] | None, new: dict[str, Any] | None) -> str | None:
    """The id of the pending email change this write started, if it started one."""
    change_id = (new or {}).get("pending_change_id")
    return change_id if change_id and change_id != (old or {}).get("pending_change_id") else None


def _verification(old: dict[str, Any] | None, new: dict[str, Any] | None) -> tuple[Job, ...]:
    """A new pending email change: its verification email (whoever made it, the worker judges)."""
    change_id = _new_pending_change(old, new)
    if change_id is None or new is None:
        return ()
    body = {"type": VERIFY_EMAIL, "tenant_id": new.get("tenant_id"), "user_id": new.get("id")}
    return (Job(jobs.EMAIL, {**body, "change_id": change_id}),)


def _notices(old: dict[str, Any], new: dict[str, Any], stamp: dict[str, Any], moved: bool) -> tuple[Job, ...]:
    """The security notices a change of its own of an existing user calls for (never at creation)."""
    base = {"type": NOTICE, "tenant_id": new.get("tenant_id"), "user_id": new.get("id")}
    out: list[dict[str, Any]] = []
    pending = _new_pending_change(old, new)
    if pending and new.get("pending_email"):
        out.append({"kind": EMAIL_CHANGE_REQUESTED, "change_id": pending, "to": old.get("email")})
    if old.get("email_key") != new.get("email_key"):
        kind = EMAIL_RESTORED if stamp.get("via") == actors.VIA_RESTORE else EMAIL_CHANGED
        out.append(
            {"kind": kind, "change_id": stamp["id"], "to": old.get("email"), "new_email": new.get("email")}
        )
    if moved:
        at = int(new.get("updated_at") or 0)
        out.append({"kind": PASSWORD_CHANGED, "change_id": stamp["id"], "to": new.get("email"), "at": at})
    requested, purge_at = new.get("deletion_requested_at"), new.get("purge_at")
    if requested and not old.get("deletion_requested_at") and purge_at and int(purge_at) > int(requested):
        # a deletion with a grace period (a purge at once has no restore deadline to tell)
        deadline = {"purge_at": int(purge_at)}
        out.append({"kind": DELETION_REQUESTED, "change_id": stamp["id"], "to": new.get("email"), **deadline})
    return tuple(Job(jobs.EMAIL, {**base, **body}) for body in out)


def _session_cleanup(old: dict[str, Any] | None, new: dict[str, Any] | None) -> tuple[Job, ...]:
    """Sessions gone from the user's `sessions` map (revoked, or the user deleted): their items'
    deletion, MAX_SESSIONS_PER_JOB to a job."""
    item = new or old or {}
    base = {"type": DELETE_SESSIONS, "tenant_id": item.get("tenant_id"), "user_id": item.get("id")}
    removed = sorted(set((old or {}).get("sessions") or {}) - set((new or {}).get("sessions") or {}))
    return tuple(
        Job(jobs.SESSIONS, {**base, "session_ids": removed[start : start + MAX_SESSIONS_PER_JOB]})
        for start in range(0, len(removed), MAX_SESSIONS_PER_JOB)
    )


def carry_out(plan: Plan) -> None:
    """Do what a record calls for, in the order that puts nothing twice: the purge (idempotent), the
    history entry, put once (`history.keep`: False when an earlier attempt already queued the jobs),
    the jobs, the entry marked; the event last. A record with no event has its jobs queued at least
    once (the workers drop a repeat)."""
    from hellojohn.rules import history, purge

    if plan.purge is not None:
        purge.run(plan.purge)
    if plan.entry is None:
        _queue(plan.jobs)
    elif history.keep(plan.entry) and plan.jobs:
        _queue(plan.jobs)
        history.jobs_queued(plan.entry)
    if plan.event is not None:
        bus.publish(plan.event.detail_type, plan.event.detail)
        signals.count(signals.USER_CHANGES, change=plan.event.detail_type)
        logger.info(
            "event put",
            extra={"detail_type": plan.event.detail_type, "user_id": plan.event.detail["user_id"]},
        )


def _queue(queued: tuple[Job, ...]) -> None:
    for job in queued:
        jobs.send(job.queue, job.body)
        logger.info("job queued", extra={"job_type": job.body["type"], "user_id": job.body["user_id"]})
