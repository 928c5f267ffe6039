"""Lambda's event source mappings, emulated once, for the local runner and the tests alike.

The configuration is the template's (`template.Function`: the function's `DynamoDB` or `SQS`
event), so the emulation cannot drift from what is deployed. What it does, as the Lambda guide
describes it (services-ddb-batchfailurereporting, services-dynamodb-errors, services-sqs-errorhandling,
invocation-eventfiltering):

Stream (`StreamMapping`), per shard, from TRIM_HORIZON:
- up to BatchSize records are read after the shard's checkpoint; those the FilterCriteria do not
  match are dropped (checkpointed, never delivered); the rest are one invocation.
- success, or a response Lambda reads as success (no `batchItemFailures`, or an empty or null list)
  checkpoints the whole batch.
- with ReportBatchItemFailures, the lowest reported sequence number is the checkpoint: the records
  before it are done, it and the rest of the batch are retried. An empty, null or unknown
  `itemIdentifier` fails the whole batch. Without ReportBatchItemFailures the response is ignored.
- a function error (the handler raised) with BisectBatchOnFunctionError splits the batch in two
  and retries the first half; splitting does not consume the retry quota. Otherwise, and for a
  batch of one, it is a retry.
- with both, a partial response is the bisection: "the batch is bisected at the returned sequence
  number and Lambda retries only the remaining records" (services-ddb-batchfailurereporting).
  A retry counts towards MaximumRetryAttempts; progress (a checkpoint that moved) starts the count
  again; a bisection does not count.
- after MaximumRetryAttempts retries (-1: forever) the batch is discarded: Lambda's invocation
  record (`DDBStreamBatchInfo`, condition RetryAttemptsExhausted) goes to the OnFailure queue and
  the shard moves on.
- a record older than MaximumRecordAgeInSeconds (-1: the stream's 24 hours) is not invoked: the
  oldest records of the batch that are past it are discarded the same way (condition
  RecordAgeExceeded), before the invocation. The age is the record's ApproximateCreationDateTime
  against `StreamMapping.clock` (time.time; tests move it).
- the stream is read by a reader of its backend (`stream_reader`): `MotoStreamReader` for a table
  of moto in this process (the tests, `make run`), `ApiStreamReader` for any other endpoint
  (DynamoDB Local, `make run DYNAMODB=local`). The mapping owns the checkpoints; a reader only
  answers "the records after this one" and "which shards may be read now".

Queue (`QueueMapping`): up to BatchSize (at most 10) messages are received; those the FilterCriteria
do not match are deleted (Lambda deletes them); the rest are one invocation. Success deletes them;
with ReportBatchItemFailures only the reported ones stay (an empty, null or unknown identifier keeps
the whole batch); a function error keeps the whole batch. Kept messages come back after the queue's
VisibilityTimeout (`lapse` makes that time pass at once, for tests), and SQS (moto, as AWS) moves a
message to the dead-letter queue of its RedrivePolicy once it was received maxReceiveCount times.

Not emulated: MaximumBatchingWindowInSeconds (records are delivered as soon as they are read),
ParallelizationFactor, the stream's 24-hour retention, the order of parent and child shards on
moto (it has one shard; `ApiStreamReader` keeps it), tumbling windows, and the SQS scaling of
concurrent batches (each mapping's poller invokes one batch at a time).
"""

import contextlib
import json
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from local_runner import events, filters, ttl
from local_runner.aws import Moto
from local_runner.invoke import REGION, function_arn, invoke
from local_runner.template import Function

if TYPE_CHECKING:
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient
    from mypy_boto3_dynamodbstreams.type_defs import RecordTypeDef, ShardTypeDef

Invoke = Callable[[Function, dict[str, Any]], Any]
POLL_SECONDS = 0.1
API_POLL_SECONDS = 0.2  # a stream with no doorbell (DynamoDB Local): each idle poll is a GetRecords
SHARDS_SECONDS = 1.0  # how long ApiStreamReader trusts a DescribeStream while no shard ends
SQS_WAIT_SECONDS = 1  # a long poll, when the doorbell is unavailable
RETRY_DELAY_SECONDS = 0.5


