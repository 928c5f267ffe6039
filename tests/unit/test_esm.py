"""local_runner.esm, the one emulation of Lambda's event source mappings, against moto, with a
stand-in function that records its events: filtering, batching, partial batch responses and
checkpoints, bisection, retries then the OnFailure destination, SQS redrive, moto's table swap."""

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local_runner import esm, filters, functions, template
from local_runner.template import Function

if TYPE_CHECKING:
    from mypy_boto3_sqs.literals import QueueAttributeNameType

HANDLER = """
CALLS = []
BEHAVE = [lambda event: None]


def lambda_handler(event, context):
    CALLS.append(event)
    return BEHAVE[0](event)
"""
USER_ONLY = ({"dynamodb": {"Keys": {"SK": {"S": ["USER"]}}}},)
StandIn = Callable[..., tuple[Function, ModuleType]]


@pytest.fixture
def stand_in(tmp_path: Path) -> StandIn:
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


def _put(table: str, pk: str, sk: str = "USER") -> None:
    boto3.client("dynamodb").put_item(TableName=table, Item={"PK": {"S": pk}, "SK": {"S": sk}})


def _keys(event: dict[str, Any]) -> list[str]:
    return [r["dynamodb"]["Keys"]["PK"]["S"] for r in event["Records"]]


def _stream(function: Function, aws: dict[str, str]) -> esm.StreamMapping:
    return esm.StreamMapping.of(function, {**aws, "Stand": aws["Table"]})


def _drain(mapping: esm.StreamMapping, rounds: int = 50) -> None:
    for _ in range(rounds):
        if mapping.poll().idle:
            return
    raise AssertionError("the mapping did not settle")


def _messages(url: str) -> list[dict[str, Any]]:
    out = boto3.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    return [json.loads(m["Body"]) for m in out.get("Messages", [])]


def test_the_template_mappings_are_read_from_the_template() -> None:
    by_id = {f.logical_id: f for f in template.functions()}
    router = by_id["StreamRouterFunction"]
    assert (router.stream, router.batch_size, router.max_retry_attempts) == ("Table", 100, 10)
    assert router.max_record_age == 900
    assert (router.bisect, router.report_batch_item_failures, router.on_failure) == (
        True,
        True,
        "StreamDeadLetterQueue",
    )
    assert router.filter_patterns == USER_ONLY
    worker = by_id["EmailWorkerFunction"]
    assert (worker.queue, worker.batch_size, worker.report_batch_item_failures) == ("EmailQueue", 10, True)


# -- the stream ------------------------------------------------------------------------------------


def test_stream_records_are_filtered_batched_and_in_lambdas_shape(
    aws: dict[str, str], stand_in: StandIn
) -> None:
    function, module = stand_in(stream="Stand", filter_patterns=USER_ONLY, batch_size=2)
    mapping = _stream(function, aws)
    for pk in ("A", "B", "C"):
        _put(aws["Table"], pk)
    _put(aws["Table"], "A", "SES#1")
    _drain(mapping)
    assert [_keys(e) for e in module.CALLS] == [["A", "B"], ["C"]]  # BatchSize 2; SES#1 filtered out
    record = module.CALLS[0]["Records"][0]
    assert record["eventName"] == "INSERT" and record["eventSource"] == "aws:dynamodb"
    assert record["eventSourceARN"] == mapping.stream_arn
    assert record["dynamodb"]["NewImage"] == {"PK": {"S": "A"}, "SK": {"S": "USER"}}
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int)
    json.dumps(module.CALLS)  # what Lambda sends is JSON
    assert mapping.pending() == []  # all checkpointed, the filtered record too


def test_a_partial_batch_response_checkpoints_before_the_lowest_reported_record(
    aws: dict[str, str], stand_in: StandIn
) -> None:
    function, module = stand_in(
        stream="Stand", filter_patterns=USER_ONLY, batch_size=100, report_batch_item_failures=True
    )

    def fail_b_and_c_once(event: dict[str, Any]) -> dict[str, Any]:
        records = event["Records"]
        if len(module.CALLS) == 1:
            return {
                "batchItemFailures": [
                    {"itemIdentifier": r["dynamodb"]["SequenceNumber"]} for r in records[1:][::-1]
                ]
            }
        return {"batchItemFailures": []}

    module.BEHAVE[0] = fail_b_and_c_once
    for pk in ("A", "B", "C"):
        _put(aws["Table"], pk)
    mapping = _stream(function, aws)
    _drain(mapping)
    assert [_keys(e) for e in module.CALLS] == [["A", "B", "C"], ["B", "C"]]


