"""The template's event source mappings, run as Lambda runs them: a DynamoDB stream and SQS queues.

- Stream: records are read from moto's stream (`dynamodbstreams`) from TRIM_HORIZON, filtered by
  the trigger's FilterCriteria (filtered-out records are skipped, as Lambda drops them), and given
  to the function in batches of up to BatchSize as soon as they appear (no batching window). With
  ReportBatchItemFailures, the shard is re-read from the first reported record (an exception or an
  unknown identifier retries the whole batch); after MaximumRetryAttempts retries the batch is
  described to the OnFailure queue and skipped. Not emulated: BisectBatchOnFunctionError, shards
  other than moto's one, the 24-hour retention.
- SQS: up to BatchSize messages are received and given to the function; the messages not named
  in batchItemFailures are deleted; the others come back after the queue's visibility timeout,
  and moto moves them to the dead-letter queue after maxReceiveCount receives. A filtered-out
  message is deleted.

Both look at moto's state in this process first (a doorbell: is there anything new?) and call the
API only then, so that a quiet stack costs no calls while work is picked up within POLL_SECONDS.
"""

import json
import threading
import time
import traceback
import uuid
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from local_runner import events, filters
from local_runner.invoke import REGION, function_arn, invoke
from local_runner.template import Function

POLL_SECONDS = 0.1
SQS_WAIT_SECONDS = 1  # a long poll, when the doorbell is unavailable
RETRY_DELAY_SECONDS = 0.5


def _forget_iterator(iterator: str) -> None:
    """moto keeps every shard iterator it hands out, forever (AWS expires them after 15 minutes);
    drop the ones already used so that polling a quiet stream costs no memory."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    iterators = getattr(dynamodbstreams_backends[DEFAULT_ACCOUNT_ID][REGION], "shard_iterators", {})
    iterators.pop(iterator, None)


def _stream_length(table_name: str) -> int | None:
    """How many records moto's stream of the table holds, read in-process (no call); None if unknown.

    A doorbell: the stream is read through the API only when this changed, so a quiet stream
    costs nothing while new records are still seen within POLL_SECONDS.
    """
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    try:
        return len(dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table(table_name).stream_shard.items)
    except Exception:  # moto's internals changed: read the stream every time instead
        return None


class StreamPoller(threading.Thread):
    def __init__(
        self, function: Function, table_name: str, refs: dict[str, str], stop: threading.Event
    ) -> None:
        super().__init__(name=f"stream-{function.logical_id}", daemon=True)
        self.function = function
        self.table_name = table_name
        self.refs = refs
        self.stop = stop
        self.streams = boto3.client("dynamodbstreams")
        ddb = boto3.client("dynamodb")
        self.stream_arn = ddb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
        shards = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        self.shard = shards[0]["ShardId"]

    def _iterator(self, kind: str, sequence: str | None = None) -> str:
        params: dict[str, Any] = {
            "StreamArn": self.stream_arn,
            "ShardId": self.shard,
            "ShardIteratorType": kind,
        }
        if sequence is not None:
            params["SequenceNumber"] = sequence
        return str(self.streams.get_shard_iterator(**params)["ShardIterator"])

    def run(self) -> None:
        self.iterator = self._iterator("TRIM_HORIZON")
        self.attempts = 0
        self.read_up_to: int | None = None  # the stream's length when it was last read to its end
        while not self.stop.is_set():
            try:
                self._step()
            except Exception:  # a bug here must not stop the trigger for the rest of the run
                traceback.print_exc()
                self.stop.wait(1)

    def _step(self) -> None:
        length = _stream_length(self.table_name)
        if self.attempts == 0 and length is not None and length == self.read_up_to:
            self.stop.wait(POLL_SECONDS)
            return
        try:
            out = self.streams.get_records(ShardIterator=self.iterator, Limit=self.function.batch_size)
        except (BotoCoreError, ClientError) as exc:
            if not self.stop.is_set():
                print(f"! stream read failed: {exc}", flush=True)
            self.stop.wait(1)
            return
        _forget_iterator(self.iterator)
        records, following = out["Records"], out["NextShardIterator"]
        if not records:
            self.iterator, self.read_up_to = following, length
            self.stop.wait(POLL_SECONDS)
            return
        wanted = [r for r in records if filters.matches(self.function.filter_patterns, r)]
        failed_at = self._deliver(wanted) if wanted else None
        if failed_at is None:
            self.attempts, self.iterator = 0, following
            return
        self.attempts += 1
        if 0 <= self.function.max_retry_attempts < self.attempts:
            self._give_up(wanted, failed_at, self.attempts)
            self.attempts, self.iterator = 0, following
            return
        self.iterator = self._iterator("AT_SEQUENCE_NUMBER", failed_at)
        self.stop.wait(RETRY_DELAY_SECONDS)

    def _deliver(self, records: list[dict[str, Any]]) -> str | None:
        """None when the batch succeeded, else the sequence number to retry from."""
        sequences = [r["dynamodb"]["SequenceNumber"] for r in records]
        try:
            result = invoke(self.function, events.stream_event(records, self.stream_arn))
        except Exception:
            print(f"! {self.function.logical_id} failed; the batch will be retried", flush=True)
            traceback.print_exc()
            return sequences[0]
        failures = [str(f.get("itemIdentifier", "")) for f in (result or {}).get("batchItemFailures") or []]
        if not failures:
            return None
        if any(f not in sequences for f in failures):
            return sequences[0]
        return min(failures, key=int)

    def _give_up(self, records: list[dict[str, Any]], failed_at: str, attempts: int) -> None:
        """Describe the abandoned batch to the OnFailure destination, as Lambda does."""
        batch = [r for r in records if int(r["dynamodb"]["SequenceNumber"]) >= int(failed_at)]
        print(f"! {self.function.logical_id}: retries exhausted, {len(batch)} record(s) skipped", flush=True)
        if not self.function.on_failure:
            return
        arrivals = [events.stream_event([r], self.stream_arn)["Records"][0] for r in (batch[0], batch[-1])]
        record = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": function_arn(self.function),
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": attempts,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "DDBStreamBatchInfo": {
                "shardId": self.shard,
                "startSequenceNumber": batch[0]["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": batch[-1]["dynamodb"]["SequenceNumber"],
                "approximateArrivalOfFirstRecord": arrivals[0]["dynamodb"].get("ApproximateCreationDateTime"),
                "approximateArrivalOfLastRecord": arrivals[1]["dynamodb"].get("ApproximateCreationDateTime"),
                "batchSize": len(batch),
                "streamArn": self.stream_arn,
            },
        }
        boto3.client("sqs").send_message(
            QueueUrl=self.refs[self.function.on_failure], MessageBody=json.dumps(record)
        )


def _queue_ready(queue_url: str) -> bool | None:
    """Whether moto's queue holds a visible message, read in-process (no call); None if unknown."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sqs.models import sqs_backends

    try:
        return bool(sqs_backends[DEFAULT_ACCOUNT_ID][REGION].queues[queue_url.rsplit("/", 1)[-1]].messages)
    except Exception:  # moto's internals changed: long-poll instead
        return None


