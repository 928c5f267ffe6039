"""The outbox's SQS queues: a job's send (which jobs a stream record calls for: `rules.outbox`)."""

import json
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient

EMAIL, SESSIONS = "email", "sessions"  # the queues: the email worker's, the session cleanup's


@cache
def sqs() -> "SQSClient":
    import boto3
    from botocore.config import Config

    return boto3.client("sqs", config=Config(retries={"mode": "standard", "max_attempts": 3}))


def send(queue: str, body: dict[str, Any]) -> None:
    from hellojohn.config import settings

    s = settings()
    url = s.email_queue_url if queue == EMAIL else s.session_cleanup_queue_url
    sqs().send_message(QueueUrl=url, MessageBody=json.dumps(body))
