"""User items, their email claims and their session map.

Every write is conditional: on the item existing; on what it read and must not have changed
underneath (the version when the caller sent If-Match; otherwise only the attributes the write
depends on), so concurrent requests never lose each other's changes; and, for a write made of
record-level changes (`changes_to_update`), on at least one of them changing something, so a
write that changes nothing is refused by DynamoDB and makes no version, no stream record.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from hellojohn import actors
from hellojohn.fields import email_key
from hellojohn.records import User
from hellojohn.store import keys
from hellojohn.store.client import (
    cancellation_reasons,
    dynamodb,
    error_code,
    failed_item,
    from_item,
    table_name,
    to_av,
    to_item,
)
from hellojohn.timeutil import HOUR
from hellojohn.timeutil import now as _now

Path = str | tuple[str, str]
DELETION = "deletion_requested_at"  # set while a deletion is pending (hellojohn.rules.deletion)


class ConditionFailed(Exception):
    """A conditional write did not apply; `current` is the item as it was (None: no such user)."""

    def __init__(self, current: User | None, reasons: Sequence[str] = ()) -> None:
        super().__init__("condition failed")
        self.current = current
        self.reasons = list(reasons)


class ClaimTaken(Exception):
    """The email claim belongs to another user."""


@dataclass(frozen=True)
class Condition:
    expression: str
    names: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)


def password_hash_is(password_hash: str | None) -> Condition:
    """The password is still the one that was checked (no other write needs to have waited)."""
    if password_hash is None:
        return Condition("attribute_not_exists(#pwh)", {"#pwh": "password_hash"})
    return Condition("#pwh = :pwh", {"#pwh": "password_hash"}, {":pwh": password_hash})


def version_is(version: int) -> Condition:
    return Condition("#version = :expected_version", {"#version": "version"}, {":expected_version": version})


def session_active(sid: str, tag: str = "cur") -> Condition:
    """The session is still in the user's `sessions` map (`tag` keeps two such conditions apart)."""
    return Condition(f"attribute_exists(#sessions.#{tag}_sid)", {"#sessions": "sessions", f"#{tag}_sid": sid})


def metadata_is(name: str, value: dict[str, Any]) -> Condition:
    """A metadata field is still `value` as it was read (its JSON text, as every write stores it;
    an empty one may also be absent): what a merge depends on, and nothing else of the user."""
    names, values = {f"#is_{name}": name}, {f":is_{name}": stored(name, value)}
    if value:
        return Condition(f"#is_{name} = :is_{name}", names, values)
    return Condition(f"attribute_not_exists(#is_{name}) OR #is_{name} = :is_{name}", names, values)


def email_key_is(value: str) -> Condition:
    return Condition("#email_key = :is_email", {"#email_key": "email_key"}, {":is_email": value})


def email_key_is_not(value: str) -> Condition:
    return Condition("#email_key <> :not_email", {"#email_key": "email_key"}, {":not_email": value})


def pending_token_is(token_hash: str) -> Condition:
    return Condition("#pth = :pth", {"#pth": "pending_token_hash"}, {":pth": token_hash})


def pending_change_is(change_id: str) -> Condition:
    return Condition("#pcid = :pcid", {"#pcid": "pending_change_id"}, {":pcid": change_id})


def not_disabled() -> Condition:
    return Condition("#disabled = :false", {"#disabled": "disabled"}, {":false": False})


@dataclass(frozen=True)
class IfAbsent:
    """A value set only where the attribute has none (`if_not_exists`): a consequence of a change
    (when a user was disabled), never a change of its own."""

    value: Any


