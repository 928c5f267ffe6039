"""The emails' link tokens and what goes with them: items the email worker writes beside the user.

- a link token, stored by its hash, single use: `verify` (the verification email's: confirms the
  pending change), `cancel` and `restore` (the security notices', docs/NOTICES.md);
- each user's restore links still usable (`RestoreLinks`);
- the notices' sent markers (a redelivered job sends nothing).

None of them is the user item, so none of their writes is a change event or a history entry
(the outbox reads user items only: `rules.outbox`).
"""

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from hellojohn.store import keys
from hellojohn.store.client import (
    dynamodb,
    error_code,
    failed_item,
    from_item,
    get_many,
    table_name,
    to_av,
    to_item,
)
from hellojohn.timeutil import DAY

SENT_TTL_SECONDS = 14 * DAY  # past SQS's longest retention (14 days): a late copy still finds it
VERIFY, CANCEL, RESTORE = "verify", "cancel", "restore"  # the links' kinds


@dataclass(frozen=True)
class Link:
    """What a link token may do: `verify` the pending change `change_id` (to `email`, the address it
    was sent to), `cancel` it, or `restore` `email` while the user's address is still `new_email`
    (the change `change_id` made)."""

    tenant_id: str
    user_id: str
    kind: str  # VERIFY | CANCEL | RESTORE
    change_id: str
    email: str
    new_email: str
    expires_at: int


def _key(token_hash: str, kind: str) -> dict[str, Any]:
    return keys.verification(token_hash) if kind == VERIFY else keys.notice_link(token_hash)


def new_link(token_hash: str, link: Link) -> dict[str, Any]:
    """A transaction item creating the token (`put_link` writes it with its note, `_noted`)."""
    item = {
        **_key(token_hash, link.kind),
        **to_item(
            {
                "tenant_id": link.tenant_id,
                "user_id": link.user_id,
                "kind": link.kind,
                "change_id": link.change_id,
                "email": link.email,
                "new_email": link.new_email,
                "expires_at": link.expires_at,
                "ttl": link.expires_at,
            }
        ),
    }
    condition = "attribute_not_exists(PK)"
    return {"Put": {"TableName": table_name(), "Item": item, "ConditionExpression": condition}}


def _noted(token_hash: str, link: Link) -> Any:
    """A transaction item: the token's hash noted beside the user's restore links, for as long as
    the token lives (the purge of a deleted user deletes its tokens from there)."""
    return {
        "Put": {
            "TableName": table_name(),
            "Item": {
                **keys.link_noted(link.tenant_id, link.user_id, token_hash),
                **to_item({"ttl": link.expires_at}),
            },
        }
    }


def put_link(token_hash: str, link: Link) -> None:
    items: list[Any] = [new_link(token_hash, link), _noted(token_hash, link)]
    dynamodb().transact_write_items(TransactItems=items)


@dataclass(frozen=True)
class RestoreLinks:
    """A user's restore links (one item, `keys.restore_links`): each change id whose restore link
    is still usable, with the address it restores (the one it was sent to) and its expiry.

    `floor`: the last restore's own id; a link for a change before it can no longer be added (a
    late job of a change the restore voided). `version` counts writes (0: no item yet), so a
    restore, which rewrites the map, never loses a link added while it ran."""

    links: dict[str, tuple[str, int]]
    floor: str | None = None
    version: int = 0

    def live(self, now: int) -> dict[str, tuple[str, int]]:
        return {cid: entry for cid, entry in self.links.items() if entry[1] > now}


def _restore_links(d: dict[str, Any]) -> RestoreLinks:
    """The user's restore links from their item (deserialised; empty: no item)."""
    links = {cid: (str(e["to"]), int(e["expires_at"])) for cid, e in (d.get("links") or {}).items()}
    if "links" not in d and d.get("token_hash"):  # a pointer written before issue 24: its one link
        links = {str(d["change_id"]): ("", int(d.get("ttl") or 0))}  # (its address is on the token)
    return RestoreLinks(links, d.get("floor"), int(d.get("version") or 0))


def get_restore_links(tid: str, uid: str) -> RestoreLinks:
    out = dynamodb().get_item(TableName=table_name(), Key=keys.restore_links(tid, uid), ConsistentRead=True)
    return _restore_links(from_item(out.get("Item") or {}))


def get_user_and_restore_links(tid: str, uid: str) -> tuple[dict[str, Any] | None, RestoreLinks]:
    """The user item (raw) and the user's restore links, in one BatchGetItem (strongly consistent)."""
    user: dict[str, Any] | None = None
    links = _restore_links({})
    for d in get_many([keys.user(tid, uid), keys.restore_links(tid, uid)]):
        if d["SK"] == keys.USER_SK:
            user = d
        else:
            links = _restore_links(d)
    return user, links


class Voided(Exception):
    """A restore since this change voided its links: this one can no longer be added."""


class Raced(Exception):
    """The user's restore links changed between their read and this write: read again."""


