"""The asynchronous chain, driven in-process under moto: table stream -> router -> SQS -> workers.

A thin, step-by-step driver of `local_runner.esm`, the one emulation of Lambda's event source
mappings (the local runner polls the same mappings from threads), so tests read like stories:

    pipe = Pipeline(refs)      # refs: the `aws` fixture
    pipe.route()               # one poll of the stream mapping: the router invoked once
    pipe.work("EmailQueue")    # one poll of the queue's mapping: the worker invoked once
    pipe.pump()                # until idle: nothing left in the stream or the queues
    [mail] = pipe.emails()     # what SES (moto) sent

Time is the one thing it shortcuts: a message a worker failed comes back after the queue's
visibility timeout, which each `step` lets pass at once (`QueueMapping.lapse`).
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import ClientError

from local_runner import esm, template, ttl

if TYPE_CHECKING:
    from mypy_boto3_dynamodbstreams.type_defs import RecordTypeDef

REGION = "us-east-1"
VERIFICATION_SUBJECT = "Confirm your new email address"  # adapters.mail.verification_email
TOKEN = re.compile(r"[?&;]token=([A-Za-z0-9_\-]+)")  # ";": &amp; in HTML


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
    router_failures: list[str] = field(default_factory=list)  # sequence numbers to retry
    discarded: list[str] = field(default_factory=list)  # sequence numbers given up on (to OnFailure)
    handled: dict[str, int] = field(default_factory=dict)  # queue -> messages done and deleted
    failed: dict[str, list[str]] = field(default_factory=dict)  # queue -> message ids kept

    @property
    def idle(self) -> bool:
        return (
            not self.routed
            and not self.discarded
            and not any(self.handled.values())
            and not any(self.failed.values())
        )


class Pipeline:
    def __init__(self, refs: dict[str, str]) -> None:
        self.refs = refs
        self.sqs = boto3.client("sqs", region_name=REGION)
        functions = template.functions()
        [self.stream] = [esm.StreamMapping.of(f, refs) for f in functions if f.stream]
        self.queues = {f.queue: esm.QueueMapping.of(f, refs) for f in functions if f.queue}
        self.stream_arn = self.stream.stream_arn

    def expire(self, now: float | None = None) -> int:
        """DynamoDB's TTL, once (`local_runner.ttl.sweep`): every item whose TTL is past `now`
        (default: the time) deleted, each a REMOVE by the TTL service on the stream; how many."""
        return ttl.sweep(self.refs["Table"], now)

    def pending_records(self) -> "list[RecordTypeDef]":
        """Stream records not yet checkpointed (before the router's filter), oldest first."""
        return self.stream.pending()

    def route(self) -> Round:
        """One poll of the stream's mapping: one invocation of the router per shard with work."""
        outcome = self.stream.poll()
        return Round(
            routed=len(outcome.delivered), router_failures=outcome.failed, discarded=outcome.discarded
        )

    def queue_url(self, logical_id: str) -> str:
        return self.refs[logical_id]

    def work(self, queue: str) -> Round:
        """One poll of the queue's mapping: one invocation of its worker over one received batch."""
        outcome = self.queues[queue].poll()
        return Round(
            handled={queue: len(outcome.delivered) - len(outcome.failed)},
            failed={queue: sorted(outcome.failed)},
        )

    def step(self) -> Round:
        """The visibility timeouts of earlier failures pass; the router once; every worker once."""
        for mapping in self.queues.values():
            mapping.lapse()
        total = self.route()
        for queue in self.queues:
            r = self.work(queue)
            total.handled.update(r.handled)
            total.failed.update(r.failed)
        return total

    def pump(self, max_rounds: int = 40) -> list[Round]:
        """Steps until a step finds nothing to do; the rounds that did something."""
        rounds: list[Round] = []
        for _ in range(max_rounds):
            r = self.step()
            if r.idle:
                return rounds
            rounds.append(r)
        raise AssertionError(f"the pipeline did not settle in {max_rounds} rounds: {rounds[-3:]}")

    # -- what came out ------------------------------------------------------------------------

    def peek(self, queue: str, job_type: str | None = None) -> list[dict[str, Any]]:
        """The bodies of the messages in a queue (received and made visible again at once),
        optionally only those of one `type` (`verify_email`, `notice`, ...)."""
        url = self.queue_url(queue)
        out = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
        bodies = [json.loads(m["Body"]) for m in out.get("Messages", [])]
        return [b for b in bodies if job_type is None or b.get("type") == job_type]

    def depth(self, queue: str) -> int:
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url(queue),
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])

    @staticmethod
    def emails(to: str | None = None) -> list[Email]:
        """Every email moto's SES accepted, oldest first (optionally only those to `to`)."""
        from moto.core.models import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends

        sent = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
        found = [
            Email(m.source, [a for v in m.destinations.values() for a in v], m.subject, m.body)
            for m in sent
            if hasattr(m, "destinations")
        ]
        return [e for e in found if to is None or to in e.to]

    @classmethod
    def verifications(cls, to: str | None = None) -> list[Email]:
        """The verification emails among them (not the security notices)."""
        return [e for e in cls.emails(to) if e.subject.startswith(VERIFICATION_SUBJECT)]

    @classmethod
    def notices(cls, to: str | None = None) -> list[Email]:
        """The security notices among them (docs/NOTICES.md)."""
        return [e for e in cls.emails(to) if not e.subject.startswith(VERIFICATION_SUBJECT)]

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