@dataclass
class Update:
    """One change to a user item: SET and REMOVE paths, and the conditions it depends on.

    `changes_only`: the write applies only if some SET path would get a new value or some REMOVE
    path exists (`IfAbsent` values do not count): DynamoDB refuses a write that changes nothing,
    so it bumps no version and makes no stream record (`ConditionFailed` with the item as it is)."""

    set: dict[Path, Any] = field(default_factory=dict)
    remove: list[Path] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)
    touch: bool = True  # bump version and updated_at: False only for session bookkeeping
    changes_only: bool = False
    pending_deletion_ok: bool = False  # only a deletion and a restore may write a user pending deletion

    def expression(self, now: int) -> tuple[str, str, dict[str, str], dict[str, Any]]:
        # every write says who made it (the stream's change events and audit history read it)
        names: dict[str, str] = {"#pk": "PK", "#change": "change"}
        values: dict[str, Any] = {":change": actors.stamp()}
        sets: list[str] = ["#change = :change"]
        if self.touch:
            names.update({"#version": "version", "#updated_at": "updated_at"})
            values.update({":one": 1, ":now": now})
            sets += ["#version = #version + :one", "#updated_at = :now"]
        removes: list[str] = []

        def path(p: Path, i: int) -> str:
            if isinstance(p, tuple):
                names[f"#p{i}"] = p[0]
                names[f"#k{i}"] = p[1]
                return f"#p{i}.#k{i}"
            names[f"#p{i}"] = p
            return f"#p{i}"

        i = 0
        differs: list[str] = []
        for p, v in self.set.items():
            named = path(p, i)
            if isinstance(v, IfAbsent):
                sets.append(f"{named} = if_not_exists({named}, :v{i})")
                values[f":v{i}"] = v.value
            else:
                sets.append(f"{named} = :v{i}")
                values[f":v{i}"] = v
                differs.append(f"attribute_not_exists({named}) OR {named} <> :v{i}")
            i += 1
        for p in self.remove:
            named = path(p, i)
            removes.append(named)
            differs.append(f"attribute_exists({named})")
            i += 1
        update = " ".join(
            part
            for part in (
                "SET " + ", ".join(sets) if sets else "",
                "REMOVE " + ", ".join(removes) if removes else "",
            )
            if part
        )
        cond = ["attribute_exists(#pk)"]
        if not self.pending_deletion_ok:  # the guard: a user pending deletion is not changed
            cond.append(f"attribute_not_exists(#{DELETION})")
            names[f"#{DELETION}"] = DELETION
        for c in self.conditions:
            cond.append(f"({c.expression})")
            names.update(c.names)
            values.update(c.values)
        if self.changes_only and differs:
            # DynamoDB refuses redundant parentheses: a term is wrapped only when it is one of several
            terms = [f"({d})" if len(differs) > 1 and " OR " in d else d for d in differs]
            cond.append("(" + " OR ".join(terms) + ")")
        return update, " AND ".join(cond), names, {k: to_av(v) for k, v in values.items()}


def get(tid: str, uid: str) -> User | None:
    """The user; None when there is none, or it is past its purge time (gone before TTL removes it)."""
    out = dynamodb().get_item(TableName=table_name(), Key=keys.user(tid, uid), ConsistentRead=True)
    item = out.get("Item")
    user = User.from_item(from_item(item)) if item else None
    return None if user is None or user.gone(_now()) else user


def get_many(tid: str, uids: Sequence[str]) -> list[User]:
    """BatchGetItem in the order given; ids that do not exist are skipped."""
    found: dict[str, User] = {}
    pending: list[dict[str, Any]] = [keys.user(tid, uid) for uid in dict.fromkeys(uids)]
    while pending:
        batch, pending = pending[:100], pending[100:]
        request: dict[str, Any] = {table_name(): {"Keys": batch, "ConsistentRead": True}}
        while request:
            out = dynamodb().batch_get_item(RequestItems=request)
            for item in out.get("Responses", {}).get(table_name(), []):
                user = User.from_item(from_item(item))
                if not user.gone(_now()):
                    found[user.id] = user
            request = dict(out.get("UnprocessedKeys") or {})
    return [found[u] for u in uids if u in found]


