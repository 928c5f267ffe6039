"""The outbox: which jobs a committed change of a user item calls for.

The table's stream is the outbox. A change that starts an email verification, or removes
sessions from the user's `sessions` map, becomes an SQS job; so does each security notice (an
email change asked for, an email changed, a password changed: docs/NOTICES.md). The workers do
the slow part with retries and a dead-letter queue. Nothing here runs inside the request that
made the change.
"""

import json
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from hellojohn.records import own_stamp, password_changed

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient

VERIFY_EMAIL = "verify_email"
DELETE_SESSIONS = "delete_sessions"
NOTICE = "notice"
# the notices' kinds (the tenant's switches: `Tenant.notices`, records.NOTICES)
EMAIL_CHANGE_REQUESTED = "email_change_requested"
EMAIL_CHANGED = "email_changed"
EMAIL_RESTORED = "email_restored"  # an email_changed made by a restore link: no restore link of its own
PASSWORD_CHANGED = "password_changed"
RESTORE = "restore"  # `change.via` of the restore link's write (hellojohn.actors)
MAX_SESSIONS_PER_JOB = 500  # keeps a job far below SQS's 256 KB


@dataclass(frozen=True)
class Job:
    queue: str  # "email" | "sessions"
    body: dict[str, Any]


def for_change(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[Job]:
    """Jobs for one stream record of a user item (images already deserialised)."""
    item = new or old or {}
    if item.get("SK") != "USER":
        return []
    tid, uid = item.get("tenant_id"), item.get("id")
    jobs: list[Job] = []
    change_id = (new or {}).get("pending_change_id")
    if change_id and change_id != (old or {}).get("pending_change_id"):
        jobs.append(
            Job("email", {"type": VERIFY_EMAIL, "tenant_id": tid, "user_id": uid, "change_id": change_id})
        )
    if old is not None and new is not None:
        jobs += _notices(old, new)
    removed = sorted(set((old or {}).get("sessions") or {}) - set((new or {}).get("sessions") or {}))
    for start in range(0, len(removed), MAX_SESSIONS_PER_JOB):
        chunk = removed[start : start + MAX_SESSIONS_PER_JOB]
        jobs.append(
            Job("sessions", {"type": DELETE_SESSIONS, "tenant_id": tid, "user_id": uid, "session_ids": chunk})
        )
    return jobs


def _notices(old: dict[str, Any], new: dict[str, Any]) -> list[Job]:
    """The security notices a change of an existing user calls for (never at creation)."""
    stamp = own_stamp(old, new)
    if stamp is None:
        return []
    base = {"type": NOTICE, "tenant_id": new.get("tenant_id"), "user_id": new.get("id")}
    out: list[Job] = []
    pending = new.get("pending_change_id")
    if pending and pending != old.get("pending_change_id") and new.get("pending_email"):
        out.append(
            Job(
                "email",
                {**base, "kind": EMAIL_CHANGE_REQUESTED, "change_id": pending, "to": old.get("email")},
            )
        )
    if old.get("email_key") != new.get("email_key"):
        kind = EMAIL_RESTORED if stamp.get("via") == RESTORE else EMAIL_CHANGED
        body = {"kind": kind, "change_id": stamp["id"], "to": old.get("email"), "new_email": new.get("email")}
        out.append(Job("email", {**base, **body}))
    if password_changed(old, new):
        at = int(new.get("updated_at") or 0)
        body = {"kind": PASSWORD_CHANGED, "change_id": stamp["id"], "to": new.get("email"), "at": at}
        out.append(Job("email", {**base, **body}))
    return out


@cache
def sqs() -> "SQSClient":
    import boto3
    from botocore.config import Config

    return boto3.client("sqs", config=Config(retries={"mode": "standard", "max_attempts": 3}))


def send(job: Job) -> None:
    from hellojohn.config import settings

    s = settings()
    url = s.email_queue_url if job.queue == "email" else s.session_cleanup_queue_url
    sqs().send_message(QueueUrl=url, MessageBody=json.dumps(job.body))
