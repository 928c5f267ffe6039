"""DynamoDB Local as the runner starts it (local_runner/aws.py) and the stream reader that reads it
with the dynamodbstreams API only (local_runner/esm.py, `ApiStreamReader`).

Against the real DynamoDB Local (`make ddblocal` installs it; `make pytest` does first), except the
shard topologies it does not produce (several shards, a closed parent, an expired or trimmed
iterator), which a stand-in streams client plays."""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local_runner import aws, esm
from local_runner.aws import DYNAMODB_ENDPOINTS, DynamoDBLocal, Unavailable
from local_runner.invoke import REGION
from local_runner.template import Function

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dynamodb_local() -> Iterator[str]:
    server = DynamoDBLocal()
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture
def on_local(dynamodb_local: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """boto3's DynamoDB and DynamoDB Streams clients pointed at DynamoDB Local, as the runner does."""
    for name in DYNAMODB_ENDPOINTS:
        monkeypatch.setenv(name, dynamodb_local)
    return dynamodb_local


def _table() -> str:
    name = f"t-{uuid.uuid4().hex[:12]}"
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("PK", "SK")],
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    return name


class Recorder:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.fail = False

    def __call__(self, function: Function, event: dict[str, Any]) -> Any:
        self.events.append(event)
        if self.fail:
            raise RuntimeError("the stand-in fails")
        return None


def _mapping(table: str, recorder: Recorder, **trigger: Any) -> esm.StreamMapping:
    function = Function("StandIn", ROOT, "app.handler", stream="Stand", **trigger)
    return esm.StreamMapping.of(function, {"Stand": table}, recorder)


def _put(table: str, pk: str, **attributes: Any) -> None:
    item = {"PK": {"S": pk}, "SK": {"S": "USER"}, **attributes}
    boto3.client("dynamodb", region_name=REGION).put_item(TableName=table, Item=item)


def _keys(event: dict[str, Any]) -> list[str]:
    return [r["dynamodb"]["Keys"]["PK"]["S"] for r in event["Records"]]


def test_the_runner_routes_exactly_dynamodb_and_its_streams(on_local: str) -> None:
    assert boto3.client("dynamodb", region_name=REGION).meta.endpoint_url == on_local
    assert boto3.client("dynamodbstreams", region_name=REGION).meta.endpoint_url == on_local
    assert boto3.client("sqs", region_name=REGION).meta.endpoint_url != on_local


def test_records_are_read_in_order_once_and_empty_maps_come_typed(on_local: str) -> None:
    table, recorder = _table(), Recorder()
    mapping = _mapping(table, recorder)
    assert isinstance(mapping.reader, esm.ApiStreamReader)
    _put(table, "a", meta={"M": {}}, nested={"M": {"inner": {"M": {}}}}, listed={"L": [{"M": {}}, {"L": []}]})
    _put(table, "a", meta={"M": {"k": {"S": "v"}}})
    mapping.poll()
    [event] = recorder.events
    first, second = event["Records"]
    image = first["dynamodb"]["NewImage"]
    # DynamoDB Local streams these as {}: the function gets what DynamoDB sends
    assert image["meta"] == {"M": {}}
    assert image["nested"] == {"M": {"inner": {"M": {}}}}
    assert image["listed"] == {"L": [{"M": {}}, {"L": []}]}
    assert second["dynamodb"]["OldImage"]["meta"] == {"M": {}}
    assert second["dynamodb"]["NewImage"]["meta"] == {"M": {"k": {"S": "v"}}}
    _put(table, "b")
    _put(table, "c")
    mapping.poll()
    assert [_keys(e) for e in recorder.events[1:]] == [["b", "c"]]  # after the checkpoint, nothing again
    assert mapping.poll().idle


def test_a_failed_batch_is_delivered_again_and_the_shard_goes_on_after_it(on_local: str) -> None:
    table, recorder = _table(), Recorder()
    mapping = _mapping(table, recorder, max_retry_attempts=1)
    _put(table, "a")
    recorder.fail = True
    assert mapping.poll().error
    _put(table, "b")  # written while the batch waits for its retry
    recorder.fail = False
    mapping.poll()
    mapping.poll()
    assert [_keys(e) for e in recorder.events] == [["a"], ["a"], ["b"]]