@dataclass
class Outcome:
    """What one poll of a mapping did."""

    delivered: list[str] = field(default_factory=list)  # sequence numbers / message ids invoked with
    failed: list[str] = field(default_factory=list)  # of those, the ones to retry
    error: bool = False  # the function raised
    discarded: list[str] = field(default_factory=list)  # given up on: described to OnFailure
    dropped: int = 0  # filtered out

    @property
    def idle(self) -> bool:
        return not self.delivered and not self.dropped and not self.discarded


def _failures(result: Any, known: list[str]) -> list[str] | None:
    """The identifiers a partial batch response reports; None when Lambda reads it as a total failure."""
    if not isinstance(result, dict) or not result.get("batchItemFailures"):
        return []
    reported = []
    for failure in result["batchItemFailures"]:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in known:
            return None
        reported.append(identifier)
    return reported


def _seq(record: "RecordTypeDef") -> str:
    return str(record["dynamodb"]["SequenceNumber"])


def _iso(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return None


class _Iterators:
    """moto keeps every shard iterator it hands out, forever (AWS expires them after 15 minutes);
    drop the ones used so that polling costs no memory. In-process moto only (tests, the runner)."""

    @staticmethod
    def forget(*iterators: str) -> None:
        try:
            from moto.core.models import DEFAULT_ACCOUNT_ID
            from moto.dynamodbstreams.models import dynamodbstreams_backends

            kept = dynamodbstreams_backends[DEFAULT_ACCOUNT_ID][REGION].shard_iterators
        except Exception:  # not moto in this process, or its internals changed: nothing to free
            return
        for iterator in iterators:
            kept.pop(iterator, None)


class _Transactions:
    """moto writes a TransactWriteItems item by item and rolls back by swapping in a copy of the
    table: a stream read in between would see records of a transaction that, on AWS, never
    happened. In-process moto's transactions take this lock, and a stream read holds it, so a read
    never falls inside one. Not moto in this process, or its internals changed: a no-op."""

    lock = threading.RLock()
    _installed = False

    @classmethod
    def install(cls) -> None:
        if cls._installed:
            return
        try:
            from moto.dynamodb.models import DynamoDBBackend
        except ImportError:  # pragma: no cover - moto is a dev dependency
            return
        original = DynamoDBBackend.transact_write_items

        def transact_write_items(self: Any, *args: Any, **kwargs: Any) -> Any:
            with cls.lock:
                return original(self, *args, **kwargs)

        DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
        cls._installed = True


Checkpoint = tuple[str, str]  # (sequence number, eventID) of the last record done on a shard


class MotoStreamReader:
    """A stream of moto in this process.

    Each read asks for a fresh iterator at the checkpoint (AT_SEQUENCE_NUMBER), and the checkpointed
    record's eventID is compared with the one delivered. moto replaces a table with a copy taken
    before a failed TransactWriteItems (same stream ARN, same shard id); an iterator held across
    that keeps reading the orphaned shard forever. A record the rollback undid (read between the
    transaction's first write and its rollback) has its sequence number reused by the copy; the
    eventID check sees that and delivers the record that now holds it. In-process moto's
    transactions and the stream reads share a lock (`_Transactions`), so a read cannot fall between
    a transaction's first write and its rollback in the first place. The doorbell (moto's shard
    object and its length, read in-process) lets a quiet stack make no call at all."""

    def __init__(self, streams: "DynamoDBStreamsClient", stream_arn: str, name: str) -> None:
        _Transactions.install()
        self.streams, self.stream_arn, self.name = streams, stream_arn, name
        self.idle_seconds = POLL_SECONDS  # after an idle read (the doorbell rings before, mostly)

    def shards(self) -> list[str]:
        """The stream's shards now (asked every time: they are the table's current ones)."""
        described = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        return [s["ShardId"] for s in described["Shards"]]

    def read(self, shard: str, done: Checkpoint | None, limit: int) -> "list[RecordTypeDef]":
        """Up to `limit` records after `done`, from a fresh iterator."""
        params: dict[str, Any] = {"StreamArn": self.stream_arn, "ShardId": shard}
        if done is None:
            params["ShardIteratorType"] = "TRIM_HORIZON"
        else:
            params.update(ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber=done[0])
        # against a server that applies each request alone (aws.Atomic), a read is atomic already, and
        # holding the lock over its requests would wait for a transaction that waits for the read
        with contextlib.nullcontext() if Moto.atomic else _Transactions.lock:
            iterator = self.streams.get_shard_iterator(**params)["ShardIterator"]
            out = self.streams.get_records(ShardIterator=iterator, Limit=min(1000, limit + 1))
        _Iterators.forget(iterator, out.get("NextShardIterator") or "")
        records = out["Records"]
        if done is not None and records and _seq(records[0]) == done[0]:
            if records[0]["eventID"] == done[1]:
                records = records[1:]  # the checkpointed record itself
            else:
                print(
                    f"! {self.name}: record {done[0]} was rolled back by moto after it was "
                    "delivered; its sequence number now holds another record, which is delivered too",
                    flush=True,
                )
        return records[:limit]

    def doorbell(self) -> tuple[int, int] | None:
        return _stream_doorbell(self.stream_arn)


def _typed(value: dict[str, Any]) -> dict[str, Any]:
    """An attribute value with every empty map typed: DynamoDB Local streams `{"M": {}}` as `{}`."""
    if not value:
        return {"M": {}}
    if "M" in value:
        return {"M": {k: _typed(v) for k, v in value["M"].items()}}
    if "L" in value:
        return {"L": [_typed(v) for v in value["L"]]}
    return value


def typed_images(record: "RecordTypeDef") -> "RecordTypeDef":
    """The record with its images' empty maps typed (a no-op on what DynamoDB and moto send)."""
    change: dict[str, Any] = dict(record["dynamodb"])
    for image in ("NewImage", "OldImage"):
        if image in change:
            change[image] = {k: _typed(v) for k, v in change[image].items()}
    return cast("RecordTypeDef", {**record, "dynamodb": change})


class ApiStreamReader:
    """A stream on any other endpoint (DynamoDB Local): the dynamodbstreams API only, as Lambda reads.

    - shards: DescribeStream (every page), asked again once a shard ends and at least every
      SHARDS_SECONDS; a child shard is read only once its parent (if still listed) has ended.
    - an iterator is held per shard while the checkpoint is where it stopped (the next read goes
      on from it); otherwise, and when it expired, a new one is asked AFTER_SEQUENCE_NUMBER the
      checkpoint (TRIM_HORIZON before the first). Records trimmed before they were read are
      reported and the shard goes on from its trim horizon.
    - a shard has ended when, read from its checkpoint, it has no records and no next iterator
      (closed and done); it is not read again.
    - DynamoDB Local streams an empty map as an untyped `{}` in NewImage and OldImage (DynamoDB
      sends `{"M": {}}`): records are given typed, so functions see what AWS sends."""

    def __init__(self, streams: "DynamoDBStreamsClient", stream_arn: str, name: str) -> None:
        self.streams, self.stream_arn, self.name = streams, stream_arn, name
        self.idle_seconds = API_POLL_SECONDS
        self.held: dict[str, tuple[str | None, str]] = {}  # shard -> (position, iterator)
        self.ended: set[str] = set()
        self.described: list[ShardTypeDef] = []
        self.described_at = float("-inf")

    def shards(self) -> list[str]:
        """The shards that may be read now, parents before their children."""
        if time.monotonic() - self.described_at >= SHARDS_SECONDS:
            self.described = self._describe()
            self.described_at = time.monotonic()
        listed = {s["ShardId"] for s in self.described}
        return [
            s["ShardId"]
            for s in self.described
            if s["ShardId"] not in self.ended
            and (s.get("ParentShardId") not in listed or s.get("ParentShardId") in self.ended)
        ]

    def _describe(self) -> "list[ShardTypeDef]":
        shards: list[ShardTypeDef] = []
        params: dict[str, Any] = {"StreamArn": self.stream_arn}
        while True:
            described = self.streams.describe_stream(**params)["StreamDescription"]
            shards += described["Shards"]
            if not described.get("LastEvaluatedShardId"):
                return shards
            params["ExclusiveStartShardId"] = described["LastEvaluatedShardId"]

    def _iterator(self, shard: str, position: str | None) -> str:
        params: dict[str, Any] = {"StreamArn": self.stream_arn, "ShardId": shard}
        if position is None:
            params["ShardIteratorType"] = "TRIM_HORIZON"
        else:
            params.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=position)
        return self.streams.get_shard_iterator(**params)["ShardIterator"]

    def read(self, shard: str, done: Checkpoint | None, limit: int) -> "list[RecordTypeDef]":
        """Up to `limit` records after `done`."""
        position = None if done is None else done[0]
        held = self.held.pop(shard, None)
        try:
            iterator = held[1] if held and held[0] == position else self._iterator(shard, position)
            out = self._get(iterator, limit)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code == "ExpiredIteratorException":
                out = self._get(self._iterator(shard, position), limit)
            elif code == "TrimmedDataAccessException":
                print(f"! {self.name}: records of {shard} after {position} were trimmed unread", flush=True)
                out = self._get(self._iterator(shard, None), limit)
            else:
                raise
        records = [typed_images(r) for r in out["Records"]]
        following = out.get("NextShardIterator")
        if following:
            self.held[shard] = (_seq(records[-1]) if records else position, following)
        elif not records:  # closed, and nothing after the checkpoint: its children may be read
            self.ended.add(shard)
            self.described_at = float("-inf")
        return records

    def _get(self, iterator: str, limit: int) -> Any:
        return self.streams.get_records(ShardIterator=iterator, Limit=max(1, min(1000, limit)))

    def doorbell(self) -> None:
        return None  # nothing to peek at: every poll asks the API