@pytest.mark.parametrize("identifier", ["", None, "12345"])
def test_an_unusable_item_identifier_fails_the_whole_batch(
    aws: dict[str, str], stand_in: StandIn, identifier: str | None
) -> None:
    function, module = stand_in(stream="Stand", report_batch_item_failures=True)
    module.BEHAVE[0] = lambda e: (
        {"batchItemFailures": [{"itemIdentifier": identifier}]} if len(module.CALLS) == 1 else None
    )
    for pk in ("A", "B"):
        _put(aws["Table"], pk)
    _drain(_stream(function, aws))
    assert [_keys(e) for e in module.CALLS] == [["A", "B"], ["A", "B"]]


def test_without_report_batch_item_failures_the_response_is_ignored(
    aws: dict[str, str], stand_in: StandIn
) -> None:
    function, module = stand_in(stream="Stand")
    module.BEHAVE[0] = lambda e: {
        "batchItemFailures": [{"itemIdentifier": e["Records"][0]["dynamodb"]["SequenceNumber"]}]
    }
    _put(aws["Table"], "A")
    _drain(_stream(function, aws))
    assert [_keys(e) for e in module.CALLS] == [["A"]]


def test_retries_exhausted_send_lambdas_record_to_the_on_failure_queue_and_the_shard_moves_on(
    aws: dict[str, str], stand_in: StandIn
) -> None:
    function, module = stand_in(
        stream="Stand", filter_patterns=USER_ONLY, max_retry_attempts=2, on_failure="StreamDeadLetterQueue"
    )

    def broken(event: dict[str, Any]) -> None:
        if "A" in _keys(event):
            raise RuntimeError("injected")

    module.BEHAVE[0] = broken
    _put(aws["Table"], "A")
    mapping = _stream(function, aws)
    outcomes = [mapping.poll() for _ in range(3)]
    assert [o.error for o in outcomes] == [True, True, True]
    assert [bool(o.discarded) for o in outcomes] == [False, False, True]  # the first attempt, 2 retries
    [failure] = _messages(aws["StreamDeadLetterQueue"])
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 3
    assert failure["requestContext"]["functionArn"].endswith(f":function:{function.logical_id}")
    assert failure["responseContext"]["functionError"] == "Unhandled"
    info = failure["DDBStreamBatchInfo"]
    [sequence] = outcomes[0].delivered
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (
        sequence,
        sequence,
        1,
    )
    assert info["streamArn"] == mapping.stream_arn and info["shardId"] == mapping.shards()[0]
    assert info["approximateArrivalOfFirstRecord"].endswith("Z")
    _put(aws["Table"], "B")  # the shard moved on
    _drain(mapping)
    assert _keys(module.CALLS[-1]) == ["B"]
    assert len(module.CALLS) == 4


def test_bisect_splits_a_failing_batch_without_consuming_retries(
    aws: dict[str, str], stand_in: StandIn
) -> None:
    function, module = stand_in(
        stream="Stand", bisect=True, max_retry_attempts=1, on_failure="StreamDeadLetterQueue"
    )

    def poison(event: dict[str, Any]) -> None:
        if "C" in _keys(event):
            raise RuntimeError("poison record")

    module.BEHAVE[0] = poison
    for pk in ("A", "B", "C", "D"):
        _put(aws["Table"], pk)
    _drain(_stream(function, aws))
    assert [_keys(e) for e in module.CALLS] == [
        ["A", "B", "C", "D"],  # fails: split
        ["A", "B"],  # succeeds
        ["C", "D"],  # fails: split
        ["C"],  # fails: a batch of one is retried ...
        ["C"],  # ... once (MaximumRetryAttempts 1), then discarded
        ["D"],
    ]
    [failure] = _messages(aws["StreamDeadLetterQueue"])
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 1


