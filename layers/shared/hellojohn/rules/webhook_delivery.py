"""Webhook delivery (docs/WEBHOOKS.md): a change event fanned out to the tenant's endpoints, one
job per endpoint, and each job's attempt: signed the Standard Webhooks way, POSTed, logged, and
retried on the specification's schedule until it is delivered, fails for good, or the endpoint
answers 410 Gone (then disabled).

The `webhook-id` is the change id (a test's `msg_…`), the same on every attempt; the
`webhook-timestamp` is the attempt's time; `webhook-signature` is `v1,<base64 HMAC-SHA256 of
"{id}.{timestamp}.{body}">` under each live secret (two during a rotation), space-separated.
"""

import base64
import hashlib
import hmac
import json
import random
from dataclasses import dataclass
from typing import Any

from hellojohn.adapters import keys_kms, webhook_http, webhook_jobs
from hellojohn.logs import logger
from hellojohn.rules import webhooks
from hellojohn.store import webhooks as store
from hellojohn.timeutil import DAY, HOUR, now

# seconds before each attempt: the specification's suggested schedule (8 attempts in all)
SCHEDULE = (0, 5, 5 * 60, 30 * 60, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR)
JITTER = 0.2  # each wait is drawn from ±20% of the schedule's
MAX_BODY_BYTES = 20 * 1024
LOG_DAYS = 30  # an attempt stays in the endpoint's delivery log this long (TTL)
GONE = 410


JOB_FIELDS = frozenset({"tenant_id", "webhook_id", "event_id", "type", "timestamp", "data"})


def dispatch(event: dict[str, Any]) -> int:
    """The jobs of one change event (as EventBridge delivered it): one per enabled endpoint of the
    user's tenant whose filter takes it; how many. A message that is no change event: none."""
    from hellojohn.adapters.bus import SOURCE

    if event.get("source") != SOURCE or not isinstance(event.get("detail"), dict):
        logger.warning("not a change event: dropped", extra={"source": str(event.get("source"))[:64]})
        return 0
    detail = event["detail"]
    tid = detail["tenant_id"]
    kind = event["detail-type"]
    key_id = (detail.get("actor") or {}).get("key_id")
    endpoints, _ = store.page(tid, None, None)
    sent = 0
    for endpoint in endpoints:
        if endpoint.get("disabled"):
            continue
        if endpoint.get("event_types") and kind not in endpoint["event_types"]:
            continue
        if key_id and key_id in (endpoint.get("exclude_actor_key_ids") or []):
            continue  # the echo filter: the endpoint's owner made this change
        webhook_jobs.send(
            webhooks.job(tid, endpoint["id"], detail["change_id"], kind, detail["time"], detail)
        )
        sent += 1
    return sent


def sign(secrets: list[str], event_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{event_id}.{timestamp}.".encode() + body
    out = []
    for secret in secrets:
        key = base64.b64decode(secret.removeprefix("whsec_"))
        digest = hmac.new(key, signed, hashlib.sha256).digest()
        out.append("v1," + base64.b64encode(digest).decode())
    return " ".join(out)


def body_of(job: dict[str, Any]) -> bytes:
    """`{"type", "timestamp", "data"}`; over 20 KB, the data without `before` and `after` and with
    `truncated: true` (the consumer reads the user for its values)."""
    payload = {"type": job["type"], "timestamp": job["timestamp"], "data": job["data"]}
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    if len(body) > MAX_BODY_BYTES:
        data = {k: v for k, v in job["data"].items() if k not in ("before", "after")} | {"truncated": True}
        body = json.dumps({**payload, "data": data}, separators=(",", ":"), ensure_ascii=False).encode()
    return body


def wait_before(attempt: int) -> float:
    """Seconds before attempt `attempt` (2..8), jittered, times the tests' scale (1 deployed)."""
    from hellojohn.config import settings

    base = SCHEDULE[attempt - 1]
    return base * random.uniform(1 - JITTER, 1 + JITTER) * settings().webhook_retry_scale  # noqa: S311


@dataclass(frozen=True)
class Attempted:
    outcome: str  # delivered, retrying, failed, disabled; "" when no attempt was made


def deliver(job: dict[str, Any]) -> Attempted:
    """One attempt of one job (or its wait, passed on when it came early)."""
    from hellojohn.config import settings

    s = settings()
    if not job.keys() >= JOB_FIELDS:
        logger.warning("not a delivery job: dropped")
        return Attempted("")
    tid, wid, attempt = job["tenant_id"], job["webhook_id"], int(job.get("attempt", 1))
    at = now()
    if int(job.get("not_before", 0)) > at:
        webhook_jobs.send(job, job["not_before"] - at)  # a wait longer than SQS's longest delay
        return Attempted("")
    endpoint = store.get(tid, wid, with_secrets=True)
    if endpoint is None or (endpoint.get("disabled") and not job.get("test")):
        logger.info("webhook job dropped", extra={"reason": "endpoint gone or disabled"})
        return Attempted("")
    secrets = [keys_kms.decrypt(tid, wid, bytes(endpoint["secret"]))]
    if endpoint.get("previous_secret") and int(endpoint.get("previous_until", 0)) > at:
        secrets.append(keys_kms.decrypt(tid, wid, bytes(endpoint["previous_secret"])))
    body = body_of(job)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "HelloJohn-Webhooks/1",
        "webhook-id": job["event_id"],
        "webhook-timestamp": str(at),
        "webhook-signature": sign(secrets, job["event_id"], at, body),
    }
    answer = webhook_http.post(
        endpoint["url"], headers, body, s.webhook_timeout_seconds, s.webhook_allow_loopback
    )
    next_at: int | None = None
    if answer.status is not None and 200 <= answer.status < 300:
        outcome = "delivered"
    elif answer.status == GONE:
        outcome = "disabled"
        store.disable(tid, wid, "gone", now())
    elif attempt < len(SCHEDULE):
        outcome = "retrying"
        wait = wait_before(attempt + 1)
        next_at = now() + int(wait)
    else:
        outcome = "failed"
    store.put_attempt(
        tid,
        wid,
        attempt_id := _attempt_id(),
        {
            "id": attempt_id,
            "event_id": job["event_id"],
            "event_type": job["type"],
            "attempt": attempt,
            "outcome": outcome,
            "status": answer.status,
            "error": answer.error,
            "duration_ms": answer.duration_ms,
            "attempted_at": at,
            "next_retry_at": next_at,
            "ttl": at + LOG_DAYS * DAY,
        },
    )
    if next_at is not None:
        webhook_jobs.send({**job, "attempt": attempt + 1, "not_before": next_at}, next_at - now())
    logger.info(
        "webhook attempt",
        extra={"outcome": outcome, "attempt": attempt, "status": answer.status, "error": answer.error},
    )
    return Attempted(outcome)


def _attempt_id() -> str:
    from hellojohn import ids

    return ids.new_id("att")