StreamReader = MotoStreamReader | ApiStreamReader


def stream_reader(streams: "DynamoDBStreamsClient", stream_arn: str, name: str) -> StreamReader:
    """`MotoStreamReader` when the stream is a table of moto in this process, else `ApiStreamReader`."""
    in_moto = _stream_doorbell(stream_arn) is not None
    return (MotoStreamReader if in_moto else ApiStreamReader)(streams, stream_arn, name)


class StreamMapping:
    """A DynamoDB stream event source mapping of `function` (its `DynamoDB` event)."""

    def __init__(
        self,
        function: Function,
        stream_arn: str,
        on_failure_url: str | None = None,
        invoker: Invoke = invoke,
    ) -> None:
        filters.check(function.filter_patterns)
        self.function = function
        self.stream_arn = stream_arn
        self.on_failure_url = on_failure_url
        self.invoke = invoker
        self.streams = boto3.client("dynamodbstreams", region_name=REGION)
        self.reader = stream_reader(self.streams, stream_arn, function.logical_id)
        self.checkpoint: dict[str, Checkpoint] = {}  # shard -> the last record done
        self.retry: dict[str, list[RecordTypeDef]] = {}  # shard -> the batch to invoke again
        self.retries: dict[str, int] = {}  # shard -> retries of that batch so far
        self.clock: Callable[[], float] = time.time  # records' age is counted against it

    @classmethod
    def of(cls, function: Function, refs: dict[str, str], invoker: Invoke = invoke) -> "StreamMapping":
        """The mapping as the template declares it, on the resources `refs` names."""
        if not function.stream:
            raise ValueError(f"{function.logical_id} has no stream trigger")
        ddb = boto3.client("dynamodb", region_name=REGION)
        arn = ddb.describe_table(TableName=refs[function.stream])["Table"]["LatestStreamArn"]
        return cls(function, arn, refs[function.on_failure] if function.on_failure else None, invoker)

    def shards(self) -> list[str]:
        """The shards to read now (the reader's answer)."""
        return self.reader.shards()

    def read(self, shard: str, limit: int) -> "list[RecordTypeDef]":
        """Up to `limit` records after the shard's checkpoint (the TTL's deletions as DynamoDB's
        stream has them: local_runner.ttl)."""
        return [ttl.as_service(r) for r in self.reader.read(shard, self.checkpoint.get(shard), limit)]

    def pending(self) -> "list[RecordTypeDef]":
        """Every record not yet checkpointed (before the filter), oldest first, delivering nothing."""
        found: list[RecordTypeDef] = []
        for shard in self.shards():
            found += self.read(shard, 10**6)
        return found

    def poll(self) -> Outcome:
        """One invocation per shard with work: the batch to retry, or the next one read."""
        outcome = Outcome()
        for shard in self.shards():
            batch = self.retry.get(shard)
            end = None  # the last record read: done once the batch is
            if batch is None:
                records = self.read(shard, self.function.batch_size)
                batch = [r for r in records if filters.matches(self.function.filter_patterns, r)]
                outcome.dropped += len(records) - len(batch)
                if not batch:
                    if records:
                        self._done(shard, records[-1])
                    continue
                end = records[-1]
            self._deliver(shard, batch, outcome, end)
        return outcome

    def _done(self, shard: str, record: "RecordTypeDef") -> None:
        self.checkpoint[shard] = (_seq(record), str(record["eventID"]))
        self.retry.pop(shard, None)
        self.retries.pop(shard, None)

    # -- what Lambda does with the result: checkpoint, retry, bisect, give up ---------------------

    def _expired(self, batch: "list[RecordTypeDef]") -> "list[RecordTypeDef]":
        """The batch's oldest records past MaximumRecordAgeInSeconds (a shard is in time order)."""
        limit = self.function.max_record_age
        if limit < 0:
            return []
        now = self.clock()
        expired: list[RecordTypeDef] = []
        for record in batch:
            created = record["dynamodb"].get("ApproximateCreationDateTime")
            if not isinstance(created, datetime) or now - created.timestamp() <= limit:
                break
            expired.append(record)
        return expired

    def _deliver(
        self, shard: str, batch: "list[RecordTypeDef]", outcome: Outcome, end: "RecordTypeDef | None"
    ) -> None:
        expired = self._expired(batch)
        if expired:  # never invoked: discarded, and the next poll reads on from them
            self._give_up(shard, expired, self.retries.get(shard, 0), False, "RecordAgeExceeded")
            outcome.discarded += [_seq(r) for r in expired]
            self._done(shard, end if len(expired) == len(batch) and end else expired[-1])
            return
        sequences = [_seq(r) for r in batch]
        outcome.delivered += sequences
        error = False
        try:
            result = self.invoke(self.function, events.stream_event(batch, self.stream_arn))
            failed = _failures(result, sequences) if self.function.report_batch_item_failures else []
        except Exception:
            print(f"! {self.function.logical_id} failed on a stream batch", flush=True)
            traceback.print_exc()
            error, failed = True, None
        if failed == []:
            self._done(shard, end or batch[-1])
            return
        outcome.error = outcome.error or error
        if failed is None:  # the whole batch failed
            outcome.failed += sequences
            rest = batch
        else:
            outcome.failed += failed
            first = sequences.index(min(failed, key=int))
            if first:
                self._done(shard, batch[first - 1])
            rest = batch[first:]
        if error and self.function.bisect and len(rest) > 1:
            self.retry[shard] = rest[: len(rest) // 2]  # splitting does not consume the retry quota
            return
        retries = self.retries.get(shard, 0) + 1
        if 0 <= self.function.max_retry_attempts < retries:
            self._give_up(shard, rest, retries, error)
            outcome.discarded += [_seq(r) for r in rest]
            self._done(shard, end or rest[-1])
            return
        self.retry[shard], self.retries[shard] = rest, retries

    def _give_up(
        self,
        shard: str,
        batch: "list[RecordTypeDef]",
        invocations: int,
        error: bool,
        condition: str = "RetryAttemptsExhausted",
    ) -> None:
        """Lambda's invocation record of the discarded batch, to the OnFailure destination."""
        print(f"! {self.function.logical_id}: {condition}, {len(batch)} record(s) discarded", flush=True)
        if not self.on_failure_url:
            return
        response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
        if error:
            response["functionError"] = "Unhandled"
        record = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": function_arn(self.function),
                "condition": condition,
                "approximateInvokeCount": invocations,
            },
            "responseContext": response,
            "version": "1.0",
            "timestamp": _iso(datetime.now(UTC)),
            "DDBStreamBatchInfo": {
                "shardId": shard,
                "startSequenceNumber": _seq(batch[0]),
                "endSequenceNumber": _seq(batch[-1]),
                "approximateArrivalOfFirstRecord": _iso(
                    batch[0]["dynamodb"].get("ApproximateCreationDateTime")
                ),
                "approximateArrivalOfLastRecord": _iso(
                    batch[-1]["dynamodb"].get("ApproximateCreationDateTime")
                ),
                "batchSize": len(batch),
                "streamArn": self.stream_arn,
            },
        }
        boto3.client("sqs", region_name=REGION).send_message(
            QueueUrl=self.on_failure_url, MessageBody=json.dumps(record)
        )


