"""The security notices' items: link tokens (by hash), the live restore link, sent markers.

None of them is the user item, so none of their writes is a change event or a history entry
(`rules.change_events` reads user items only).
"""

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from hellojohn.store import keys
from hellojohn.store.client import dynamodb, error_code, from_item, table_name, to_item

SENT_TTL_SECONDS = 14 * 24 * 3600  # past SQS's longest retention (14 days): a late copy still finds it


@dataclass(frozen=True)
class Link:
    """What a link token may do: `cancel` the pending change `change_id`, or `restore` `email`
    while the user's address is still `new_email` (the change `change_id` made)."""

    tenant_id: str
    user_id: str
    kind: str  # "cancel" | "restore"
    change_id: str
    email: str
    new_email: str
    expires_at: int


def _link_item(token_hash: str, link: Link) -> dict[str, Any]:
    return {
        **keys.notice_link(token_hash),
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


def put_link(token_hash: str, link: Link) -> None:
    dynamodb().put_item(
        TableName=table_name(),
        Item=_link_item(token_hash, link),
        ConditionExpression="attribute_not_exists(PK)",
    )


class Superseded(Exception):
    """A newer email change already holds the user's live restore link."""


def put_restore_link(token_hash: str, link: Link) -> None:
    """The restore token and the user's pointer to it, in one transaction; the pointer only moves
    forward (change ids are ULIDs: a late job of an older change cannot take it back)."""
    try:
        dynamodb().transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": table_name(),
                        "Item": _link_item(token_hash, link),
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                },
                {
                    "Put": {
                        "TableName": table_name(),
                        "Item": {
                            **keys.restore_pointer(link.tenant_id, link.user_id),
                            **to_item(
                                {
                                    "token_hash": token_hash,
                                    "change_id": link.change_id,
                                    "ttl": link.expires_at,
                                }
                            ),
                        },
                        "ConditionExpression": "attribute_not_exists(PK) OR change_id <= :cid",
                        "ExpressionAttributeValues": {":cid": {"S": link.change_id}},
                    }
                },
            ]
        )
    except ClientError as exc:
        if error_code(exc) == "TransactionCanceledException":
            raise Superseded from None
        raise


def drop_restore_pointer(tid: str, uid: str, change_id: str, ttl: int) -> None:
    """No restore link is live after `change_id` (its notice is switched off): an older one dies."""
    try:
        dynamodb().put_item(
            TableName=table_name(),
            Item={**keys.restore_pointer(tid, uid), **to_item({"change_id": change_id, "ttl": ttl})},
            ConditionExpression="attribute_not_exists(PK) OR change_id <= :cid",
            ExpressionAttributeValues={":cid": {"S": change_id}},
        )
    except ClientError as exc:
        if error_code(exc) != "ConditionalCheckFailedException":
            raise


def get_link(token_hash: str) -> Link | None:
    out = dynamodb().get_item(TableName=table_name(), Key=keys.notice_link(token_hash), ConsistentRead=True)
    item = out.get("Item")
    if not item:
        return None
    d = from_item(item)
    return Link(
        d["tenant_id"],
        d["user_id"],
        d["kind"],
        d["change_id"],
        d["email"],
        d["new_email"],
        int(d["expires_at"]),
    )


def spend_link(token_hash: str) -> dict[str, Any]:
    """A transaction item deleting the token, only if it is still there (single use)."""
    return {
        "Delete": {
            "TableName": table_name(),
            "Key": keys.notice_link(token_hash),
            "ConditionExpression": "attribute_exists(PK)",
        }
    }


def spend_restore_pointer(tid: str, uid: str, token_hash: str) -> dict[str, Any]:
    """A transaction item deleting the user's restore pointer, only while it names this token."""
    return {
        "Delete": {
            "TableName": table_name(),
            "Key": keys.restore_pointer(tid, uid),
            "ConditionExpression": "token_hash = :th",
            "ExpressionAttributeValues": {":th": {"S": token_hash}},
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
