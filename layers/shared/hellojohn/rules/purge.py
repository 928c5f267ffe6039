"""The purge of a deleted user, on the user item's REMOVE (docs/SECURITY.md).

The user item leaves the table in one of two ways, both a REMOVE on the stream: DynamoDB's TTL
deletes it after `purge_at` (the record's `userIdentity` is the service: `principalId`
`dynamodb.amazonaws.com`, `type` `Service`), or a purge at once deletes it with its claim
(`rules.deletion`). The user item is deleted by nothing else, so either is the purge's signal. The
outbox (`rules.outbox.plan`) decides it with `decided`: a `Purge` to do and the `user.deleted`
change event (ids only), kept in the history and put on the bus as any other. `run` (called by
`outbox.carry_out`, before the event's entry is put), from the old image:
- deletes the rest of the item collection (sessions, anything but the history and the receipt),
  the email claim (while still this user's: a new user may hold the address), the restore links,
  the notices' sent markers of the user's changes, the guess counter and the verification-email
  counts of the address, and the idempotency records of the user's sessions;
- pseudonymises the history (`pseudonymised`): every personal value absent, the event types,
  times, actors, field names and the other values kept, for the tenant's `audit_retention_days`;
- writes the purge's receipt (user id, when requested and by whom, when purged and by whom), kept
  as long as the history.
Every step is idempotent: a retried record does it again to the same end, and its history entry
(keyed by a change id derived from the record) is put once.
"""

import contextlib
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from hellojohn import event_types, records
from hellojohn.fields import email_key
from hellojohn.rules import tenancy
from hellojohn.rules.change_events import ChangeEvent
from hellojohn.store import keys
from hellojohn.store import purge as store
from hellojohn.timeutil import DAY, now, rfc3339

TTL_SERVICE = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
"""The `userIdentity` of a stream record made by DynamoDB's TTL (the local runner emulates it)."""
KEPT = frozenset(
    {
        "role",
        "email_verified",
        "disabled",
        "disabled_at",
        "last_sign_in_at",
        "created_at",
        "password_change_required",
        "locked_until",
        "deletion_requested_at",
        "purge_at",
    }
)
"""The values a pseudonymised history entry keeps: none of them personal. Every other value (the
email and pending email, name, phone number, avatar, metadata, anything added later) is removed;
the names of the fields that changed stay in `changed`."""
NOTICE_KINDS = (*records.NOTICES, records.EMAIL_RESTORED)  # the sent markers' kinds


@dataclass(frozen=True)
class Purge:
    """A deleted user's purge, decided (`decided`), to do (`run`): the user item as it was, and the
    receipt to keep (kept as long as the tenant's history)."""

    old: dict[str, Any]
    receipt: dict[str, Any]


def decided(
    old: dict[str, Any], sequence: str, at: str, when: int, identity: dict[str, Any] | None
) -> tuple[Purge, ChangeEvent]:
    """The purge a user item's REMOVE calls for (`at`/`when`: the record's commit time, RFC 3339
    and epoch seconds; `identity`: its `userIdentity`), and its `user.deleted` event. Decides only."""
    tid, uid = str(old["tenant_id"]), str(old["id"])
    by_ttl = (identity or {}).get("principalId") == TTL_SERVICE["principalId"]
    stamp = old.get("change") or {}
    change_id = _change_id(stamp.get("id"), sequence, when)
    requested_by = _actor(stamp, uid)
    purged_by = {"type": "system"} if by_ttl else requested_by
    requested = old.get("deletion_requested_at")
    receipt = {
        "tenant_id": tid,
        "user_id": uid,
        "change_id": change_id,
        "requested_at": rfc3339(int(requested)) if requested else None,
        "requested_by": requested_by,
        "purged_at": at,
        "purged_by": purged_by,
        "via": "ttl" if by_ttl else "at_once",
    }
    detail: dict[str, Any] = {
        "tenant_id": tid,
        "user_id": uid,
        "version": int(old.get("version") or 0),
        "sequence": sequence,
        "change_id": change_id,
        "actor": purged_by,
        "request_id": None if by_ttl else stamp.get("request_id"),
        "time": at,
        "changed": [],
        "before": {},
        "after": {},
    }
    return Purge(old, receipt), ChangeEvent(event_types.DELETED, detail)


