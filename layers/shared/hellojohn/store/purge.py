"""A deleted user's items: marked for the purge by the deletion, removed by it (docs/SECURITY.md).

The deletion marks the user item and its email claim with `purge_at` and the table's TTL attribute
(`ttl`), so DynamoDB removes both after the grace period; the TTL's REMOVE of the user item, on the
stream, starts the purge of everything else (`hellojohn.rules.purge`). A purge at once deletes the
user item and the claim itself, in one transaction: the same REMOVE on the stream, the same purge.
"""

import json
from collections.abc import Iterable
from typing import Any

from botocore.exceptions import ClientError

from hellojohn.store import keys
from hellojohn.store.client import dynamodb, error_code, from_item, table_name, to_item

TTL = "ttl"  # the table's TimeToLiveSpecification attribute (template.yaml)
RECEIPT_SK = "PURGED"


def claim_marked(tid: str, key: str, uid: str, purge_at: int) -> dict[str, Any]:
    """A transaction item: the user's email claim carries its purge time (then it is free, and TTL
    removes it), while it is this user's (a claim missing is made again: the address is the user's)."""
    return {
        "Update": {
            "TableName": table_name(),
            "Key": keys.email_claim(tid, key),
            "UpdateExpression": "SET #purge_at = :at, #ttl = :at, user_id = :uid",
            "ConditionExpression": "attribute_not_exists(PK) OR user_id = :uid",
            "ExpressionAttributeNames": {"#purge_at": "purge_at", "#ttl": TTL},
            "ExpressionAttributeValues": {":at": {"N": str(purge_at)}, ":uid": {"S": uid}},
        }
    }


def claim_unmarked(tid: str, key: str, uid: str) -> dict[str, Any]:
    """A transaction item: a restored user's claim is its own again, for good."""
    return {
        "Update": {
            "TableName": table_name(),
            "Key": keys.email_claim(tid, key),
            "UpdateExpression": "REMOVE #purge_at, #ttl",
            "ConditionExpression": "user_id = :uid",
            "ExpressionAttributeNames": {"#purge_at": "purge_at", "#ttl": TTL},
            "ExpressionAttributeValues": {":uid": {"S": uid}},
        }
    }


def verification_dropped(token_hash: str) -> dict[str, Any]:
    """A transaction item: the pending email change's verification token, gone with the change."""
    return {"Delete": {"TableName": table_name(), "Key": keys.verification(token_hash)}}


class NotPending(Exception):
    """The user is no longer pending deletion (restored, or already purged)."""


def delete_at_once(tid: str, uid: str, key: str) -> None:
    """The user item and its claim, in one transaction, while the user is pending deletion."""
    try:
        dynamodb().transact_write_items(
            TransactItems=[
                {
                    "Delete": {
                        "TableName": table_name(),
                        "Key": keys.user(tid, uid),
                        "ConditionExpression": "attribute_exists(#d)",
                        "ExpressionAttributeNames": {"#d": "deletion_requested_at"},
                    }
                },
                {
                    "Delete": {
                        "TableName": table_name(),
                        "Key": keys.email_claim(tid, key),
                        "ConditionExpression": "attribute_not_exists(PK) OR user_id = :uid",
                        "ExpressionAttributeValues": {":uid": {"S": uid}},
                    }
                },
            ]
        )
    except ClientError as exc:
        if error_code(exc) == "TransactionCanceledException":
            raise NotPending from None
        raise


# -- the purge (the stream router, on the user item's REMOVE) ---------------------------------------


def collection(tid: str, uid: str) -> list[dict[str, Any]]:
    """Every item of the user's collection (sessions, history, receipt), keys and all."""
    params: dict[str, Any] = {
        "TableName": table_name(),
        "KeyConditionExpression": "PK = :pk",
        "ExpressionAttributeValues": {":pk": {"S": keys.user_pk(tid, uid)}},
        "ConsistentRead": True,
    }
    items: list[dict[str, Any]] = []
    while True:
        out = dynamodb().query(**params)
        items += [from_item(i) for i in out.get("Items", [])]
        if not out.get("LastEvaluatedKey"):
            return items
        params["ExclusiveStartKey"] = out["LastEvaluatedKey"]


def delete_keys(found: Iterable[dict[str, dict[str, str]]]) -> None:
    """BatchWriteItem deletes, 25 a call, unprocessed ones retried; absent items are no error."""
    unique = {json.dumps(k, sort_keys=True): k for k in found}
    pending = [{"DeleteRequest": {"Key": k}} for k in unique.values()]
    while pending:
        batch, pending = pending[:25], pending[25:]
        request: dict[str, Any] = {table_name(): batch}
        while request:
            out = dynamodb().batch_write_item(RequestItems=request)
            request = dict(out.get("UnprocessedItems") or {})


def key_of(item: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {"PK": {"S": str(item["PK"])}, "SK": {"S": str(item["SK"])}}


def release_claim(tid: str, key: str, uid: str) -> None:
    """The email claim deleted while it is still this user's (a new user may hold the address)."""
    try:
        dynamodb().delete_item(
            TableName=table_name(),
            Key=keys.email_claim(tid, key),
            ConditionExpression="user_id = :uid",
            ExpressionAttributeValues={":uid": {"S": uid}},
        )
    except ClientError as exc:
        if error_code(exc) != "ConditionalCheckFailedException":
            raise


def rewrite_entry(item: dict[str, Any], entry: dict[str, Any]) -> None:
    """A history entry's text replaced (its key and TTL kept)."""
    text = json.dumps(entry, separators=(",", ":"), ensure_ascii=False)
    try:
        dynamodb().update_item(
            TableName=table_name(),
            Key=key_of(item),
            UpdateExpression="SET #entry = :entry",
            ConditionExpression="attribute_exists(PK)",  # never recreate one TTL removed meanwhile
            ExpressionAttributeNames={"#entry": "entry"},
            ExpressionAttributeValues={":entry": {"S": text}},
        )
    except ClientError as exc:
        if error_code(exc) != "ConditionalCheckFailedException":
            raise


def put_receipt(tid: str, uid: str, receipt: dict[str, Any], expires_at: int) -> None:
    """The purge's receipt, in the user's collection beside the history (a retry rewrites it)."""
    dynamodb().put_item(
        TableName=table_name(),
        Item={
            "PK": {"S": keys.user_pk(tid, uid)},
            "SK": {"S": RECEIPT_SK},
            **to_item({**receipt, TTL: expires_at}),
        },
    )


def partition(pk: str) -> list[dict[str, dict[str, str]]]:
    """The keys of every item of a partition (a session's idempotency records, a user's links)."""
    params: dict[str, Any] = {
        "TableName": table_name(),
        "KeyConditionExpression": "PK = :pk",
        "ExpressionAttributeValues": {":pk": {"S": pk}},
        "ProjectionExpression": "PK, SK",
    }
    found: list[dict[str, dict[str, str]]] = []
    while True:
        out = dynamodb().query(**params)
        found += [{"PK": {"S": i["PK"]["S"]}, "SK": {"S": i["SK"]["S"]}} for i in out.get("Items", [])]
        if not out.get("LastEvaluatedKey"):
            return found
        params["ExclusiveStartKey"] = out["LastEvaluatedKey"]
