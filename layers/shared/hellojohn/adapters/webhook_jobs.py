"""The webhook delivery jobs' queue: one message per endpoint and event (docs/WEBHOOKS.md).

A job waits on the queue for its attempt's time: SQS delays a message at most 15 minutes, so a
longer wait is a chain of delayed messages, each carrying `not_before` (the worker puts a job
received early back with the time that is left).
"""

import json
from typing import Any

from hellojohn.adapters.jobs import sqs

MAX_DELAY_SECONDS = 900  # SQS's DelaySeconds at most


def send(job: dict[str, Any], delay_seconds: float = 0) -> None:
    from hellojohn.config import settings

    sqs().send_message(
        QueueUrl=settings().webhook_delivery_queue_url,
        MessageBody=json.dumps(job, separators=(",", ":"), ensure_ascii=False),
        DelaySeconds=max(0, min(MAX_DELAY_SECONDS, int(delay_seconds))),
    )
