"""`make replay [STACK=name] [ARGS=…]`: deliver the stream's dead-lettered changes, once each.

    python -m scripts.replay                              # the running local runner (.local/stack.json)
    python -m scripts.replay --dry-run                    # what is there, delivering nothing
    python -m scripts.replay --stack hellojohn-users-prod # a deployed stack (the normal AWS credentials)

A message of `StreamDeadLetterQueue` is Lambda's record of a stream batch it gave up on (its
`DDBStreamBatchInfo`: the stream, the shard, the first and last sequence number), not the change:
the changes are read back from the table's stream, which keeps them 24 hours, and given to the
stream router as Lambda would (one invocation, the records in order). The router does with them
what it does with any record: the history entry (once), the jobs, the event on the bus. A message
whose changes were all delivered is deleted, so running the tool again delivers nothing twice; a
message that failed again, or whose records the stream no longer has, stays on the queue (and is
reported). On AWS the router is invoked (its `live` alias) with `lambda:InvokeFunction`, so its own
role does the writes; locally it runs in this process against the runner's moto.
"""

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from local_runner.esm import typed_images
from local_runner.events import stream_event
from scripts import local_stack
from scripts.local_stack import Refused

if TYPE_CHECKING:
    from mypy_boto3_dynamodbstreams.type_defs import RecordTypeDef
    from mypy_boto3_sqs.type_defs import MessageTypeDef

Deliver = Callable[[dict[str, Any]], Any]  # a Lambda stream event -> the router's response
ROUTER = "StreamRouterFunction"
QUEUE = "StreamDeadLetterQueue"
GONE = ("TrimmedDataAccessException", "ResourceNotFoundException")  # past the stream's 24 hours
EMPTY_READS = 5  # GetRecords answers that may be empty before the range is reached (an open shard)


@dataclass(frozen=True)
class Outcome:
    message_id: str
    condition: str  # Lambda's: RetryAttemptsExhausted, RecordAgeExceeded
    records: int  # changes read back from the stream (0: the stream no longer has them)
    result: str  # delivered | failed | expired | not a stream record | listed

    def line(self) -> str:
        return f"{self.message_id}: {self.condition}, {self.records} record(s): {self.result}"


def read_range(streams: Any, info: dict[str, Any]) -> "list[RecordTypeDef]":
    """The stream's records from `startSequenceNumber` to `endSequenceNumber` of one shard, in
    order; [] when the stream no longer has the first one (past its 24 hours, or trimmed)."""
    start, end = int(info["startSequenceNumber"]), int(info["endSequenceNumber"])
    try:
        iterator = streams.get_shard_iterator(
            StreamArn=info["streamArn"],
            ShardId=info["shardId"],
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=info["startSequenceNumber"],
        )["ShardIterator"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in (
            "TrimmedDataAccessException",
            "ResourceNotFoundException",
        ):
            return []
        raise
    found: list[RecordTypeDef] = []
    empty = 0
    while iterator and empty < EMPTY_READS:
        out = streams.get_records(ShardIterator=iterator, Limit=1000)
        records = out.get("Records", [])
        empty = 0 if records else empty + 1
        for record in records:
            sequence = int(record["dynamodb"]["SequenceNumber"])
            if sequence > end:
                return found
            found.append(typed_images(record))  # as the runner's reader gives them (DynamoDB Local)
        iterator = out.get("NextShardIterator")
    if found and int(found[0]["dynamodb"]["SequenceNumber"]) != start:
        return []  # the first change is gone: delivering the rest would skip it silently
    return found


def replay(queue_url: str, deliver: Deliver, dry_run: bool = False, limit: int = 100) -> list[Outcome]:
    """Every message of the dead-letter queue (at most `limit`), delivered once, or listed."""
    sqs = boto3.client("sqs")
    streams = boto3.client("dynamodbstreams")
    outcomes: list[Outcome] = []
    held: list[str] = []  # receipts kept invisible until the end, so one run sees each message once
    while len(outcomes) < limit:
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=min(10, limit - len(outcomes)), VisibilityTimeout=300
        ).get("Messages", [])
        if not messages:
            break
        for message in messages:
            outcome = _one(message, streams, deliver, dry_run)
            outcomes.append(outcome)
            if outcome.result == "delivered":
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            else:
                held.append(message["ReceiptHandle"])
    for receipt in held:  # back on the queue at once, as they were
        sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=receipt, VisibilityTimeout=0)
    return outcomes


