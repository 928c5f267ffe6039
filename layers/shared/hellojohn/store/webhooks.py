"""A tenant's webhook endpoints, their count, and their delivery attempts (docs/WEBHOOKS.md).

Endpoints live in one partition per tenant (`keys.webhooks_pk`) beside a count item: a create
adds one in the same transaction as its put, conditioned on the count being under the limit, and a
delete takes one away with its delete, so two creates at once cannot both pass the 20th. Secrets
are stored as KMS ciphertext (`secret`, and during a rotation `previous_secret` until
`previous_until`); reads for the API project them away.
"""

import time
from typing import Any

from botocore.exceptions import ClientError

from hellojohn.store import keys
from hellojohn.store.client import (
    cancellation_reasons,
    dynamodb,
    error_code,
    from_item,
    newest_first,
    table_name,
    to_av,
    to_item,
)

SECRET_FIELDS = ("secret", "previous_secret")
VIEW_FIELDS = (
    "id",
    "url",
    "event_types",
    "description",
    "exclude_actor_key_ids",
    "disabled",
    "disabled_reason",
    "created_at",
    "updated_at",
    "previous_until",
)
_CONFLICT_RETRIES = 5


class Full(Exception):
    """The tenant has the most endpoints allowed."""


def _names(fields: tuple[str, ...]) -> tuple[str, dict[str, str]]:
    return ", ".join(f"#f{i}" for i in range(len(fields))), {f"#f{i}": f for i, f in enumerate(fields)}


def _retrying_conflicts(write: Any) -> Any:
    """A transaction another one on the same count item cancelled (TransactionConflict) is tried
    again: two honest creates at once both succeed, or one meets the limit."""
    for attempt in range(_CONFLICT_RETRIES):
        try:
            return write()
        except ClientError as exc:
            reasons = cancellation_reasons(exc) if error_code(exc) == "TransactionCanceledException" else []
            if "TransactionConflict" not in reasons or attempt == _CONFLICT_RETRIES - 1:
                raise
            time.sleep(0.02 * (attempt + 1))
    raise AssertionError("unreachable")


def create(tid: str, values: dict[str, Any], limit: int) -> None:
    """Puts the endpoint; Full when the tenant already has `limit`."""

    def write() -> None:
        dynamodb().transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table_name(),
                        "Key": keys.webhook_count(tid),
                        "UpdateExpression": "ADD #n :one",
                        "ConditionExpression": "attribute_not_exists(#n) OR #n < :limit",
                        "ExpressionAttributeNames": {"#n": "count"},
                        "ExpressionAttributeValues": {":one": {"N": "1"}, ":limit": {"N": str(limit)}},
                    }
                },
                {
                    "Put": {
                        "TableName": table_name(),
                        "Item": {**keys.webhook(tid, values["id"]), **to_item(values)},
                        "ConditionExpression": "attribute_not_exists(SK)",
                    }
                },
            ]
        )

    try:
        _retrying_conflicts(write)
    except ClientError as exc:
        if error_code(exc) == "TransactionCanceledException" and cancellation_reasons(exc)[:1] == [
            "ConditionalCheckFailed"
        ]:
            raise Full from None
        raise


def get(tid: str, wid: str, with_secrets: bool = False) -> dict[str, Any] | None:
    """The endpoint (strongly consistent), without its secrets unless asked."""
    fields = VIEW_FIELDS + (SECRET_FIELDS if with_secrets else ())
    projection, names = _names(fields)
    out = dynamodb().get_item(
        TableName=table_name(),
        Key=keys.webhook(tid, wid),
        ConsistentRead=True,
        ProjectionExpression=projection,
        ExpressionAttributeNames=names,
    )
    item = out.get("Item")
    return from_item(item) if item else None


def page(tid: str, limit: int | None, after: str | None) -> tuple[list[dict[str, Any]], bool]:
    """Up to `limit` endpoints (None: all) in id order after `after`, without secrets; more?"""
    projection, names = _names(VIEW_FIELDS)
    params: dict[str, Any] = {
        "TableName": table_name(),
        "KeyConditionExpression": "PK = :pk AND begins_with(SK, :whk)",
        "ExpressionAttributeValues": {
            ":pk": {"S": keys.webhooks_pk(tid)},
            ":whk": {"S": keys.WEBHOOK_PREFIX},
        },
        "ProjectionExpression": projection,
        "ExpressionAttributeNames": names,
        "ConsistentRead": True,
    }
    if limit is not None:
        params["Limit"] = limit + 1
    if after:
        params["ExclusiveStartKey"] = keys.webhook(tid, after)
    items = [from_item(i) for i in dynamodb().query(**params).get("Items", [])]
    if limit is None:
        return items, False
    return items[:limit], len(items) > limit


