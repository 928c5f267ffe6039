"""The purge of a deleted user, run by the stream router on the user item's REMOVE (docs/SECURITY.md).

The user item leaves the table in one of two ways, both a REMOVE on the stream: DynamoDB's TTL
deletes it after `purge_at` (the record's `userIdentity` is the service: `principalId`
`dynamodb.amazonaws.com`, `type` `Service`), or a purge at once deletes it with its claim
(`rules.deletion`). The user item is deleted by nothing else, so either is the purge's signal. The
router then, from the old image:
- deletes the rest of the item collection (sessions, anything but the history and the receipt),
  the email claim (while still this user's: a new user may hold the address), the restore links,
  the notices' sent markers of the user's changes, the guess counter and the verification-email
  counts of the address, and the idempotency records of the user's sessions;
- pseudonymises the history (`pseudonymised`): every personal value absent, the event types,
  times, actors, field names and the other values kept, for the tenant's `audit_retention_days`;
- writes the purge's receipt (user id, when requested and by whom, when purged and by whom), kept
  as long as the history;
- and makes the `user.deleted` change event (ids only), kept in the history and put on the bus by
  the router as any other.
Every step is idempotent: a retried record does it again to the same end, and its history entry
(keyed by a change id derived from the record) is put once.
"""

import contextlib
import hashlib
import json
from typing import Any

from hellojohn import records
from hellojohn.adapters import jobs
from hellojohn.fields import email_key
from hellojohn.rules import tenancy
from hellojohn.rules.change_events import ChangeEvent
from hellojohn.store import keys
from hellojohn.store import purge as store
from hellojohn.timeutil import now, rfc3339

DAY = 24 * 3600
TTL_SERVICE = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
"""The `userIdentity` of a stream record made by DynamoDB's TTL (the local runner emulates it)."""
DELETED = "user.deleted"
DELETION_REQUESTED = "deletion_requested"  # the notice's kind (records.NOTICES: the tenant's switch)
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
NOTICE_KINDS = (
    "email_change_requested",
    "email_changed",
    "email_restored",
    "password_changed",
    DELETION_REQUESTED,
)


def notice_jobs(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[jobs.Job]:
    """The "deletion requested" notice, when a change of a user item starts a deletion with a grace
    period (a purge at once has no restore deadline to tell): to the user's address, with it."""
    if old is None or new is None or new.get("SK") != keys.USER_SK:
        return []
    requested, purge_at = new.get("deletion_requested_at"), new.get("purge_at")
    if not requested or old.get("deletion_requested_at") or not purge_at or int(purge_at) <= int(requested):
        return []
    stamp = records.own_stamp(old, new) or {}
    body = {
        "type": jobs.NOTICE,
        "kind": DELETION_REQUESTED,
        "tenant_id": new.get("tenant_id"),
        "user_id": new.get("id"),
        "change_id": stamp.get("id") or f"deletion#{int(requested)}",
        "to": new.get("email"),
        "purge_at": int(purge_at),
    }
    return [jobs.Job("email", body)]


def purged(
    old: dict[str, Any] | None, sequence: str, at: int, identity: dict[str, Any] | None = None
) -> ChangeEvent | None:
    """The purge of the user whose item a stream record removed (None: not a user item's REMOVE):
    done, and its `user.deleted` event to keep and put."""
    if old is None or old.get("SK") != keys.USER_SK:
        return None
    tid, uid = str(old["tenant_id"]), str(old["id"])
    by_ttl = (identity or {}).get("principalId") == TTL_SERVICE["principalId"]
    stamp = old.get("change") or {}
    items = store.collection(tid, uid)
    entries = [i for i in items if str(i["SK"]).startswith(keys.AUDIT_PREFIX)]
    history = [json.loads(str(i["entry"])) for i in entries]
    _delete_the_rest(tid, uid, old, items, history)
    for item, entry in zip(entries, history, strict=True):
        clean = pseudonymised(entry)
        if clean != entry:
            store.rewrite_entry(item, clean)
    change_id = _change_id(stamp.get("id"), sequence, at)
    requested_by = _actor(stamp, uid)
    purged_by = {"type": "system"} if by_ttl else requested_by
    tenant = tenancy.tenant(tid)
    days = tenant.audit_retention_days if tenant else records.Tenant("", "").audit_retention_days
    receipt = {
        "tenant_id": tid,
        "user_id": uid,
        "change_id": change_id,
        "requested_at": rfc3339(int(old["deletion_requested_at"]))
        if old.get("deletion_requested_at")
        else None,
        "requested_by": requested_by,
        "purged_at": rfc3339(at),
        "purged_by": purged_by,
        "via": "ttl" if by_ttl else "at_once",
    }
    store.put_receipt(tid, uid, receipt, now() + days * DAY)
    detail: dict[str, Any] = {
        "tenant_id": tid,
        "user_id": uid,
        "version": int(old.get("version") or 0),
        "sequence": sequence,
        "change_id": change_id,
        "actor": purged_by,
        "request_id": None if by_ttl else stamp.get("request_id"),
        "time": rfc3339(at),
        "changed": [],
        "before": {},
        "after": {},
    }
    return ChangeEvent(DELETED, detail)


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