def run(purge: Purge) -> None:
    """Do a purge: the rest of the user's items deleted, its history pseudonymised, its receipt."""
    old = purge.old
    tid, uid = str(old["tenant_id"]), str(old["id"])
    items = store.collection(tid, uid)
    entries = [i for i in items if str(i["SK"]).startswith(keys.AUDIT_PREFIX)]
    history = [json.loads(str(i["entry"])) for i in entries]
    _delete_the_rest(tid, uid, old, items, history)
    for item, entry in zip(entries, history, strict=True):
        clean = pseudonymised(entry)
        if clean != entry:
            store.rewrite_entry(item, clean)
    tenant = tenancy.tenant(tid)
    days = tenant.audit_retention_days if tenant else records.AUDIT_RETENTION_DAYS
    store.put_receipt(tid, uid, purge.receipt, now() + days * DAY)


def pseudonymised(entry: dict[str, Any]) -> dict[str, Any]:
    """A history entry without a personal value: `before` and `after` keep only the `KEPT` fields."""
    out = dict(entry)
    for side in ("before", "after"):
        if isinstance(out.get(side), dict):
            out[side] = {k: v for k, v in out[side].items() if k in KEPT}
    return out


def _delete_the_rest(
    tid: str, uid: str, old: dict[str, Any], items: list[dict[str, Any]], history: list[dict[str, Any]]
) -> None:
    kept = [i for i in items if str(i["SK"]).startswith(keys.AUDIT_PREFIX) or i["SK"] == store.RECEIPT_SK]
    doomed = [store.key_of(i) for i in items if i not in kept]
    sessions = {
        str(i["SK"]).removeprefix(keys.SESSION_SK_PREFIX)
        for i in items
        if str(i["SK"]).startswith(keys.SESSION_SK_PREFIX)
    }
    for entry in history:  # every session the history saw, for its idempotency records
        for ids in (entry.get("sessions") or {}).values():
            sessions.update(ids)
    for sid in sorted(sessions):
        doomed += store.partition(keys.idempotency_pk(tid, sid))
    for entry in history:
        doomed += [keys.notice_sent(tid, entry["change_id"], kind) for kind in NOTICE_KINDS]
    for key in store.partition(keys.restore_links_pk(tid, uid)):  # the restore links, the tokens noted
        doomed.append(key)
        sk = key["SK"]["S"]
        if sk.startswith(keys.LINK_SK_PREFIX):
            doomed.append(keys.notice_link(sk.removeprefix(keys.LINK_SK_PREFIX)))
    address = email_key(str(old["email"]))
    doomed.append(keys.guesses(tid, address))
    if old.get("mail_hour"):
        doomed.append(keys.mail_to(tid, address, int(old["mail_hour"])))
    store.delete_keys(doomed)
    store.release_claim(tid, address, uid)


def _actor(stamp: dict[str, Any], uid: str) -> dict[str, Any]:
    actor: dict[str, Any] = {"type": stamp.get("actor", "system")}
    if stamp.get("actor_id"):
        actor["key_id" if actor["type"] == "secret_key" else "user_id"] = stamp["actor_id"]
    elif actor["type"] == "user":
        actor["user_id"] = uid
    return actor


def _change_id(last: str | None, sequence: str, at: int) -> str:
    """The purge's change id: a ULID of the record's time (after the user's last change), its
    random part derived from the stream record, so a retried record keeps the same id."""
    from ulid import ULID

    ms = at * 1000
    if last and last.startswith("chg_"):
        with contextlib.suppress(ValueError):  # not a ULID: the record's time alone
            ms = max(ms, ULID.from_str(last.removeprefix("chg_")).milliseconds + 1)
    seed = hashlib.sha256(f"{sequence}".encode()).digest()[:10]
    return f"chg_{ULID.from_bytes(ms.to_bytes(6, 'big') + seed)}"