def test_a_partial_response_retries_from_the_reported_record_and_bisection_isolates_it(
    aws: dict[str, str], stand_in: StandIn
) -> None:
    """The stream router's way: in order, stopping at the failing record, which it reports with every
    later one; a batch it starts with is a function error (bisected until the record is alone)."""
    function, module = stand_in(
        stream="Stand",
        bisect=True,
        report_batch_item_failures=True,
        max_retry_attempts=2,
        on_failure="StreamDeadLetterQueue",
    )

    def ordered(event: dict[str, Any]) -> dict[str, Any]:
        keys = _keys(event)
        if "C" not in keys:
            return {"batchItemFailures": []}
        if keys[0] == "C":
            raise RuntimeError("every record failed")
        rest = event["Records"][keys.index("C") :]
        return {"batchItemFailures": [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]} for r in rest]}

    module.BEHAVE[0] = ordered
    for pk in ("A", "B", "C", "D", "E", "F"):
        _put(aws["Table"], pk)
    _drain(_stream(function, aws))
    assert [_keys(e) for e in module.CALLS] == [
        ["A", "B", "C", "D", "E", "F"],  # C on: reported; A and B are done
        ["C", "D", "E", "F"],  # retry 1: the whole batch fails, bisected
        ["C", "D"],  # bisected again (bisection is no retry)
        ["C"],  # alone: fails ...
        ["C"],  # ... retry 2, the last (MaximumRetryAttempts 2): discarded
        ["D", "E", "F"],  # the shard moved on
    ]
    [failure] = _messages(aws["StreamDeadLetterQueue"])
    info = failure["DDBStreamBatchInfo"]
    sequence = module.CALLS[3]["Records"][0]["dynamodb"]["SequenceNumber"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (
        sequence,
        sequence,
        1,
    )


def test_records_past_the_maximum_age_are_discarded_without_an_invocation(
    aws: dict[str, str], stand_in: StandIn
) -> None:
    function, module = stand_in(
        stream="Stand", max_retry_attempts=-1, max_record_age=60, on_failure="StreamDeadLetterQueue"
    )

    def broken(event: dict[str, Any]) -> None:
        raise RuntimeError("retried forever (MaximumRetryAttempts -1), until the record is too old")

    module.BEHAVE[0] = broken
    for pk in ("A", "B"):
        _put(aws["Table"], pk)
    mapping = _stream(function, aws)
    assert mapping.poll().error
    mapping.clock = lambda: time.time() + 61  # a minute later: both records are past the age
    outcome = mapping.poll()
    assert len(outcome.discarded) == 2 and not outcome.delivered
    assert len(module.CALLS) == 1
    [failure] = _messages(aws["StreamDeadLetterQueue"])
    assert failure["requestContext"]["condition"] == "RecordAgeExceeded"
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 2
    module.BEHAVE[0] = lambda event: None
    _put(aws["Table"], "C")  # the shard moved on; C is young
    mapping.clock = time.time
    _drain(mapping)
    assert [_keys(e) for e in module.CALLS[1:]] == [["C"]]


def test_the_poller_follows_the_table_moto_swaps_in_on_a_failed_transaction(
    aws: dict[str, str], stand_in: StandIn, stop: threading.Event
) -> None:
    """moto answers a cancelled TransactWriteItems by putting back a copy of the table taken before
    it (same stream ARN, same shard id, its own shard object): the records that follow are in the
    copy only. The runner's poller must go on delivering them, each once."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    function, module = stand_in(stream="Stand", filter_patterns=USER_ONLY)
    mapping = _stream(function, aws)
    esm.Poller(mapping, stop).start()
    _put(aws["Table"], "A")
    _until(lambda: module.CALLS)
    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    before = backend.get_table(aws["Table"])
    ddb = boto3.client("dynamodb")
    with pytest.raises(ClientError, match="TransactionCanceled"):
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": aws["Table"], "Item": {"PK": {"S": "T"}, "SK": {"S": "USER"}}}},
                {
                    "Put": {
                        "TableName": aws["Table"],
                        "Item": {"PK": {"S": "U"}, "SK": {"S": "USER"}},
                        "ConditionExpression": "attribute_exists(PK)",
                    }
                },
            ]
        )
    assert backend.get_table(aws["Table"]) is not before  # moto's swap, which this test is about
    for pk in ("B", "C"):
        _put(aws["Table"], pk)
    _until(lambda: [k for e in module.CALLS for k in _keys(e)][-1:] == ["C"])
    time.sleep(0.3)
    assert [k for e in module.CALLS for k in _keys(e)] == ["A", "B", "C"]  # T was rolled back


def test_a_record_rolled_back_after_delivery_does_not_hide_the_one_reusing_its_number(
    aws: dict[str, str], stand_in: StandIn
) -> None:
    """moto writes a transaction's items one by one and rolls back on a later failure: a record
    read in between is gone from the copy, and the copy gives its sequence number to the next write."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    function, module = stand_in(stream="Stand")
    mapping = _stream(function, aws)
    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    import copy

    snapshot = copy.deepcopy(backend.tables[aws["Table"]])
    _put(aws["Table"], "PHANTOM")
    _drain(mapping)
    backend.tables[aws["Table"]] = snapshot  # what moto's rollback does
    _put(aws["Table"], "REAL")
    _drain(mapping)
    assert [k for e in module.CALLS for k in _keys(e)] == ["PHANTOM", "REAL"]
    assert (
        module.CALLS[0]["Records"][0]["dynamodb"]["SequenceNumber"]
        == module.CALLS[1]["Records"][0]["dynamodb"]["SequenceNumber"]
    )


# -- the queues ------------------------------------------------------------------------------------


def test_sqs_deletes_only_what_did_not_fail_and_filters_delete(
    aws: dict[str, str], stand_in: StandIn
) -> None:
    function, module = stand_in(
        queue="EmailQueue",
        batch_size=10,
        report_batch_item_failures=True,
        filter_patterns=({"body": {"n": [{"numeric": ["<", 3]}]}},),
    )
    sqs = boto3.client("sqs")
    url = aws["EmailQueue"]

    def fail_first(event: dict[str, Any]) -> dict[str, Any]:
        bad = [r["messageId"] for r in event["Records"] if json.loads(r["body"]) == {"n": 1}]
        return {"batchItemFailures": [{"itemIdentifier": i} for i in bad]}

    module.BEHAVE[0] = fail_first
    sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(n), "MessageBody": json.dumps({"n": n})} for n in (1, 2, 3)]
    )
    mapping = esm.QueueMapping.of(function, aws)
    outcome = mapping.poll()
    assert (len(outcome.delivered), len(outcome.failed), outcome.dropped) == (2, 1, 1)

    def depth() -> tuple[int, int]:
        names: list[QueueAttributeNameType] = [
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
        ]
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
        return int(attrs[names[0]]), int(attrs[names[1]])

    assert depth() == (0, 1)  # the failed one is in flight until its visibility timeout
    assert mapping.poll().idle  # ... which has not passed
    record = module.CALLS[0]["Records"][0]
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"].endswith(url.rsplit("/", 1)[-1])
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert sorted(json.loads(r["body"])["n"] for r in module.CALLS[0]["Records"]) == [1, 2]
    mapping.lapse()
    assert mapping.poll().delivered == outcome.failed
    assert module.CALLS[-1]["Records"][0]["attributes"]["ApproximateReceiveCount"] == "2"