class QueuePoller(threading.Thread):
    def __init__(self, function: Function, queue_url: str, stop: threading.Event) -> None:
        super().__init__(name=f"sqs-{function.logical_id}", daemon=True)
        self.function = function
        self.url = queue_url
        self.stop = stop
        self.sqs = boto3.client("sqs")
        attributes = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
        self.arn = attributes["Attributes"]["QueueArn"]

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self._step()
            except Exception:  # a bug here must not stop the trigger for the rest of the run
                traceback.print_exc()
                self.stop.wait(1)

    def _step(self) -> None:
        ready = _queue_ready(self.url)
        if ready is False:
            self.stop.wait(POLL_SECONDS)
            return
        try:
            messages = self.sqs.receive_message(
                QueueUrl=self.url,
                MaxNumberOfMessages=min(10, self.function.batch_size),
                WaitTimeSeconds=0 if ready else SQS_WAIT_SECONDS,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
        except (BotoCoreError, ClientError) as exc:
            if not self.stop.is_set():
                print(f"! queue read failed: {exc}", flush=True)
            self.stop.wait(1)
            return
        if messages:
            self._deliver(messages)

    def _deliver(self, messages: list[dict[str, Any]]) -> None:
        event = events.sqs_event(messages, self.arn, REGION)
        wanted = [
            r for r in event["Records"] if filters.matches(self.function.filter_patterns, filters.sqs_view(r))
        ]
        failed: set[str] = set()
        if wanted:
            ids = {r["messageId"] for r in wanted}
            started = time.monotonic()
            try:
                result = invoke(self.function, {"Records": wanted})
                failed = {
                    str(f.get("itemIdentifier", "")) for f in (result or {}).get("batchItemFailures") or []
                }
                if not failed <= ids:  # an identifier Lambda cannot match fails the whole batch
                    failed = ids
            except Exception:
                print(
                    f"! {self.function.logical_id} failed; the batch returns after the visibility timeout",
                    flush=True,
                )
                traceback.print_exc()
                failed = ids
            if failed:
                print(
                    f"! {self.function.logical_id}: {len(failed)} of {len(wanted)} message(s) failed "
                    f"({time.monotonic() - started:.2f} s); they return after the visibility timeout",
                    flush=True,
                )
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            self.sqs.delete_message_batch(
                QueueUrl=self.url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(done[start : start + 10])
                ],
            )


def start_all(
    functions: list[Function], refs: dict[str, str], stop: threading.Event
) -> list[threading.Thread]:
    """A poller for each stream and queue trigger the template declares, started."""
    pollers: list[threading.Thread] = []
    for function in functions:
        if function.stream:
            pollers.append(StreamPoller(function, refs[function.stream], refs, stop))
        if function.queue:
            pollers.append(QueuePoller(function, refs[function.queue], stop))
    for poller in pollers:
        poller.start()
    return pollers
