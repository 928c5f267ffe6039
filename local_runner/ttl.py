"""DynamoDB's Time to Live, emulated for the local runner and the tests (docs/LOCAL.md).

DynamoDB deletes an item once the epoch second in its TTL attribute (the table's
`TimeToLiveSpecification`: `ttl`, template.yaml) has passed, within a few days, and the deletion is
a REMOVE on the table's stream whose `userIdentity` is `{"type": "Service", "principalId":
"dynamodb.amazonaws.com"}` (the DynamoDB guide, "Time to Live: streams"). Neither moto nor DynamoDB
Local deletes as DynamoDB does (moto has no TTL; DynamoDB Local deletes expired items itself, within
seconds, but streams each as an event named `UNKNOWN_TO_SDK_VERSION` without `userIdentity`). Here:
- `sweep` scans the table for items whose TTL has passed and deletes each with a DeleteItem
  conditioned on its TTL still being past (an item given a new TTL meanwhile stays, as on AWS);
- each deletion is noted before it is made, and `as_service` gives the REMOVE record of a noted
  item the TTL service's `userIdentity` as the stream mappings read it (local_runner.esm), and
  makes DynamoDB Local's own TTL record that REMOVE, so the functions see the record DynamoDB's
  TTL makes, on moto and on DynamoDB Local alike;
- `Sweeper` sweeps every SWEEP_SECONDS in the local runner (`make run`); tests sweep when they
  choose (tests/pipeline.py: `Pipeline.expire`), on the clock they moved.
Not emulated: the delay (AWS takes up to a few days; here at most SWEEP_SECONDS), and the items an
expired item's reader still sees before its deletion (the service filters those itself: User.gone).
"""

import threading
import time
from typing import TYPE_CHECKING, Any, cast

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from local_runner.invoke import REGION

if TYPE_CHECKING:
    from mypy_boto3_dynamodbstreams.type_defs import RecordTypeDef

ATTRIBUTE = "ttl"
SERVICE = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
SWEEP_SECONDS = 5.0
LOCAL_TTL_EVENT = "UNKNOWN_TO_SDK_VERSION"  # DynamoDB Local's event name for its own TTL deletions

_noted: set[tuple[str, str]] = set()  # (PK, SK) of items the sweep deleted (keys are never reused)
_lock = threading.Lock()


def sweep(table: str, now: float | None = None) -> int:
    """Delete every item of `table` whose TTL is past `now` (default: the time); how many."""
    ddb = boto3.client("dynamodb", region_name=REGION)
    at = str(int(time.time() if now is None else now))
    params: dict[str, Any] = {
        "TableName": table,
        "FilterExpression": "#ttl <= :now",
        "ProjectionExpression": "PK, SK",
        "ExpressionAttributeNames": {"#ttl": ATTRIBUTE},
        "ExpressionAttributeValues": {":now": {"N": at}},
        "ConsistentRead": True,
    }
    deleted = 0
    while True:
        out = ddb.scan(**params)
        for item in out.get("Items", []):
            key = {"PK": item["PK"], "SK": item["SK"]}
            noted = (item["PK"]["S"], item["SK"]["S"])
            with _lock:
                _noted.add(noted)
            try:
                ddb.delete_item(
                    TableName=table,
                    Key=key,
                    ConditionExpression="#ttl <= :now",
                    ExpressionAttributeNames={"#ttl": ATTRIBUTE},
                    ExpressionAttributeValues={":now": {"N": at}},
                )
                deleted += 1
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise
                with _lock:
                    _noted.discard(noted)
        if not out.get("LastEvaluatedKey"):
            return deleted
        params["ExclusiveStartKey"] = out["LastEvaluatedKey"]


def as_service(record: "RecordTypeDef") -> "RecordTypeDef":
    """The record as DynamoDB's stream has it: a REMOVE the sweep made carries the TTL service's
    `userIdentity`; so does DynamoDB Local's own TTL deletion, which it streams with the event name
    `UNKNOWN_TO_SDK_VERSION` and no identity (made a REMOVE here); any other record is as it is."""
    change = record.get("dynamodb") or {}
    if record.get("eventName") == LOCAL_TTL_EVENT and "OldImage" in change and "NewImage" not in change:
        return cast("RecordTypeDef", {**record, "eventName": "REMOVE", "userIdentity": SERVICE})
    if record.get("eventName") != "REMOVE":
        return record
    keys = record["dynamodb"].get("Keys") or {}
    noted = (keys.get("PK", {}).get("S", ""), keys.get("SK", {}).get("S", ""))
    with _lock:  # kept noted: a record read again (a retry, a look without delivery) is the same
        if noted not in _noted:
            return record
    return cast("RecordTypeDef", {**record, "userIdentity": SERVICE})


class Sweeper(threading.Thread):
    """The local runner's TTL: a sweep of the table every SWEEP_SECONDS until `stop`."""

    def __init__(self, table: str, stop: threading.Event, seconds: float = SWEEP_SECONDS) -> None:
        super().__init__(name="ttl", daemon=True)
        self.table, self.stop, self.seconds = table, stop, seconds

    def run(self) -> None:
        while not self.stop.wait(self.seconds):
            try:
                sweep(self.table)
            except (BotoCoreError, ClientError) as exc:  # the next sweep tries again
                print(f"! ttl: sweep failed: {exc}", flush=True)