def update(tid: str, wid: str, sets: dict[str, Any], removes: tuple[str, ...] = ()) -> dict[str, Any] | None:
    """Sets and removes fields of an existing endpoint; the endpoint after (None: no such one)."""
    names = {f"#s{i}": k for i, k in enumerate(sets)} | {f"#r{i}": k for i, k in enumerate(removes)}
    values = {f":s{i}": to_av(v) for i, v in enumerate(sets.values())}
    expression = "SET " + ", ".join(f"#s{i} = :s{i}" for i in range(len(sets)))
    if removes:
        expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(removes)))
    try:
        out = dynamodb().update_item(
            TableName=table_name(),
            Key=keys.webhook(tid, wid),
            UpdateExpression=expression,
            ConditionExpression="attribute_exists(SK)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
    except ClientError as exc:
        if error_code(exc) == "ConditionalCheckFailedException":
            return None
        raise
    item = from_item(out["Attributes"])
    return {k: v for k, v in item.items() if k not in SECRET_FIELDS}


def rotate(tid: str, wid: str, old: bytes, new: bytes, previous_until: int, at: int) -> bool:
    """The new secret in, the one read (`old`) kept as the previous one; False when the secret
    moved since it was read (another rotation won: read again) or the endpoint is gone."""
    try:
        dynamodb().update_item(
            TableName=table_name(),
            Key=keys.webhook(tid, wid),
            UpdateExpression="SET #s = :new, #p = :old, #u = :until, #at = :at",
            ConditionExpression="#s = :old",
            ExpressionAttributeNames={
                "#s": "secret",
                "#p": "previous_secret",
                "#u": "previous_until",
                "#at": "updated_at",
            },
            ExpressionAttributeValues={
                ":new": {"B": new},
                ":old": {"B": old},
                ":until": {"N": str(previous_until)},
                ":at": {"N": str(at)},
            },
        )
    except ClientError as exc:
        if error_code(exc) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def disable(tid: str, wid: str, reason: str, at: int) -> None:
    """The delivery worker's one write of an endpoint (a 410 Gone): disabled, and why."""
    try:
        dynamodb().update_item(
            TableName=table_name(),
            Key=keys.webhook(tid, wid),
            UpdateExpression="SET #d = :yes, #r = :reason, #at = :at",
            ConditionExpression="attribute_exists(SK)",
            ExpressionAttributeNames={"#d": "disabled", "#r": "disabled_reason", "#at": "updated_at"},
            ExpressionAttributeValues={
                ":yes": {"BOOL": True},
                ":reason": {"S": reason},
                ":at": {"N": str(at)},
            },
        )
    except ClientError as exc:
        if error_code(exc) != "ConditionalCheckFailedException":  # deleted meanwhile: nothing to do
            raise


def delete(tid: str, wid: str) -> bool:
    """The endpoint deleted and the count moved down; False when there was none."""

    def write() -> None:
        dynamodb().transact_write_items(
            TransactItems=[
                {
                    "Delete": {
                        "TableName": table_name(),
                        "Key": keys.webhook(tid, wid),
                        "ConditionExpression": "attribute_exists(SK)",
                    }
                },
                {
                    "Update": {
                        "TableName": table_name(),
                        "Key": keys.webhook_count(tid),
                        "UpdateExpression": "ADD #n :minus",
                        "ExpressionAttributeNames": {"#n": "count"},
                        "ExpressionAttributeValues": {":minus": {"N": "-1"}},
                    }
                },
            ]
        )

    try:
        _retrying_conflicts(write)
    except ClientError as exc:
        if error_code(exc) == "TransactionCanceledException" and cancellation_reasons(exc)[:1] == [
            "ConditionalCheckFailed"
        ]:
            return False
        raise
    return True


def put_attempt(tid: str, wid: str, attempt_id: str, values: dict[str, Any]) -> None:
    dynamodb().put_item(
        TableName=table_name(), Item={**keys.delivery(tid, wid, attempt_id), **to_item(values)}
    )


def attempts(
    tid: str, wid: str, limit: int, before: str | None, now: int
) -> tuple[list[dict[str, Any]], bool]:
    """Up to `limit` attempts older than `before` (None: the newest), newest first; more?"""
    start = keys.delivery(tid, wid, before) if before else None
    items, more = newest_first(keys.deliveries_pk(tid, wid), keys.DELIVERY_PREFIX, start, limit, now)
    return [from_item(i) for i in items], more
