"""A tenant's webhook endpoints (docs/WEBHOOKS.md): create, list, read, change, delete, rotate
the secret, send a test, and read the delivery log.

Secrets are `whsec_` + base64 of 32 random bytes, encrypted under the stack's KMS key (context:
the tenant and endpoint) and shown once, by the create and the rotation. A rotation keeps the old
secret signing beside the new one for `ROTATION_OVERLAP_SECONDS`.
"""

import base64
import contextlib
import secrets as random
from typing import Any

from hellojohn import cursors, errors, ids, ssrf
from hellojohn.adapters import keys_kms, webhook_http, webhook_jobs
from hellojohn.errors import FieldIssue
from hellojohn.models import (
    Pagination,
    Webhook,
    WebhookCreate,
    WebhookCreated,
    WebhookDelivery,
    WebhookDeliveryList,
    WebhookList,
    WebhookSecret,
    WebhookUpdate,
)
from hellojohn.records import Tenant
from hellojohn.store import webhooks as store
from hellojohn.timeutil import DAY, now, rfc3339

MAX_ENDPOINTS = 20
SECRET_BYTES = 32
ROTATION_OVERLAP_SECONDS = DAY
TEST_EVENT = "webhook.test"


def new_secret() -> str:
    return "whsec_" + base64.b64encode(random.token_bytes(SECRET_BYTES)).decode()


def checked_url(url: str) -> str:
    """The URL, or 422 on `url` saying why it may not be called (hellojohn/ssrf.py): its form, and
    the host's DNS answer now (a name that does not resolve yet is taken: each delivery checks it)."""
    from hellojohn.config import settings

    allow = settings().webhook_allow_loopback
    try:
        target = ssrf.check_url(url, allow)
        with contextlib.suppress(OSError):
            ssrf.resolve(target, webhook_http.resolve_host, allow)
    except ssrf.Refused as exc:
        raise errors.validation_failed([FieldIssue("url", str(exc))]) from None
    return url


def view(item: dict[str, Any]) -> Webhook:
    return Webhook(
        id=item["id"],
        url=item["url"],
        event_types=item.get("event_types"),
        description=item.get("description"),
        exclude_actor_key_ids=list(item.get("exclude_actor_key_ids") or []),
        disabled=bool(item.get("disabled")),
        disabled_reason=item.get("disabled_reason"),
        created_at=rfc3339(int(item["created_at"])) or "",
        updated_at=rfc3339(int(item["updated_at"])) or "",
    )


def create(tenant: Tenant, body: WebhookCreate) -> WebhookCreated:
    wid = ids.new_id("whk")
    secret = new_secret()
    at = now()
    values = {
        "id": wid,
        "url": checked_url(body.url),
        "event_types": body.event_types,
        "description": body.description,
        "exclude_actor_key_ids": body.exclude_actor_key_ids or [],
        "disabled": False,
        "created_at": at,
        "updated_at": at,
        "secret": keys_kms.encrypt(tenant.id, wid, secret),
    }
    try:
        store.create(tenant.id, values, MAX_ENDPOINTS)
    except store.Full:
        raise errors.conflict(
            f"This tenant has {MAX_ENDPOINTS} webhook endpoints, the most allowed; delete one first"
        ) from None
    return WebhookCreated(**view(values).model_dump(), secret=secret)


def _found(tenant: Tenant, wid: str, with_secrets: bool = False) -> dict[str, Any]:
    item = store.get(tenant.id, wid, with_secrets)
    if item is None:
        raise errors.not_found("No such webhook endpoint")
    return item


def get(tenant: Tenant, wid: str) -> Webhook:
    return view(_found(tenant, wid))


def page(tenant: Tenant, limit: int, cursor: str | None) -> WebhookList:
    items, more = store.page(tenant.id, limit, cursors.decode(cursor, "whk") if cursor else None)
    next_cursor = cursors.encode(items[-1]["id"]) if more and items else None
    return WebhookList(
        data=[view(i) for i in items],
        pagination=Pagination(limit=limit, has_more=next_cursor is not None, next_cursor=next_cursor),
    )


