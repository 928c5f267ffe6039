"""The email keys' migration (`scripts/rekey_emails.py`): users whose stored key is not the key
today's rule (`fields.email_key`) gives their address get their claim and `email_key` moved.

The write changes no `change` stamp, `version` or `updated_at`: the stream sees no change of the
user's own, so no notice, job or change event follows (`rules.outbox.own_stamp`).
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from hellojohn.store import keys
from hellojohn.store.client import cancellation_reasons, dynamodb, error_code, from_item, table_name


@dataclass(frozen=True)
class Stale:
    """A user whose stored email key is not the one the rule gives today."""

    tenant_id: str
    user_id: str
    email: str
    old_key: str
    new_key: str


class Taken(Exception):
    """The new key is another user's claim: two accounts that were look-alikes of each other."""


class Moved(Exception):
    """The user's address or key changed since it was read: read again."""


def stale(key_of: Callable[[str], str]) -> Iterator[Stale]:
    """Every user item whose `email_key` is not `key_of(email)` (one Scan of the table, paged)."""
    pages = dynamodb().get_paginator("scan")
    for page in pages.paginate(
        TableName=table_name(),
        FilterExpression="SK = :user",
        ProjectionExpression="tenant_id, id, email, email_key",
        ExpressionAttributeValues={":user": {"S": keys.USER_SK}},
    ):
        for raw in page.get("Items", []):
            item = from_item(raw)
            new = key_of(str(item["email"]))
            if item.get("email_key") != new:
                yield Stale(item["tenant_id"], item["id"], item["email"], str(item.get("email_key")), new)


def move(user: Stale) -> None:
    """One transaction: the new claim put (if no one holds it), the old one deleted (if it is the
    user's), the user's `email_key` set (if its address and key are still those read)."""
    uid = {":uid": {"S": user.user_id}}
    items: list[Any] = [
        {
            "Put": {
                "TableName": table_name(),
                "Item": {**keys.email_claim(user.tenant_id, user.new_key), "user_id": {"S": user.user_id}},
                "ConditionExpression": "attribute_not_exists(PK) OR user_id = :uid",
                "ExpressionAttributeValues": uid,
            }
        },
        {
            "Delete": {
                "TableName": table_name(),
                "Key": keys.email_claim(user.tenant_id, user.old_key),
                "ConditionExpression": "attribute_not_exists(PK) OR user_id = :uid",
                "ExpressionAttributeValues": uid,
            }
        },
        {
            "Update": {
                "TableName": table_name(),
                "Key": keys.user(user.tenant_id, user.user_id),
                "UpdateExpression": "SET email_key = :new",
                "ConditionExpression": "email = :email AND email_key = :old",
                "ExpressionAttributeValues": {
                    ":new": {"S": user.new_key},
                    ":old": {"S": user.old_key},
                    ":email": {"S": user.email},
                },
            }
        },
    ]
    try:
        dynamodb().transact_write_items(TransactItems=items)
    except Exception as exc:
        if error_code(exc) != "TransactionCanceledException":
            raise
        if cancellation_reasons(exc)[:1] == ["ConditionalCheckFailed"]:
            raise Taken from None
        raise Moved from None
