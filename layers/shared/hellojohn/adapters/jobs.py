"""The outbox: which jobs a committed change of a user item calls for.

The table's stream is the outbox. A change that starts an email verification, or removes
sessions from the user's `sessions` map, becomes an SQS job; the workers do the slow part with
retries and a dead-letter queue. Nothing here runs inside the request that made the change.
"""

import json
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient

VERIFY_EMAIL = "verify_email"
DELETE_SESSIONS = "delete_sessions"
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
    removed = sorted(set((old or {}).get("sessions") or {}) - set((new or {}).get("sessions") or {}))
    for start in range(0, len(removed), MAX_SESSIONS_PER_JOB):
        chunk = removed[start : start + MAX_SESSIONS_PER_JOB]
        jobs.append(
            Job("sessions", {"type": DELETE_SESSIONS, "tenant_id": tid, "user_id": uid, "session_ids": chunk})
        )
    return jobs


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
