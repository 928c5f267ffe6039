"""A user's change history (`GET /v1/users/{user_id}/events`): the change events, kept per user.

The outbox keeps each event before it puts it on the bus (`keep`, `rules.outbox`), for the tenant's
`audit_retention_days`; reading is one Query of the user's item collection, newest first.
"""

from typing import Any

from hellojohn import cursors
from hellojohn.records import AUDIT_RETENTION_DAYS, Tenant
from hellojohn.rules import tenancy
from hellojohn.rules.change_events import ChangeEvent
from hellojohn.store import audit
from hellojohn.timeutil import DAY, now


def entry_of(event: ChangeEvent) -> dict[str, Any]:
    """The history's entry: the event's detail under the event's name (the same fields)."""
    return {"type": event.detail_type, **event.detail}


def keep(entry: dict[str, Any]) -> bool:
    """Written before the change's jobs are queued and its event is put, once: a retried record
    finds the entry. True when the change's jobs are still to be queued (`jobs_queued` after)."""
    tenant = tenancy.tenant(entry["tenant_id"])
    days = tenant.audit_retention_days if tenant else AUDIT_RETENTION_DAYS
    earlier = audit.put(entry["tenant_id"], entry["user_id"], entry["change_id"], entry, now() + days * DAY)
    return not (earlier or {}).get(audit.QUEUED)


def jobs_queued(entry: dict[str, Any]) -> None:
    """The change's jobs are on their queues: a retry of its record does not queue them again."""
    audit.mark_queued(entry["tenant_id"], entry["user_id"], entry["change_id"])


def page(tenant: Tenant, uid: str, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the user's history, newest first, and the next page's cursor (None: the last).
    An id this tenant has no user for has no history: an empty page, never another tenant's."""
    entries, more = audit.page(
        tenant.id, uid, limit, cursors.decode(cursor, "chg") if cursor else None, now()
    )
    return entries, (cursors.encode(entries[-1]["change_id"]) if more and entries else None)