def id_for_email(tid: str, key: str) -> str | None:
    out = dynamodb().get_item(TableName=table_name(), Key=keys.email_claim(tid, key), ConsistentRead=True)
    item = out.get("Item")
    return item["user_id"]["S"] if item else None


def list_ids(tid: str, limit: int, after: str | None) -> tuple[list[str], bool]:
    """A page of the tenant's user ids, oldest first (ULIDs sort by creation)."""
    params: dict[str, Any] = {
        "TableName": table_name(),
        "IndexName": "GSI1",
        "KeyConditionExpression": "GSI1PK = :pk",
        "ExpressionAttributeValues": {":pk": {"S": keys.users_index_pk(tid)}},
        "Limit": limit + 1,
    }
    if after:
        user_key = keys.user(tid, after)
        params["ExclusiveStartKey"] = {
            **user_key,
            "GSI1PK": {"S": keys.users_index_pk(tid)},
            "GSI1SK": {"S": after},
        }
    out = dynamodb().query(**params)
    ids = [item["GSI1SK"]["S"] for item in out.get("Items", [])]
    return ids[:limit], len(ids) > limit


def user_item(user: User) -> dict[str, Any]:
    """A new user's item: the record's attributes, its keys, and the email key the claim uses."""
    return {
        **keys.user(user.tenant_id, user.id),
        "GSI1PK": {"S": keys.users_index_pk(user.tenant_id)},
        "GSI1SK": {"S": user.id},
        **to_item({**user.to_item(), "email_key": email_key(user.email), "change": actors.stamp()}),
    }


CLAIM_FREE = "attribute_not_exists(PK) OR #purge_at <= :now"
"""An email claim is free when no user holds it, or its user is past its purge time (the claim
carries the user's `purge_at` while a deletion is pending: hellojohn.rules.deletion)."""


def create(user: User) -> None:
    """The user and its email claim, both or neither."""
    try:
        dynamodb().transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": table_name(),
                        "Item": user_item(user),
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                },
                {
                    "Put": {
                        "TableName": table_name(),
                        "Item": {
                            **keys.email_claim(user.tenant_id, email_key(user.email)),
                            "user_id": {"S": user.id},
                        },
                        "ConditionExpression": CLAIM_FREE,
                        "ExpressionAttributeNames": {"#purge_at": "purge_at"},
                        "ExpressionAttributeValues": {":now": {"N": str(_now())}},
                    }
                },
            ]
        )
    except ClientError as exc:
        if error_code(exc) == "TransactionCanceledException" and cancellation_reasons(exc)[1:2] == [
            "ConditionalCheckFailed"
        ]:
            raise ClaimTaken from None
        raise


