"""What the stack's EventBridge bus delivered: listed at `GET /_local/events`.

The runner puts a rule on the bus, as a tenant's own system would, matching every change event
(`source` `hellojohn.users`) and targeting a queue of its own; reading the list drains that
queue. So the list shows what the bus routed, not what the code meant to put.
"""

import json
import threading
from typing import Any

import boto3

RULE = "local-tap"
PATTERN = {"source": ["hellojohn.users"]}


class Tap:
    def __init__(self, bus_name: str, prefix: str = "hellojohn-local") -> None:
        self._lock = threading.Lock()
        self._seen: list[dict[str, Any]] = []
        self._sqs = boto3.client("sqs")
        self._url = self._sqs.create_queue(QueueName=f"{prefix}-bus-tap")["QueueUrl"]
        arn = self._sqs.get_queue_attributes(QueueUrl=self._url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        events = boto3.client("events")
        events.put_rule(Name=RULE, EventBusName=bus_name, EventPattern=json.dumps(PATTERN))
        events.put_targets(Rule=RULE, EventBusName=bus_name, Targets=[{"Id": "tap", "Arn": arn}])

    def all(self) -> list[dict[str, Any]]:
        """Every event the rule delivered, oldest first (`id`, `detail-type`, `time`, `detail`, …)."""
        with self._lock:
            while True:
                out = self._sqs.receive_message(QueueUrl=self._url, MaxNumberOfMessages=10)
                messages = out.get("Messages", [])
                if not messages:
                    break
                for m in messages:
                    self._seen.append(json.loads(m["Body"]))
                    self._sqs.delete_message(QueueUrl=self._url, ReceiptHandle=m["ReceiptHandle"])
            return list(self._seen)