def test_the_reader_after_a_checkpoint_set_back_reads_from_it_again(on_local: str) -> None:
    """An iterator is held only while the checkpoint is where it stopped."""
    table = _table()
    mapping = _mapping(table, Recorder())
    for pk in "abc":
        _put(table, pk)
    [shard] = mapping.shards()
    records = mapping.reader.read(shard, None, 10)
    assert [r["dynamodb"]["Keys"]["PK"]["S"] for r in records] == ["a", "b", "c"]
    done = (esm._seq(records[0]), str(records[0]["eventID"]))
    again = mapping.reader.read(shard, done, 10)
    assert [r["dynamodb"]["Keys"]["PK"]["S"] for r in again] == ["b", "c"]


def test_stop_ends_dynamodb_local() -> None:
    server = DynamoDBLocal()
    server.start()
    process = server.process
    assert process is not None
    server.stop()
    assert process.poll() is not None
    assert server.process is None and server.endpoint == ""


def test_not_installed_or_no_java_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aws, "DYNAMODB_LOCAL_DIR", tmp_path)
    with pytest.raises(Unavailable, match=r"not installed: run `make ddblocal`"):
        DynamoDBLocal().launch()
    monkeypatch.undo()
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(Unavailable, match=r"needs Java 17 .* openjdk-17-jre-headless"):
        DynamoDBLocal().launch()


