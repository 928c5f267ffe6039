"""What a committed change of a user means to the tenant's systems: one event per change.

Built from the table stream's record of the change (the item before and after, and the `change`
attribute the write stamped: `hellojohn.actors`), so the request that made it gains no round trip;
`rules.outbox` decides which records call for one and has it built here.
The catalogue is `hellojohn.event_types` (docs/EVENTS.md): `_name` below takes its types in its
order, the order a change is named when it is several at once; `user.deleted` is made by the purge
(`rules.purge`) from the user item's REMOVE.

A write without a change of its own (`outbox.own_stamp`: the guess counters) has no event built;
one that changes nothing a consumer sees (the verification worker's token and sent-at) has none.
"""

from dataclasses import dataclass
from typing import Any

from hellojohn import event_types as types
from hellojohn.models import AdminUser, view_of
from hellojohn.records import User
from hellojohn.timeutil import rfc3339

# What a consumer sees of a user: the admin view, less what every write moves or no change does
# (`locked_until` is read against the clock, not a stored change: an unlock is named, `user.unlocked`)
FIELDS = tuple(
    name for name in AdminUser.model_fields if name not in ("id", "tenant_id", "updated_at", "locked_until")
)
PASSWORD = "password"  # named in `changed` when the hash moved; no value, before or after, ever


@dataclass(frozen=True)
class ChangeEvent:
    detail_type: str
    detail: dict[str, Any]


def build(
    old: dict[str, Any] | None,
    new: dict[str, Any],
    stamp: dict[str, Any],
    password_moved: bool,
    sequence: str,
    at: str,
) -> ChangeEvent | None:
    """The event of a write of a user item (images deserialised) that made a change of its own
    (`stamp`; `password_moved`: `outbox.password_changed`), or None when it is no change named."""
    before_user = User.from_item(old) if old is not None else None
    after_user = User.from_item(new)
    after = view_of(AdminUser, after_user).model_dump(mode="json")
    before = view_of(AdminUser, before_user).model_dump(mode="json") if before_user else {}
    if before_user is None:
        changed = [f for f in FIELDS if after.get(f) is not None]
        kind = types.CREATED
    else:
        changed = [f for f in FIELDS if before.get(f) != after.get(f)]
        kind = ""
    if password_moved:
        changed.append(PASSWORD)
    added = sorted(set(after_user.sessions) - set(before_user.sessions if before_user else {}))
    revoked = sorted(set(before_user.sessions if before_user else {}) - set(after_user.sessions))
    if before_user is not None:
        unlocked = (
            stamp.get("actor") == "secret_key"
            and bool(before_user.locked_until)
            and not after_user.locked_until
        )
        kind = _name(before_user, after_user, password_moved, added, revoked, changed, unlocked)
    if not kind:
        return None
    actor = {"type": stamp.get("actor", "system")}
    if stamp.get("actor_id"):
        actor["key_id" if actor["type"] == "secret_key" else "user_id"] = stamp["actor_id"]
    elif actor["type"] == "user":
        actor["user_id"] = after_user.id
    if stamp.get("reverified_at"):  # made with a recent proof of the password (SECURITY.md)
        actor["reverified_at"] = rfc3339(int(stamp["reverified_at"]))
    detail: dict[str, Any] = {
        "tenant_id": after_user.tenant_id,
        "user_id": after_user.id,
        "version": after_user.version,
        "sequence": sequence,
        "change_id": stamp.get("id"),
        "actor": actor,
        "request_id": stamp.get("request_id"),
        "time": at,
        "changed": changed,
        "before": {f: before[f] for f in changed if f in before},
        "after": {f: after[f] for f in changed if f in after},
    }
    if added or revoked:
        detail["sessions"] = {"added": added, "revoked": revoked}
    return ChangeEvent(kind, detail)


def _name(
    old: User,
    new: User,
    password_moved: bool,
    added: list[str],
    revoked: list[str],
    changed: list[str],
    unlocked: bool,
) -> str:
    """The change's name: the first of the catalogue that it is."""
    named = (
        (bool(new.deletion_requested_at) and not old.deletion_requested_at, types.DELETION_REQUESTED),
        (bool(old.deletion_requested_at) and not new.deletion_requested_at, types.RESTORED),
        (password_moved, types.PASSWORD_CHANGED),
        (old.disabled != new.disabled, types.DISABLED if new.disabled else types.ENABLED),
        (old.email != new.email, types.EMAIL_CHANGED),
        (
            bool(new.pending_change_id) and new.pending_change_id != old.pending_change_id,
            types.EMAIL_CHANGE_REQUESTED,
        ),
        (
            bool(old.pending_change_id) and not new.pending_change_id,
            types.EMAIL_CHANGE_CANCELLED,
        ),
        (bool(added), types.SIGNED_IN),
        (bool(revoked), types.SESSIONS_REVOKED),
        (unlocked, types.UNLOCKED),
        (bool(changed), types.UPDATED),
    )
    return next((name for hit, name in named if hit), "")
