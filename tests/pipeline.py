"""The asynchronous chain, driven in-process under moto: table stream -> router -> SQS -> workers.

Lambda's event source mappings are emulated the way AWS runs them, so tests read like stories:

- the stream: records are read from moto's DynamoDB stream (`dynamodbstreams`), filtered by the
  function's `FilterCriteria` (SK values), and given to the router in batches of its `BatchSize`.
  With `ReportBatchItemFailures`, a reported record and everything after it in the shard is
  retried on the next pump (the checkpoint stops just before it); an exception retries the batch.
- the queues: up to `BatchSize` messages are received, given to the worker as a Lambda SQS event;
  the messages not named in `batchItemFailures` are deleted. Failed ones are made visible again at
  once (as if their visibility timeout had lapsed) so a retry happens on the next round; moto
  moves a message to the queue's dead-letter queue once it was received `maxReceiveCount` times.

    pipe = Pipeline(refs)      # refs: the `aws` fixture
    pipe.pump()                # until idle: nothing left in the stream or the queues
    [mail] = pipe.emails()     # what SES (moto) sent
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError

REGION = "us-east-1"
TOKEN = re.compile(r"[?&;]token=([A-Za-z0-9_\-]+)")  # ";": &amp; in HTML


class LambdaContext:
    function_name = "pipeline"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:pipeline"
    aws_request_id = "pipeline-request"


@dataclass
class Email:
    source: str
    to: list[str]
    subject: str
    body: str

    @property
    def token(self) -> str:
        found = TOKEN.search(self.body)
        assert found, f"no verification link in {self.body!r}"
        return found.group(1)


@dataclass
class Round:
    """What one step did."""

    routed: int = 0  # stream records given to the router
    router_failures: list[str] = field(default_factory=list)  # sequence numbers it reported
    handled: dict[str, int] = field(default_factory=dict)  # queue -> messages done and deleted
    failed: dict[str, list[str]] = field(default_factory=dict)  # queue -> message ids kept

    @property
    def idle(self) -> bool:
        return not self.routed and not any(self.handled.values()) and not any(self.failed.values())


def _function_events(logical_id: str) -> dict[str, Any]:
    from local_runner import template

    props = template.load()["Resources"][logical_id]["Properties"]
    return dict(props.get("Events") or {})


def _plain(value: Any) -> Any:
    """boto3's response values as Lambda's JSON event has them (datetimes as epoch seconds)."""
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class Pipeline:
    def __init__(self, refs: dict[str, str]) -> None:
        from local_runner import template

        self.refs = refs
        self.ddb = boto3.client("dynamodb", region_name=REGION)
        self.streams = boto3.client("dynamodbstreams", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.stream_arn = self.ddb.describe_table(TableName=refs["Table"])["Table"]["LatestStreamArn"]
        functions = template.functions()
        self.router = next(
            f
            for f in functions
            if any(e["Type"] == "DynamoDB" for e in _function_events(f.logical_id).values())
        )
        self.workers = {f.queue: f for f in functions if f.queue}
        self._after: dict[str, str | None] = {}  # shard -> last sequence number checkpointed

    # -- the stream ---------------------------------------------------------------------------

    def _shard_records(self, shard: str) -> list[dict[str, Any]]:
        after = self._after.get(shard)
        if after is None:
            it = self.streams.get_shard_iterator(
                StreamArn=self.stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
            )
        else:
            it = self.streams.get_shard_iterator(
                StreamArn=self.stream_arn,
                ShardId=shard,
                ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                SequenceNumber=after,
            )
        records: list[dict[str, Any]] = []
        iterator: str | None = it["ShardIterator"]
        while iterator:
            out = self.streams.get_records(ShardIterator=iterator)
            if not out["Records"]:
                break
            records += out["Records"]
            iterator = out.get("NextShardIterator")
        return records

    def _wanted(self, record: dict[str, Any]) -> bool:
        allowed = self.router.stream_filter
        return not allowed or record["dynamodb"]["Keys"]["SK"]["S"] in allowed

    def pending_records(self) -> list[dict[str, Any]]:
        """Stream records not yet checkpointed (before the router's filter), oldest first."""
        shards = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        return [r for s in shards for r in self._shard_records(s["ShardId"])]

    def route(self) -> Round:
        """One invocation of the router per shard, over the next batch of the stream."""
        from local_runner import functions

        done = Round()
        shards = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        for shard in (s["ShardId"] for s in shards):
            records = self._shard_records(shard)
            batch: list[dict[str, Any]] = []
            last_seen: list[str] = []  # every record read, filtered or not, up to the batch's end
            for record in records:
                last_seen.append(record["dynamodb"]["SequenceNumber"])
                if self._wanted(record):
                    batch.append({**_plain(record), "eventSourceARN": self.stream_arn})
                    if len(batch) == self.router.batch_size:
                        break
            if not last_seen:
                continue
            if not batch:
                self._after[shard] = last_seen[-1]
                continue
            done.routed += len(batch)
            try:
                result = functions.handler(self.router)({"Records": batch}, LambdaContext())
            except Exception:
                done.router_failures += [r["dynamodb"]["SequenceNumber"] for r in batch]
                continue
            failed = [f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])]
            done.router_failures += failed
            if failed:
                first = min(failed, key=int)
                before = [s for s in last_seen if int(s) < int(first)]
                if before:
                    self._after[shard] = before[-1]
            else:
                self._after[shard] = last_seen[-1]
        return done

    # -- the queues ---------------------------------------------------------------------------

    def queue_url(self, logical_id: str) -> str:
        return self.refs[logical_id]

    def work(self, queue: str) -> Round:
        """One invocation of the queue's worker over one received batch."""
        from local_runner import events, functions

        done = Round()
        worker = self.workers[queue]
        url = self.queue_url(queue)
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        messages = self.sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=min(10, worker.batch_size),
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return done
        event = events.sqs_event(messages, arn, REGION)
        try:
            result = functions.handler(worker)(event, LambdaContext())
            failed = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])}
        except Exception:
            failed = {m["MessageId"] for m in messages}
        for m in messages:
            if m["MessageId"] in failed:
                self.sqs.change_message_visibility(
                    QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
                )
            else:
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        done.handled[queue] = len(messages) - len(failed)
        done.failed[queue] = sorted(failed)
        return done

    def step(self) -> Round:
        """The router once, then every worker once."""
        total = self.route()
        for queue in self.workers:
            r = self.work(queue)
            total.handled.update(r.handled)
            total.failed.update(r.failed)
        return total

    def pump(self, max_rounds: int = 25) -> list[Round]:
        """Steps until a step finds nothing to do; the rounds that did something."""
        rounds = []
        for _ in range(max_rounds):
            r = self.step()
            if r.idle:
                return rounds
            rounds.append(r)
        raise AssertionError(f"the pipeline did not settle in {max_rounds} rounds: {rounds[-3:]}")

    # -- what came out ------------------------------------------------------------------------

    def peek(self, queue: str) -> list[dict[str, Any]]:
        """The bodies of the messages in a queue (received and made visible again at once)."""
        url = self.queue_url(queue)
        out = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
        return [json.loads(m["Body"]) for m in out.get("Messages", [])]

    def depth(self, queue: str) -> int:
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url(queue),
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])

    @staticmethod
    def emails(to: str | None = None) -> list[Email]:
        """Every email moto's SES accepted, oldest first (optionally only those to `to`)."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends

        sent = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
        found = [
            Email(m.source, [a for v in m.destinations.values() for a in v], m.subject, m.body)
            for m in sent
            if hasattr(m, "destinations")
        ]
        return [e for e in found if to is None or to in e.to]

    @staticmethod
    def verify_sender(address: str) -> None:
        boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=address)


def client_error(operation: str, code: str = "ServiceUnavailable") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "injected fault"}}, operation)


def failing(times: int, operation: str, then: Callable[..., Any] | None = None) -> Callable[..., Any]:
    """A stand-in that raises ClientError `times` times, then calls `then` (if any)."""
    calls = {"n": 0}

    def call(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] <= times:
            raise client_error(operation)
        return then(*args, **kwargs) if then else None

    call.calls = calls  # type: ignore[attr-defined]
    return call