class QueueMapping:
    """An SQS event source mapping of `function` (its `SQS` event)."""

    def __init__(self, function: Function, queue_url: str, invoker: Invoke = invoke) -> None:
        filters.check(function.filter_patterns)
        _Transactions.install()
        self.function = function
        self.url = queue_url
        self.invoke = invoker
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.arn = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.in_flight: dict[str, str] = {}  # message id -> receipt handle, of messages kept

    @classmethod
    def of(cls, function: Function, refs: dict[str, str], invoker: Invoke = invoke) -> "QueueMapping":
        if not function.queue:
            raise ValueError(f"{function.logical_id} has no queue trigger")
        return cls(function, refs[function.queue], invoker)

    def poll(self, wait_seconds: int = 0) -> Outcome:
        """One receive and, when it brings messages that match, one invocation."""
        outcome = Outcome()
        messages = self.sqs.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=min(10, self.function.batch_size),
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return outcome
        records = events.sqs_event(messages, self.arn, REGION)["Records"]
        wanted = [r for r in records if filters.matches(self.function.filter_patterns, filters.sqs_view(r))]
        outcome.dropped = len(records) - len(wanted)
        ids = [r["messageId"] for r in wanted]
        failed: list[str] | None = []
        if wanted:
            outcome.delivered = ids
            try:
                result = self.invoke(self.function, {"Records": wanted})
                failed = _failures(result, ids) if self.function.report_batch_item_failures else []
            except Exception:
                print(f"! {self.function.logical_id} failed on an SQS batch", flush=True)
                traceback.print_exc()
                outcome.error, failed = True, None
        kept = set(ids if failed is None else failed)
        outcome.failed = [i for i in ids if i in kept]
        if kept:
            print(
                f"! {self.function.logical_id}: {len(kept)} of {len(ids)} message(s) failed; they return "
                "after the queue's visibility timeout",
                flush=True,
            )
        self.in_flight.update(
            {m["MessageId"]: m["ReceiptHandle"] for m in messages if m["MessageId"] in kept}
        )
        done = [m for m in messages if m["MessageId"] not in kept]
        for start in range(0, len(done), 10):
            self.sqs.delete_message_batch(
                QueueUrl=self.url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(done[start : start + 10])
                ],
            )
        return outcome

    def lapse(self) -> None:
        """Let the visibility timeout of the messages kept so far pass at once (tests only)."""
        for receipt in self.in_flight.values():
            with contextlib.suppress(ClientError):  # received again, moved to the DLQ, or gone
                self.sqs.change_message_visibility(
                    QueueUrl=self.url, ReceiptHandle=receipt, VisibilityTimeout=0
                )
        self.in_flight.clear()