def _dead(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:  # a zombie is dead, only not yet reaped
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_dynamodb_local_dies_with_a_killed_runner() -> None:
    """SIGKILL gives the runner no chance to stop it: the kernel does (no orphan java process)."""
    owner = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time\n"
            "from local_runner.aws import DynamoDBLocal\n"
            "server = DynamoDBLocal()\nserver.start()\n"
            "print(server.process.pid, flush=True)\ntime.sleep(120)\n",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert owner.stdout is not None
    wrapper = int(owner.stdout.readline())  # the pid that execs java: java's own
    with open(f"/proc/{wrapper}/cmdline") as cmdline:
        assert "DynamoDBLocal.jar" in cmdline.read()
    os.kill(owner.pid, signal.SIGKILL)
    owner.wait()
    deadline = time.monotonic() + 10
    while not _dead(wrapper):
        assert time.monotonic() < deadline, "DynamoDB Local outlived its runner"
        time.sleep(0.05)


# -- shard topologies DynamoDB Local does not produce, with a stand-in streams client --------------------


def _record(seq: int, pk: str) -> dict[str, Any]:
    return {
        "eventID": f"e{seq}",
        "eventName": "INSERT",
        "dynamodb": {
            "Keys": {"PK": {"S": pk}},
            "NewImage": {"PK": {"S": pk}, "m": {}},
            "SequenceNumber": str(seq),
        },
    }


class Streams:
    """A stream as `dynamodbstreams` shows it: shards (closed ones have an end), records per shard."""

    def __init__(self, shards: list[dict[str, Any]], records: dict[str, list[dict[str, Any]]]) -> None:
        self.shards, self.records = shards, records
        self.closed: set[str] = set()
        self.expire: set[str] = set()  # iterators to refuse once, as expired
        self.trimmed_before: dict[str, int] = {}
        self.calls: list[str] = []

    def describe_stream(self, **params: Any) -> Any:
        self.calls.append("DescribeStream")
        page = 2
        start = 0
        if "ExclusiveStartShardId" in params:
            start = 1 + [s["ShardId"] for s in self.shards].index(params["ExclusiveStartShardId"])
        shards = self.shards[start : start + page]
        described: dict[str, Any] = {"Shards": shards}
        if start + page < len(self.shards):
            described["LastEvaluatedShardId"] = shards[-1]["ShardId"]
        return {"StreamDescription": described}

    def get_shard_iterator(self, **params: Any) -> Any:
        self.calls.append("GetShardIterator")
        shard, kind = params["ShardId"], params["ShardIteratorType"]
        after = int(params["SequenceNumber"]) if kind == "AFTER_SEQUENCE_NUMBER" else 0
        if after and after < self.trimmed_before.get(shard, 0):
            raise ClientError({"Error": {"Code": "TrimmedDataAccessException"}}, "GetShardIterator")
        return {"ShardIterator": f"{shard}|{after}"}

    def get_records(self, ShardIterator: str, Limit: int) -> Any:
        self.calls.append("GetRecords")
        if ShardIterator in self.expire:
            self.expire.discard(ShardIterator)
            raise ClientError({"Error": {"Code": "ExpiredIteratorException"}}, "GetRecords")
        shard, after = ShardIterator.split("|")
        kept = [r for r in self.records[shard] if int(r["dynamodb"]["SequenceNumber"]) > int(after)]
        kept = [r for r in kept if int(r["dynamodb"]["SequenceNumber"]) >= self.trimmed_before.get(shard, 0)]
        found = kept[:Limit]
        out: dict[str, Any] = {"Records": found}
        last = int(found[-1]["dynamodb"]["SequenceNumber"]) if found else int(after)
        if shard not in self.closed or len(kept) > len(found):
            out["NextShardIterator"] = f"{shard}|{last}"
        elif found:
            out["NextShardIterator"] = None
        return out


def _reading(streams: Streams) -> tuple[esm.StreamMapping, Recorder]:
    recorder = Recorder()
    function = Function("StandIn", ROOT, "app.handler", stream="Stand", batch_size=10)
    mapping = esm.StreamMapping(function, "arn:aws:dynamodb:us-east-1:1:table/x/stream/1", None, recorder)
    mapping.reader = esm.ApiStreamReader(streams, mapping.stream_arn, "StandIn")  # type: ignore[arg-type]
    return mapping, recorder


def test_a_child_shard_waits_until_its_parent_is_read_to_its_end() -> None:
    streams = Streams(
        [
            {"ShardId": "parent"},
            {"ShardId": "child", "ParentShardId": "parent"},
            {"ShardId": "orphan", "ParentShardId": "gone"},
        ],
        {
            "parent": [_record(1, "p1"), _record(2, "p2")],
            "child": [_record(3, "c1")],
            "orphan": [_record(4, "o1")],
        },
    )
    streams.closed.add("parent")
    mapping, recorder = _reading(streams)
    assert mapping.shards() == ["parent", "orphan"]  # a parent no longer listed (trimmed) holds nothing back
    mapping.poll()
    assert [_keys(e) for e in recorder.events] == [["p1", "p2"], ["o1"]]
    mapping.poll()  # the parent, read from its checkpoint: nothing and no next iterator, it has ended
    assert mapping.shards() == ["child", "orphan"]
    mapping.poll()
    assert [_keys(e) for e in recorder.events][2:] == [["c1"]]
    assert recorder.events[0]["Records"][0]["dynamodb"]["NewImage"]["m"] == {"M": {}}


def test_an_expired_iterator_is_asked_again_at_the_checkpoint() -> None:
    streams = Streams([{"ShardId": "s"}], {"s": [_record(1, "a")]})
    mapping, recorder = _reading(streams)
    mapping.poll()
    streams.records["s"].append(_record(2, "b"))
    streams.expire.add("s|1")  # the iterator the reader holds, after record 1
    mapping.poll()
    assert [_keys(e) for e in recorder.events] == [["a"], ["b"]]


def test_trimmed_records_are_skipped_from_the_trim_horizon() -> None:
    streams = Streams([{"ShardId": "s"}], {"s": [_record(1, "a")]})
    mapping, recorder = _reading(streams)
    mapping.poll()
    assert isinstance(mapping.reader, esm.ApiStreamReader)
    mapping.reader.held.clear()  # no iterator held (a restart): asked again after record 1
    streams.records["s"] += [_record(2, "b"), _record(3, "c")]
    streams.trimmed_before["s"] = 3  # records up to 2 are gone
    mapping.poll()
    assert [_keys(e) for e in recorder.events] == [["a"], ["c"]]


def test_shards_are_described_again_only_after_a_while_or_when_one_ends() -> None:
    streams = Streams([{"ShardId": "s"}], {"s": []})
    mapping, _ = _reading(streams)
    for _ in range(5):
        mapping.poll()
    assert streams.calls.count("DescribeStream") == 1
    assert streams.calls.count("GetShardIterator") == 1  # then the held iterator, poll after poll