def update(tid: str, uid: str, change: Update, now: int) -> User:
    """One UpdateItem returning the new item: the single round trip of most writes."""
    expr, cond, names, values = change.expression(now)
    try:
        out = dynamodb().update_item(
            TableName=table_name(),
            Key=keys.user(tid, uid),
            UpdateExpression=expr,
            ConditionExpression=cond,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as exc:
        if error_code(exc) == "ConditionalCheckFailedException":
            old = failed_item(exc)
            raise ConditionFailed(User.from_item(old) if old else None) from None
        raise
    return User.from_item(from_item(out["Attributes"]))


@dataclass
class ClaimMove:
    """Email claims that move with a change: the new one is put, the old one deleted."""

    tenant_id: str
    user_id: str
    put_key: str | None = None
    delete_key: str | None = None
    check_key: str | None = None  # only check the address is free (or already this user's)


def transact_with(tid: str, uid: str, change: Update, now: int, *extra: Any) -> None:
    """The user change and other items (`extra`), no email claim moving, in one transaction."""
    transact(tid, uid, change, ClaimMove(tid, uid), now, extra)


def transact(
    tid: str, uid: str, change: Update, claims: ClaimMove, now: int, extra: Iterable[Any] = ()
) -> None:
    """The user change and its claim moves in one transaction; `ClaimTaken` when the address is taken."""
    expr, cond, names, values = change.expression(now)
    items: list[Any] = [
        {
            "Update": {
                "TableName": table_name(),
                "Key": keys.user(tid, uid),
                "UpdateExpression": expr,
                "ConditionExpression": cond,
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }
    ]
    free_or_mine = {
        "ConditionExpression": "attribute_not_exists(PK) OR user_id = :uid OR #purge_at <= :now",
        "ExpressionAttributeNames": {"#purge_at": "purge_at"},
        "ExpressionAttributeValues": {":uid": {"S": uid}, ":now": {"N": str(now)}},
    }
    claim_index = len(items)
    if claims.put_key:
        items.append(
            {
                "Put": {
                    "TableName": table_name(),
                    "Item": {**keys.email_claim(tid, claims.put_key), "user_id": {"S": uid}},
                    **free_or_mine,
                }
            }
        )
    elif claims.check_key:
        items.append(
            {
                "ConditionCheck": {
                    "TableName": table_name(),
                    "Key": keys.email_claim(tid, claims.check_key),
                    **free_or_mine,
                }
            }
        )
    if claims.delete_key and claims.delete_key != claims.put_key:
        items.append(
            {
                "Delete": {
                    "TableName": table_name(),
                    "Key": keys.email_claim(tid, claims.delete_key),
                    "ConditionExpression": "user_id = :uid",
                    "ExpressionAttributeValues": {":uid": {"S": uid}},
                }
            }
        )
    items.extend(extra)
    try:
        dynamodb().transact_write_items(TransactItems=items)
    except ClientError as exc:
        if error_code(exc) != "TransactionCanceledException":
            raise
        reasons = cancellation_reasons(exc)
        if reasons and reasons[0] == "ConditionalCheckFailed":
            raw = failed_item(exc, 0)
            raise ConditionFailed(User.from_item(raw) if raw else None, reasons) from None
        if len(reasons) > claim_index and reasons[claim_index] == "ConditionalCheckFailed":
            raise ClaimTaken from None
        if "ConditionalCheckFailed" in reasons or "TransactionConflict" in reasons:
            raise ConditionFailed(None, reasons) from None
        raise


def changes_to_update(changes: dict[str, Any], conditions: list[Condition] | None = None) -> Update:
    """Record-level changes (attribute -> value; None removes it; `IfAbsent` sets a missing one) as
    an Update of the item that applies only if it changes something (`Update.changes_only`)."""
    update = Update(conditions=list(conditions or []), changes_only=True)
    for name, value in changes.items():
        if value is None:
            update.remove.append(name)
            continue
        update.set[name] = stored(name, value)
        if name == "email":
            update.set["email_key"] = email_key(str(value))
    return update


def stored(name: str, value: Any) -> Any:
    """A record-level value as the item holds it (the metadata maps as JSON text)."""
    from hellojohn.records import dump_metadata

    return dump_metadata(value) if name in ("public_metadata", "private_metadata") else value


def count_mail_to(tid: str, email_key: str, hour: int, limit: int) -> dict[str, Any]:
    """A transaction item counting one verification email to an address in `hour`; its condition
    fails once `limit` were counted."""
    return {
        "Update": {
            "TableName": table_name(),
            "Key": keys.mail_to(tid, email_key, hour),
            "UpdateExpression": "SET #n = if_not_exists(#n, :zero) + :one, #ttl = :ttl",
            "ConditionExpression": "attribute_not_exists(#n) OR #n < :limit",
            "ExpressionAttributeNames": {"#n": "n", "#ttl": "ttl"},
            "ExpressionAttributeValues": {
                ":zero": {"N": "0"},
                ":one": {"N": "1"},
                ":limit": {"N": str(limit)},
                ":ttl": {"N": str((hour + 2) * HOUR)},
            },
        }
    }
