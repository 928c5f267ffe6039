"""`make replay` (`python -m scripts.replay`) against the running local runner (`.local/stack.json`):
it reads a dead letter's range back from the runner's stream and delivers it through the runner's
stack. (Its faults and its once-only delivery in-process: tests/handlers/test_stream_faults.py.)"""

import json
import subprocess
import sys
import time
from typing import Any

import boto3
import pytest

from local_runner.aws import safe_environment
from tests.conftest import Tenant
from tests.e2e.conftest import ROOT, Http, Runner, UserFactory, unique_email

pytestmark = pytest.mark.e2e


def _replay(runner: Runner, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scripts.replay", "--state-dir", str(runner.state_dir), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _client(stack: dict[str, Any], service: str) -> Any:
    """A client of the runner's stack: DynamoDB and its streams where they run (DynamoDB Local on
    `--dynamodb local`), the rest on moto."""
    env = safe_environment({}, stack["endpoint_url"], stack["region"])
    dynamodb = stack.get("dynamodb_endpoint_url")
    endpoint = dynamodb if dynamodb and service in ("dynamodb", "dynamodbstreams") else stack["endpoint_url"]
    return boto3.session.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=stack["region"],
    ).client(service, endpoint_url=endpoint)  # type: ignore[call-overload]


def _events_of(api: Http, uid: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 10
    while True:
        mine = [e for e in api("GET", "/_local/events").body if e["detail"]["user_id"] == uid]
        if len(mine) >= count or time.monotonic() > deadline:
            return mine
        time.sleep(0.1)


def test_a_dead_letter_is_read_back_from_the_runners_stream_and_delivered_once(
    api: Http, runner: Runner, demo: Tenant, create_user: UserFactory
) -> None:
    user = create_user(demo, unique_email("replay"))
    [created] = _events_of(api, user["id"], 1)
    stack = json.loads((runner.state_dir / "stack.json").read_text())
    table = stack["resources"]["Table"]
    stream_arn = _client(stack, "dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
    streams = _client(stack, "dynamodbstreams")
    [shard] = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]
    [sequence] = [
        r["dynamodb"]["SequenceNumber"]
        for r in records
        if r["eventName"] == "INSERT"
        and r["dynamodb"]["Keys"]["SK"]["S"] == "USER"
        and r["dynamodb"]["Keys"]["PK"]["S"].endswith(f"#USR#{user['id']}")
    ]
    # Lambda's record of a batch given up on, as the mapping sends it to the OnFailure queue
    dead_letter = {
        "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": 11},
        "DDBStreamBatchInfo": {
            "shardId": shard["ShardId"],
            "startSequenceNumber": sequence,
            "endSequenceNumber": sequence,
            "batchSize": 1,
            "streamArn": stream_arn,
        },
    }
    sqs = _client(stack, "sqs")
    queue = stack["resources"]["StreamDeadLetterQueue"]
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(dead_letter))

    listed = _replay(runner, "--dry-run")
    assert listed.returncode == 0, listed.stderr
    assert "RetryAttemptsExhausted, 1 record(s): listed" in listed.stdout
    assert len(_events_of(api, user["id"], 1)) == 1  # a dry run delivers nothing

    done = _replay(runner)
    assert done.returncode == 0, done.stderr
    assert "1 of 1 message(s) delivered" in done.stdout
    # the record had been delivered before (this dead letter is made up): the replay put it once more
    again = _events_of(api, user["id"], 2)
    assert [e["detail"]["change_id"] for e in again] == [created["detail"]["change_id"]] * 2
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "0"

    nothing = _replay(runner)  # the message was deleted: nothing to deliver twice
    assert nothing.returncode == 0 and "0 of 0 message(s) delivered" in nothing.stdout
    assert len(_events_of(api, user["id"], 3)) == 2
    history = api("GET", f"/v1/users/{user['id']}/events", None, demo.admin())
    assert [e["type"] for e in history.body["data"]] == ["user.created"]  # the entry is kept once
