"""A user's change history: the change events, kept in the user's own item collection.

Written by the stream router (never by a request), read newest first with one Query. An entry's
key is its change id and it is written once: a retried stream record finds it (and whether the
change's jobs were queued, `queued`) instead of writing it again.
"""

import json
from typing import Any

from botocore.exceptions import ClientError

from hellojohn.store import keys
from hellojohn.store.client import dynamodb, error_code, failed_item, newest_first, table_name, to_item

QUEUED = "queued"  # the change's jobs went to SQS (set by `mark_queued`)


def put(tid: str, uid: str, change_id: str, entry: dict[str, Any], expires_at: int) -> dict[str, Any] | None:
    """Writes the entry unless it exists; None when it was written, else the item as it was."""
    try:
        dynamodb().put_item(
            TableName=table_name(),
            Item={
                **keys.audit_entry(tid, uid, change_id),
                **to_item(
                    {"entry": json.dumps(entry, separators=(",", ":"), ensure_ascii=False), "ttl": expires_at}
                ),
            },
            ConditionExpression="attribute_not_exists(SK)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as exc:
        if error_code(exc) != "ConditionalCheckFailedException":
            raise
        return failed_item(exc) or {}
    return None


def mark_queued(tid: str, uid: str, change_id: str) -> None:
    dynamodb().update_item(
        TableName=table_name(),
        Key=keys.audit_entry(tid, uid, change_id),
        UpdateExpression="SET #queued = :yes",
        ExpressionAttributeNames={"#queued": QUEUED},
        ExpressionAttributeValues={":yes": {"BOOL": True}},
    )


def page(tid: str, uid: str, limit: int, before: str | None, now: int) -> tuple[list[dict[str, Any]], bool]:
    """Up to `limit` entries older than change id `before` (None: the newest), and whether more
    exist. Entries past their TTL that DynamoDB has not removed yet are left out."""
    start = keys.audit_entry(tid, uid, before) if before else None
    items, more = newest_first(keys.user_pk(tid, uid), keys.AUDIT_PREFIX, start, limit, now)
    return [json.loads(item["entry"]["S"]) for item in items], more
