"""The change events' EventBridge bus: one `PutEvents` entry per committed change.

An entry EventBridge did not take (`FailedEntryCount`) raises, so the stream record is retried
from that change: a change is published once it is, and never lost. One entry per call, so a
failed call leaves nothing half sent that a retry would send twice.
"""

import json
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_events.client import EventBridgeClient


SOURCE = "hellojohn.users"


class NotPublished(Exception):
    """EventBridge refused the entry (its error code and message, which name no user data)."""


@cache
def events() -> "EventBridgeClient":
    import boto3
    from botocore.config import Config

    return boto3.client("events", config=Config(retries={"mode": "standard", "max_attempts": 3}))


def publish(detail_type: str, detail: dict[str, Any]) -> None:
    from hellojohn.config import settings

    out = events().put_events(
        Entries=[
            {
                "EventBusName": settings().event_bus_name,
                "Source": SOURCE,
                "DetailType": detail_type,
                "Detail": json.dumps(detail, separators=(",", ":"), ensure_ascii=False),
            }
        ]
    )
    if out.get("FailedEntryCount"):
        entry = out["Entries"][0]
        raise NotPublished(f"{entry.get('ErrorCode')}: {entry.get('ErrorMessage')}")