def add_restore_link(token_hash: str, link: Link, known: RestoreLinks, now: int) -> None:
    """The restore token and its entry in the user's restore links, in one transaction; entries
    already expired are dropped by the same write. Every other live link stays usable."""
    entry = {"to": link.email, "expires_at": link.expires_at}
    collection: Any
    if known.version == 0:  # the first, or the first over a pointer written before issue 24
        carried = {cid: {"to": to, "expires_at": expires} for cid, (to, expires) in known.links.items()}
        collection = {
            "Put": {
                "TableName": table_name(),
                "Item": {
                    **keys.restore_links(link.tenant_id, link.user_id),
                    **to_item(
                        {"links": {**carried, link.change_id: entry}, "version": 1, "ttl": link.expires_at}
                    ),
                },
                "ConditionExpression": "attribute_not_exists(PK) OR attribute_not_exists(#links)",
                "ExpressionAttributeNames": {"#links": "links"},
            }
        }
    else:
        names = {"#links": "links", "#cid": link.change_id, "#v": "version", "#ttl": "ttl", "#floor": "floor"}
        expired = [cid for cid, (_, expires) in known.links.items() if expires <= now][:50]
        names.update({f"#x{i}": cid for i, cid in enumerate(expired)})
        remove = f" REMOVE {', '.join(f'#links.#x{i}' for i in range(len(expired)))}" if expired else ""
        collection = {
            "Update": {
                "TableName": table_name(),
                "Key": keys.restore_links(link.tenant_id, link.user_id),
                "UpdateExpression": f"SET #links.#cid = :entry, #v = #v + :one, #ttl = :ttl{remove}",
                "ConditionExpression": "attribute_exists(#links) AND "
                "(attribute_not_exists(#floor) OR #floor < :cid)",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": {
                    ":entry": to_av(entry),
                    ":one": {"N": "1"},
                    ":ttl": {"N": str(link.expires_at)},
                    ":cid": {"S": link.change_id},
                },
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }
    items: list[Any] = [new_link(token_hash, link), collection, _noted(token_hash, link)]
    try:
        dynamodb().transact_write_items(TransactItems=items)
    except ClientError as exc:
        if error_code(exc) != "TransactionCanceledException":
            raise
        now_there = failed_item(exc, 1)
        if now_there and now_there.get("floor") and str(now_there["floor"]) >= link.change_id:
            raise Voided from None
        raise Raced from None


def get_link(token_hash: str, kind: str) -> Link | None:
    """The token's link, if it is a link of `kind` (a verification token's item, written before the
    links were one kind of item, has no kind and one address)."""
    out = dynamodb().get_item(TableName=table_name(), Key=_key(token_hash, kind), ConsistentRead=True)
    item = out.get("Item")
    if not item:
        return None
    d = from_item(item)
    if d.get("kind", VERIFY) != kind:
        return None
    return Link(
        d["tenant_id"],
        d["user_id"],
        kind,
        d["change_id"],
        d["email"],
        d.get("new_email", d["email"]),
        int(d["expires_at"]),
    )


def spend_link(token_hash: str, kind: str) -> dict[str, Any]:
    """A transaction item deleting the token, only if it is still there (single use)."""
    return {
        "Delete": {
            "TableName": table_name(),
            "Key": _key(token_hash, kind),
            "ConditionExpression": "attribute_exists(PK)",
        }
    }


def spend_restore_links(
    tid: str, uid: str, change_id: str, known: RestoreLinks, floor: str, ttl: int
) -> dict[str, Any]:
    """A transaction item voiding the link of `change_id` and of every later change (the links
    sent to the addresses that came after it): the map rewritten from the one read, conditioned
    on its version (no link added meanwhile is lost) and on the link still being in it."""
    remaining = {
        cid: {"to": to, "expires_at": expires}
        for cid, (to, expires) in known.links.items()
        if cid < change_id
    }
    names = {"#links": "links", "#floor": "floor", "#v": "version", "#ttl": "ttl"}
    names.update({"#pth": "token_hash", "#pcid": "change_id"})
    values: dict[str, Any] = {
        ":remaining": to_av(remaining),
        ":floor": {"S": floor},
        ":zero": {"N": "0"},
        ":one": {"N": "1"},
        ":ttl": {"N": str(ttl)},
    }
    if known.version == 0:  # a pointer written before issue 24, naming this link
        condition = "attribute_not_exists(#v) AND #pcid = :cid"
        values[":cid"] = {"S": change_id}
    else:
        condition = "#v = :v AND attribute_exists(#links.#cid)"
        names["#cid"] = change_id
        values[":v"] = {"N": str(known.version)}
    return {
        "Update": {
            "TableName": table_name(),
            "Key": keys.restore_links(tid, uid),
            "UpdateExpression": "SET #links = :remaining, #floor = :floor, "
            "#v = if_not_exists(#v, :zero) + :one, #ttl = :ttl REMOVE #pth, #pcid",
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }


def was_sent(tid: str, change_id: str, kind: str) -> bool:
    out = dynamodb().get_item(
        TableName=table_name(), Key=keys.notice_sent(tid, change_id, kind), ConsistentRead=True
    )
    return bool(out.get("Item"))


def mark_sent(tid: str, change_id: str, kind: str, now: int) -> None:
    """Record that the notice went out; a second mark (two copies of a job at once) changes nothing."""
    try:
        dynamodb().put_item(
            TableName=table_name(),
            Item={**keys.notice_sent(tid, change_id, kind), **to_item({"ttl": now + SENT_TTL_SECONDS})},
            ConditionExpression="attribute_not_exists(PK)",
        )
    except ClientError as exc:
        if error_code(exc) != "ConditionalCheckFailedException":
            raise