def _one(message: "MessageTypeDef", streams: Any, deliver: Deliver, dry_run: bool) -> Outcome:
    body = json.loads(message["Body"])
    info = body.get("DDBStreamBatchInfo") if isinstance(body, dict) else None
    condition = str((body.get("requestContext") or {}).get("condition", "")) if isinstance(body, dict) else ""
    if not isinstance(info, dict):
        return Outcome(message["MessageId"], condition, 0, "not a stream record")
    records = read_range(streams, info)
    if not records:
        return Outcome(message["MessageId"], condition, 0, "expired")
    if dry_run:
        return Outcome(message["MessageId"], condition, len(records), "listed")
    try:
        response = deliver(stream_event(records, info["streamArn"]))
    except Exception as exc:  # noqa: BLE001 - the router raised: every record failed again, reported
        print(f"! {message['MessageId']}: the router failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return Outcome(message["MessageId"], condition, len(records), "failed")
    failed = isinstance(response, dict) and response.get("batchItemFailures")
    return Outcome(message["MessageId"], condition, len(records), "failed" if failed else "delivered")


# -- where: the running local runner, or a deployed stack ----------------------------------------


def local_target(state_dir: Path) -> tuple[str, Deliver]:
    """The local runner's queue, and its router run in this process against the runner's moto."""
    stack = local_stack.attach(state_dir)  # boto3 at the runner's moto, the functions' environment set
    return stack["resources"][QUEUE], in_process()


def in_process() -> Deliver:
    """The router's handler, called here as Lambda would call it (the tests, the local runner)."""
    from local_runner import functions, template
    from local_runner.invoke import LambdaContext

    [router] = [f for f in template.functions() if f.logical_id == ROUTER]
    handler = functions.handler(router)
    return lambda event: handler(event, LambdaContext.of(router))


def deployed_target(stack_name: str) -> tuple[str, Deliver]:
    """A deployed stack's queue (its output) and its router's `live` alias, invoked."""
    try:
        cfn = boto3.client("cloudformation")
        [stack] = cfn.describe_stacks(StackName=stack_name)["Stacks"]
        router = cfn.describe_stack_resource(StackName=stack_name, LogicalResourceId=ROUTER)
    except (BotoCoreError, ClientError) as exc:
        raise Refused(f"cannot read the stack {stack_name!r}: {exc}") from None
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    if "StreamDeadLetterQueueUrl" not in outputs:
        raise Refused(
            f"the stack {stack_name!r} has no output StreamDeadLetterQueueUrl: is it this application?"
        )
    name = router["StackResourceDetail"]["PhysicalResourceId"]
    lambda_ = boto3.client("lambda")

    def deliver(event: dict[str, Any]) -> Any:
        out = lambda_.invoke(FunctionName=name, Qualifier="live", Payload=json.dumps(event).encode())
        payload = json.loads(out["Payload"].read() or b"null")
        if out.get("FunctionError"):
            raise RuntimeError(f"{out['FunctionError']}: {payload}")
        return payload

    return outputs["StreamDeadLetterQueueUrl"], deliver


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.replay", description=__doc__.split("\n")[0])
    parser.add_argument("--stack", help="a deployed stack's name (default: the running local runner)")
    parser.add_argument("--state-dir", default=".local", help="the local runner's state directory")
    parser.add_argument("--dry-run", action="store_true", help="list the messages and their records only")
    parser.add_argument("--limit", type=int, default=100, help="at most this many messages (default 100)")
    args = parser.parse_args(argv)
    try:
        url, deliver = deployed_target(args.stack) if args.stack else local_target(Path(args.state_dir))
        outcomes = replay(url, deliver, dry_run=args.dry_run, limit=args.limit)
    except Refused as exc:
        print(f"make replay: {exc}", file=sys.stderr)
        return 1
    for outcome in outcomes:
        print(outcome.line())
    left = [o for o in outcomes if o.result not in ("delivered", "listed")]
    done = "listed" if args.dry_run else "delivered"
    print(f"{len(outcomes) - len(left)} of {len(outcomes)} message(s) {done}")
    return 1 if left else 0


if __name__ == "__main__":
    raise SystemExit(main())
