"""The local runner's event source mappings (local_runner.triggers) against moto, with a stand-in
function that records its events: filtering, partial batch responses, retries, OnFailure."""

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest

from local_runner import filters, functions, triggers
from local_runner.template import Function

HANDLER = """
CALLS = []
BEHAVE = [lambda event: None]


def lambda_handler(event, context):
    CALLS.append(event)
    return BEHAVE[0](event)
"""
USER_ONLY = ({"dynamodb": {"Keys": {"SK": {"S": ["USER"]}}}},)


@pytest.fixture
def stand_in(tmp_path: Path) -> Callable[..., tuple[Function, ModuleType]]:
    (tmp_path / "app.py").write_text(HANDLER)

    def make(**trigger: Any) -> tuple[Function, ModuleType]:
        function = Function(f"StandIn{uuid.uuid4().hex}", tmp_path, "app.lambda_handler", **trigger)
        functions.handler(function)
        return function, functions.module(function)

    return make


@pytest.fixture
def stop() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()
    for thread in threading.enumerate():  # before moto's mock ends: no call may escape it
        if thread.name.startswith(("stream-StandIn", "sqs-StandIn")):
            thread.join(timeout=5)


def _until(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
    return found


def _put(table: str, pk: str, sk: str) -> None:
    boto3.client("dynamodb").put_item(TableName=table, Item={"PK": {"S": pk}, "SK": {"S": sk}})


def _keys(event: dict[str, Any]) -> list[str]:
    return [
        f"{r['dynamodb']['Keys']['PK']['S']}/{r['dynamodb']['Keys']['SK']['S']}" for r in event["Records"]
    ]


def test_stream_records_are_filtered_and_in_lambdas_shape(aws: dict[str, str], stand_in: Any, stop: Any):
    function, module = stand_in(stream="Table", filter_patterns=USER_ONLY, batch_size=100)
    _put(aws["Table"], "A", "USER")
    _put(aws["Table"], "A", "SES#1")
    poller = triggers.StreamPoller(function, aws["Table"], aws, stop)
    poller.start()
    _until(lambda: module.CALLS)
    _put(aws["Table"], "B", "USER")
    _until(lambda: len(module.CALLS) == 2)
    assert [_keys(e) for e in module.CALLS] == [["A/USER"], ["B/USER"]]
    record = module.CALLS[0]["Records"][0]
    assert record["eventName"] == "INSERT" and record["eventSource"] == "aws:dynamodb"
    assert record["eventSourceARN"] == poller.stream_arn
    assert record["dynamodb"]["NewImage"] == {"PK": {"S": "A"}, "SK": {"S": "USER"}}
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int)
    json.dumps(module.CALLS)  # what Lambda sends is JSON


def test_stream_retries_from_the_first_reported_record(aws: dict[str, str], stand_in: Any, stop: Any):
    function, module = stand_in(
        stream="Table", filter_patterns=USER_ONLY, batch_size=100, max_retry_attempts=5
    )

    def fail_second_once(event: dict[str, Any]) -> dict[str, Any]:
        records = event["Records"]
        if len(module.CALLS) == 1:
            return {"batchItemFailures": [{"itemIdentifier": records[1]["dynamodb"]["SequenceNumber"]}]}
        return {"batchItemFailures": []}

    module.BEHAVE[0] = fail_second_once
    for pk in ("A", "B", "C"):
        _put(aws["Table"], pk, "USER")
    triggers.StreamPoller(function, aws["Table"], aws, stop).start()
    _until(lambda: len(module.CALLS) == 2)
    time.sleep(0.3)
    assert [_keys(e) for e in module.CALLS] == [["A/USER", "B/USER", "C/USER"], ["B/USER", "C/USER"]]


def test_stream_gives_up_after_the_retries_and_tells_the_on_failure_queue(
    aws: dict[str, str], stand_in: Any, stop: Any
):
    function, module = stand_in(
        stream="Table", filter_patterns=USER_ONLY, max_retry_attempts=1, on_failure="StreamDeadLetterQueue"
    )

    def broken(event: dict[str, Any]) -> None:
        if _keys(event) == ["A/USER"]:
            raise RuntimeError("injected")

    module.BEHAVE[0] = broken
    _put(aws["Table"], "A", "USER")
    triggers.StreamPoller(function, aws["Table"], aws, stop).start()
    sqs = boto3.client("sqs")
    [message] = _until(
        lambda: sqs.receive_message(QueueUrl=aws["StreamDeadLetterQueue"], WaitTimeSeconds=0).get("Messages")
    )
    failure = json.loads(message["Body"])
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 1
    assert len(module.CALLS) == 2  # the first attempt and one retry
    _put(aws["Table"], "B", "USER")  # the shard moved on
    _until(lambda: _keys(module.CALLS[-1]) == ["B/USER"])


def test_sqs_deletes_only_what_did_not_fail(aws: dict[str, str], stand_in: Any, stop: Any):
    function, module = stand_in(queue="EmailQueue", batch_size=10)
    sqs = boto3.client("sqs")
    url = aws["EmailQueue"]

    def fail_first(event: dict[str, Any]) -> dict[str, Any]:
        bad = [r["messageId"] for r in event["Records"] if json.loads(r["body"]) == {"n": 1}]
        return {"batchItemFailures": [{"itemIdentifier": i} for i in bad]}

    module.BEHAVE[0] = fail_first
    sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(n), "MessageBody": json.dumps({"n": n})} for n in (1, 2)]
    )
    triggers.QueuePoller(function, url, stop).start()
    _until(lambda: module.CALLS)

    def depth() -> tuple[int, int]:
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]  # type: ignore[arg-type]
        return int(attrs[names[0]]), int(attrs[names[1]])

    _until(lambda: depth() == (0, 1))  # the failed one is in flight until its visibility timeout
    record = module.CALLS[0]["Records"][0]
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"].endswith(url.rsplit("/", 1)[-1])
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert sorted(json.loads(r["body"])["n"] for r in module.CALLS[0]["Records"]) == [1, 2]


@pytest.mark.parametrize(
    ("pattern", "record", "matched"),
    [
        ({"a": {"b": ["x"]}}, {"a": {"b": "x"}}, True),
        ({"a": {"b": ["x"]}}, {"a": {"b": "y"}}, False),
        ({"a": {"b": ["x"]}}, {"a": {}}, False),
        ({"a": [{"prefix": "SES#"}]}, {"a": "SES#1"}, True),
        ({"a": [{"exists": False}]}, {}, True),
        ({"a": [{"anything-but": ["x"]}]}, {"a": "y"}, True),
        ({"a": [{"anything-but": ["x"]}]}, {"a": "x"}, False),
        ({"body": {"type": ["verify_email"]}}, filters.sqs_view({"body": '{"type": "verify_email"}'}), True),
    ],
)
def test_filters(pattern: dict[str, Any], record: dict[str, Any], matched: bool):
    assert filters.matches((pattern,), record) is matched
    assert filters.matches((), record) is True
