"""What a committed change of a user means to the tenant's systems: one event per change.

Built from the table stream's record of the change (the item before and after, and the `change`
attribute the write stamped: `hellojohn.actors`), so the request that made it gains no round trip.
The catalogue, in the order a change is named when it is several at once (docs/EVENTS.md):
`user.created`, `user.password_changed`, `user.disabled`, `user.enabled`, `user.email_changed`,
`user.email_change_requested`, `user.email_change_cancelled`, `user.signed_in`,
`user.sessions_revoked`, `user.unlocked`, `user.updated`.

A write without a change of its own (its stamp is the one the item already had: the guess counters)
or that changes nothing a consumer sees (the verification worker's token and sent-at) is no event.
"""

from dataclasses import dataclass
from typing import Any

from hellojohn.event_types import CATALOGUE  # noqa: F401 - the catalogue, named here too
from hellojohn.models import AdminUser, view_of
from hellojohn.records import User, own_stamp, password_changed

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


def for_change(
    old: dict[str, Any] | None, new: dict[str, Any] | None, sequence: str, at: str
) -> ChangeEvent | None:
    """The event of one stream record of a user item (images deserialised), or None."""
    if new is None or new.get("SK") != "USER":
        return None
    stamp = own_stamp(old, new)
    if stamp is None:
        return None
    before_user = User.from_item(old) if old is not None else None
    after_user = User.from_item(new)
    after = view_of(AdminUser, after_user).model_dump(mode="json")
    before = view_of(AdminUser, before_user).model_dump(mode="json") if before_user else {}
    if before_user is None:
        changed = [f for f in FIELDS if after.get(f) is not None]
        kind = "user.created"
    else:
        changed = [f for f in FIELDS if before.get(f) != after.get(f)]
        kind = ""
    password_moved = old is not None and password_changed(old, new)  # a sign-in's rehash is no change
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
        (password_moved, "user.password_changed"),
        (old.disabled != new.disabled, "user.disabled" if new.disabled else "user.enabled"),
        (old.email != new.email, "user.email_changed"),
        (
            bool(new.pending_change_id) and new.pending_change_id != old.pending_change_id,
            "user.email_change_requested",
        ),
        (
            bool(old.pending_change_id) and not new.pending_change_id,
            "user.email_change_cancelled",
        ),
        (bool(added), "user.signed_in"),
        (bool(revoked), "user.sessions_revoked"),
        (unlocked, "user.unlocked"),
        (bool(changed), "user.updated"),
    )
    return next((name for hit, name in named if hit), "")