def update(tenant: Tenant, wid: str, body: WebhookUpdate) -> Webhook:
    sent = body.model_fields_set
    sets: dict[str, Any] = {"updated_at": now()}
    removes: list[str] = []
    if "url" in sent and body.url is not None:
        sets["url"] = checked_url(body.url)
    for name in ("event_types", "description"):
        if name in sent:
            value = getattr(body, name)
            if value is None:
                removes.append(name)
            else:
                sets[name] = value
    if "exclude_actor_key_ids" in sent:
        sets["exclude_actor_key_ids"] = body.exclude_actor_key_ids or []
    if "disabled" in sent and body.disabled is not None:
        sets["disabled"] = body.disabled
        if not body.disabled:
            removes.append("disabled_reason")
        else:
            sets["disabled_reason"] = "disabled"
    item = store.update(tenant.id, wid, sets, tuple(removes))
    if item is None:
        raise errors.not_found("No such webhook endpoint")
    return view(item)


def delete(tenant: Tenant, wid: str) -> None:
    if not store.delete(tenant.id, wid):
        raise errors.not_found("No such webhook endpoint")


def rotate(tenant: Tenant, wid: str) -> WebhookSecret:
    """A new secret; the current one signs beside it for 24 hours (the previous one before it,
    if a rotation is still overlapping, stops now). Two rotations at once: each caller gets a
    secret that signed at least until the other's rotation, and the last one is current."""
    for _ in range(5):
        item = _found(tenant, wid, with_secrets=True)
        secret = new_secret()
        at = now()
        until = at + ROTATION_OVERLAP_SECONDS
        old = bytes(item["secret"])
        if store.rotate(tenant.id, wid, old, keys_kms.encrypt(tenant.id, wid, secret), until, at):
            return WebhookSecret(id=wid, secret=secret, previous_secret_expires_at=rfc3339(until) or "")
    raise errors.conflict()


def send_test(tenant: Tenant, wid: str) -> str:
    """A `webhook.test` delivery job for the endpoint (enabled or not: a test is asked for)."""
    _found(tenant, wid)
    event_id = ids.new_id("msg")
    at = rfc3339(now()) or ""
    data = {"tenant_id": tenant.id, "webhook_id": wid, "time": at}
    webhook_jobs.send(job(tenant.id, wid, event_id, TEST_EVENT, at, data, test=True))
    return event_id


def job(
    tid: str, wid: str, event_id: str, event_type: str, at: str, data: dict[str, Any], test: bool = False
) -> dict[str, Any]:
    """A delivery job: one event for one endpoint, and its attempt."""
    out: dict[str, Any] = {
        "tenant_id": tid,
        "webhook_id": wid,
        "event_id": event_id,
        "type": event_type,
        "timestamp": at,
        "data": data,
        "attempt": 1,
    }
    if test:
        out["test"] = True
    return out


def deliveries(tenant: Tenant, wid: str, limit: int, cursor: str | None) -> WebhookDeliveryList:
    _found(tenant, wid)
    before = cursors.decode(cursor, "att") if cursor else None
    items, more = store.attempts(tenant.id, wid, limit, before, now())
    next_cursor = cursors.encode(items[-1]["id"]) if more and items else None
    return WebhookDeliveryList(
        data=[
            WebhookDelivery(
                id=i["id"],
                event_id=i["event_id"],
                event_type=i["event_type"],
                attempt=int(i["attempt"]),
                outcome=i["outcome"],
                status=int(i["status"]) if i.get("status") is not None else None,
                error=i.get("error"),
                duration_ms=int(i["duration_ms"]),
                attempted_at=rfc3339(int(i["attempted_at"])) or "",
                next_retry_at=rfc3339(int(i["next_retry_at"])) if i.get("next_retry_at") else None,
            )
            for i in items
        ],
        pagination=Pagination(limit=limit, has_more=next_cursor is not None, next_cursor=next_cursor),
    )