def test_sqs_a_function_error_keeps_the_batch_until_max_receive_count_then_the_dead_letter_queue(
    aws: dict[str, str], stand_in: StandIn
) -> None:
    function, module = stand_in(queue="EmailQueue", report_batch_item_failures=True)

    def broken(event: dict[str, Any]) -> None:
        raise RuntimeError("injected")

    module.BEHAVE[0] = broken
    boto3.client("sqs").send_message(QueueUrl=aws["EmailQueue"], MessageBody=json.dumps({"job": 1}))
    mapping = esm.QueueMapping.of(function, aws)
    limit = int(template.resources("AWS::SQS::Queue")["EmailQueue"]["RedrivePolicy"]["maxReceiveCount"])
    for _ in range(limit + 2):
        mapping.poll()
        mapping.lapse()
    assert len(module.CALLS) == limit
    assert _messages(aws["EmailQueue"]) == []
    assert _messages(aws["EmailDeadLetterQueue"]) == [{"job": 1}]


def test_the_runners_queue_poller_delivers(
    aws: dict[str, str], stand_in: StandIn, stop: threading.Event
) -> None:
    function, module = stand_in(queue="EmailQueue")
    esm.Poller(esm.QueueMapping.of(function, aws), stop).start()
    boto3.client("sqs").send_message(QueueUrl=aws["EmailQueue"], MessageBody="plain text")
    _until(lambda: module.CALLS)
    assert module.CALLS[0]["Records"][0]["body"] == "plain text"


