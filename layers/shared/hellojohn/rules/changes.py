"""The rules of a profile change, shared by the admin PATCH and the self-service PATCH, and the
one rule of every user write for a change that changes nothing (`unchanged`).

A change is computed as record-level values (attribute -> value, None removes, `IfAbsent` sets
one that is missing) so the same values are written to the store and applied to the read copy
for the response.
"""

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from hellojohn import errors, ids
from hellojohn.errors import FieldIssue
from hellojohn.fields import check_international, email_key
from hellojohn.records import PENDING_FIELDS, Tenant, User
from hellojohn.store.users import IfAbsent

_PLAIN = ("name", "avatar_url", "phone_number", "public_metadata", "private_metadata")


@dataclass
class Plan:
    """What a PATCH will do: plain values, and how the email moves (if at all)."""

    values: dict[str, Any] = field(default_factory=dict)
    email_switch: str | None = None  # switch now (admin with email_verified: true)
    email_pending: str | None = None  # start a verification

    @property
    def touches_email(self) -> bool:
        return self.email_switch is not None or self.email_pending is not None


def plan(tenant: Tenant, sent: dict[str, Any]) -> Plan:
    """The plan for the fields that were sent (only those change)."""
    p = Plan()
    for name in _PLAIN:
        if name in sent:
            p.values[name] = sent[name]
    for name in ("public_metadata", "private_metadata"):
        if name in p.values and p.values[name] is None:  # null clears: stored as the empty map it reads as
            p.values[name] = {}
    if "role" in sent:
        if sent["role"] not in tenant.roles:
            raise errors.validation_failed(
                [FieldIssue("role", f"must be one of the tenant's roles: {', '.join(tenant.roles)}")]
            )
        p.values["role"] = sent["role"]
    if "email" in sent:
        check_international(sent["email"], tenant.allow_international_emails)
        if sent.get("email_verified") is True:
            p.email_switch = sent["email"]
        else:
            p.email_pending = sent["email"]
    elif "email_verified" in sent:
        p.values["email_verified"] = sent["email_verified"]
    return p


def email_values(user: User, p: Plan, now: int) -> tuple[dict[str, Any], str | None, str | None]:
    """(values, claim to put, claim to delete) for the email part of a plan, given the current user."""
    new = p.email_switch or p.email_pending
    if new is None:
        raise ValueError("the plan does not change the email")
    if email_key(new) == email_key(user.email):
        # The same address (perhaps re-cased): nothing to verify; any pending change is cancelled.
        values: dict[str, Any] = {"email": new, **dict.fromkeys(PENDING_FIELDS)}
        if p.email_switch:
            values["email_verified"] = True
        return values, None, None
    if p.email_switch:
        return (
            {"email": new, "email_verified": True, **dict.fromkeys(PENDING_FIELDS)},
            email_key(new),
            email_key(user.email),
        )
    values = {
        **dict.fromkeys(PENDING_FIELDS),
        "pending_email": new,
        "pending_change_id": ids.new_id("chg"),
        "pending_requested_at": now,
    }
    return values, None, None


_DEFAULT = User(id="", tenant_id="", email="")  # every field at its default, as an absent attribute reads


def unchanged(user: User, values: dict[str, Any]) -> bool:
    """The values would change nothing of the user as read: every value is already there (None:
    the field is at its default, as an absent attribute reads). A write of such values is no
    write at all: no version, no ETag, no event (the store's `Update.changes_only` is the same
    rule on the item, so DynamoDB refuses it where the user was not read first)."""
    for name, value in values.items():
        if isinstance(value, IfAbsent):
            continue
        if not hasattr(user, name):
            return False
        current = getattr(user, name)
        if value is None:
            if current != getattr(_DEFAULT, name):
                return False
        elif current != value or type(current) is not type(value):
            return False
    return True


def applied(user: User, values: dict[str, Any], now: int, bump: bool = True) -> User:
    """The user as the store now holds it, without reading it again."""
    known = {f.name for f in dataclasses.fields(User)}
    fields = {k: v for k, v in values.items() if k in known}
    for name, value in list(fields.items()):
        if isinstance(value, IfAbsent):
            current = getattr(user, name)
            fields[name] = value.value if current is None else current
    for f in dataclasses.fields(User):  # a removed attribute reads back as its default (User.from_item)
        if f.name in fields and fields[f.name] is None:
            factory = f.default_factory
            fields[f.name] = factory() if factory is not dataclasses.MISSING else f.default
    if bump:
        fields.update(version=user.version + 1, updated_at=now)
    return dataclasses.replace(user, **fields)