# -- the runner: one thread per mapping ------------------------------------------------------------


def _stream_doorbell(stream_arn: str) -> tuple[int, int] | None:
    """Which shard object moto's table now has and how many records it holds, read in-process (no
    call); None if unknown. The stream is read through the API only when this changed."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    try:
        table = stream_arn.split(":", 6)[5].split("/")[1]
        shard = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table(table).stream_shard
    except Exception:  # moto's internals changed: read the stream every time instead
        return None
    return None if shard is None else (id(shard), len(shard.items))


def _queue_doorbell(queue_url: str) -> bool | None:
    """Whether moto's queue holds a visible message, read in-process (no call); None if unknown."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.sqs.models import sqs_backends

    try:
        queue = sqs_backends[DEFAULT_ACCOUNT_ID][REGION].queues[queue_url.rsplit("/", 1)[-1]]
        return bool(queue.messages)
    except Exception:  # moto's internals changed: long-poll instead
        return None


class Poller(threading.Thread):
    """Polls one mapping until `stop`: at once when moto's state changed, else every POLL_SECONDS."""

    def __init__(self, mapping: StreamMapping | QueueMapping, stop: threading.Event) -> None:
        kind = "stream" if isinstance(mapping, StreamMapping) else "sqs"
        super().__init__(name=f"{kind}-{mapping.function.logical_id}", daemon=True)
        self.mapping = mapping
        self.stop = stop
        self.seen: object = None  # the stream's doorbell when it was last read to its end

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                pause = self._step()
            except (BotoCoreError, ClientError) as exc:
                if not self.stop.is_set():
                    print(f"! {self.name}: {exc}", flush=True)
                pause = 1.0
            except Exception:  # a bug here must not stop the trigger for the rest of the run
                traceback.print_exc()
                pause = 1.0
            if pause:
                self.stop.wait(pause)

    def _step(self) -> float:
        mapping = self.mapping
        if isinstance(mapping, QueueMapping):
            ready = _queue_doorbell(mapping.url)
            if ready is False:
                return POLL_SECONDS
            outcome = mapping.poll(0 if ready else SQS_WAIT_SECONDS)
            mapping.in_flight.clear()  # real time: their visibility timeout runs out by itself
            return 0 if outcome.delivered or outcome.dropped else POLL_SECONDS
        bell = mapping.reader.doorbell()
        if not mapping.retry and bell is not None and bell == self.seen:
            return POLL_SECONDS
        outcome = mapping.poll()
        if outcome.failed:
            return RETRY_DELAY_SECONDS
        if outcome.idle:
            self.seen = bell
            return mapping.reader.idle_seconds
        return 0


def mappings(
    functions: list[Function], refs: dict[str, str], invoker: Invoke = invoke
) -> list[StreamMapping | QueueMapping]:
    """Every event source mapping the template declares, on the resources `refs` names."""
    found: list[StreamMapping | QueueMapping] = []
    for function in functions:
        if function.stream:
            found.append(StreamMapping.of(function, refs, invoker))
        if function.queue:
            found.append(QueueMapping.of(function, refs, invoker))
    return found


def start_all(
    functions: list[Function], refs: dict[str, str], stop: threading.Event, invoker: Invoke = invoke
) -> list[Poller]:
    """A poller for each mapping the template declares, started, invoking through `invoker` (the
    runner's: its execution environments)."""
    pollers = [Poller(m, stop) for m in mappings(functions, refs, invoker)]
    for poller in pollers:
        poller.start()
    return pollers