# -- filter rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "record", "matched"),
    [
        ({"a": {"b": ["x"]}}, {"a": {"b": "x"}}, True),
        ({"a": {"b": ["x"]}}, {"a": {"b": "y"}}, False),
        ({"a": {"b": ["x"]}}, {"a": {}}, False),
        ({"a": ["x", "y"]}, {"a": "y"}, True),
        ({"a": ["x"]}, {"a": ["z", "x"]}, True),
        ({"a": [None]}, {"a": None}, True),
        ({"a": [None]}, {}, False),
        ({"a": [""]}, {"a": ""}, True),
        ({"a": [1]}, {"a": True}, False),
        ({"a": [{"prefix": "SES#"}]}, {"a": "SES#1"}, True),
        ({"a": [{"suffix": ".png"}]}, {"a": "x.png"}, True),
        ({"a": [{"suffix": ".png"}]}, {"a": "x.jpg"}, False),
        ({"a": [{"equals-ignore-case": "alice"}]}, {"a": "ALICE"}, True),
        ({"a": [{"exists": False}]}, {}, True),
        ({"a": [{"exists": True}]}, {}, False),
        ({"a": [{"exists": True}]}, {"a": None}, True),
        ({"a": [{"anything-but": ["x"]}]}, {"a": "y"}, True),
        ({"a": [{"anything-but": ["x"]}]}, {"a": "x"}, False),
        ({"a": [{"anything-but": "x"}]}, {}, False),
        ({"a": [{"anything-but": {"prefix": "SES#"}}]}, {"a": "SES#1"}, False),
        ({"a": [{"anything-but": {"prefix": "SES#"}}]}, {"a": "USER"}, True),
        ({"a": [{"numeric": [">", 0, "<=", 5]}]}, {"a": 5}, True),
        ({"a": [{"numeric": [">", 0, "<=", 5]}]}, {"a": 6}, False),
        ({"a": [{"numeric": ["=", 1]}]}, {"a": "1"}, False),
        ({"$or": [{"a": ["x"]}, {"b": ["y"]}]}, {"b": "y"}, True),
        ({"$or": [{"a": ["x"]}, {"b": ["y"]}]}, {"a": "y"}, False),
        ({"body": {"type": ["verify_email"]}}, filters.sqs_view({"body": '{"type": "verify_email"}'}), True),
        ({"body": ["plain"]}, filters.sqs_view({"body": "plain"}), True),
    ],
)
def test_filters(pattern: dict[str, Any], record: dict[str, Any], matched: bool) -> None:
    filters.check((pattern,))
    assert filters.matches((pattern,), record) is matched
    assert filters.matches((), record) is True


@pytest.mark.parametrize(
    "pattern",
    [
        {},
        {"a": "x"},
        {"a": []},
        {"a": [{"wildcard": "*"}]},
        {"a": [{"numeric": ["!", 1]}]},
        {"$or": [{"a": ["x"]}]},
    ],
)
def test_a_filter_lambda_would_refuse_is_refused_when_the_mapping_is_made(
    aws: dict[str, str], stand_in: StandIn, pattern: dict[str, Any]
) -> None:
    with pytest.raises(ValueError):
        filters.check((pattern,))
    function, _ = stand_in(queue="EmailQueue", filter_patterns=(pattern,))
    with pytest.raises(ValueError):
        esm.QueueMapping.of(function, aws)
