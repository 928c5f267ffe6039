"""The DynamoDB client, created once per process, and the (de)serialisers."""

from functools import cache
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

_ser = TypeSerializer()
_de = TypeDeserializer()


@cache
def dynamodb() -> "DynamoDBClient":
    import boto3
    from botocore.config import Config

    return boto3.client(
        "dynamodb",
        config=Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5),
    )


def table_name() -> str:
    from hellojohn.config import settings

    return settings().table_name


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _ser.serialize(v) for k, v in values.items() if v is not None}


def to_av(value: Any) -> Any:
    return _ser.serialize(value)


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _de.deserialize(v) for k, v in item.items()}


def get_many(keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items of these keys that exist, deserialised, in one BatchGetItem (strongly consistent;
    again for any key DynamoDB left unprocessed)."""
    request: dict[str, Any] = {table_name(): {"Keys": keys, "ConsistentRead": True}}
    found: list[dict[str, Any]] = []
    while request:
        out = dynamodb().batch_get_item(RequestItems=request)
        found += [from_item(raw) for raw in out.get("Responses", {}).get(table_name(), [])]
        request = dict(out.get("UnprocessedKeys") or {})
    return found


def newest_first(
    pk: str, prefix: str, start: dict[str, Any] | None, limit: int, now: int
) -> tuple[list[dict[str, Any]], bool]:
    """Up to `limit` items of partition `pk` whose sort key starts with `prefix`, newest first,
    after `start` (an exclusive start key; None: the newest), and whether more exist. Items past
    their TTL that DynamoDB has not removed yet are left out: TTL follows time, so those are the
    oldest and a short page is the last. One Query (the history and the webhook deliveries)."""
    params: dict[str, Any] = {
        "TableName": table_name(),
        "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
        "FilterExpression": "#ttl > :now",
        "ExpressionAttributeNames": {"#ttl": "ttl"},
        "ExpressionAttributeValues": {":pk": {"S": pk}, ":prefix": {"S": prefix}, ":now": {"N": str(now)}},
        "ScanIndexForward": False,
        "Limit": limit + 1,
    }
    if start:
        params["ExclusiveStartKey"] = start
    items = dynamodb().query(**params).get("Items", [])
    return items[:limit], len(items) > limit


def error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def failed_item(exc: Exception, index: int | None = None) -> dict[str, Any] | None:
    """The item a failed condition returned (ReturnValuesOnConditionCheckFailure=ALL_OLD), if any."""
    response: dict[str, Any] = dict(getattr(exc, "response", None) or {})
    if index is None:
        item = response.get("Item")
    else:
        reasons = response.get("CancellationReasons") or []
        item = reasons[index].get("Item") if len(reasons) > index else None
    return from_item(item) if item else None


def cancellation_reasons(exc: Exception) -> list[str]:
    """The per-item codes of a cancelled transaction ("None", "ConditionalCheckFailed", ...)."""
    response = getattr(exc, "response", None) or {}
    reasons = response.get("CancellationReasons") or []
    return [str(r.get("Code", "None")) for r in reasons]
