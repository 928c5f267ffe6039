"""The stream router under faults, through the one emulation of Lambda's mapping (`local_runner.esm`)
with the template's settings: a batch is processed in order and stops at its first failing record,
so a retry puts nothing twice; a record that fails on every retry ends alone on the stream's
dead-letter queue, the shard moves on, the alarm's metric is counted, and `scripts.replay` delivers
it once when the cause is fixed (docs/OPERATIONS.md, "A stuck stream record")."""

import json
from collections import Counter
from typing import Any

import pytest
from hellojohn import signals
from hellojohn.adapters import bus, jobs

from local_runner import template
from local_runner.bus import Tap
from scripts import replay
from tests.conftest import Api, Tenant
from tests.emf import emitted, totals
from tests.pipeline import Pipeline, client_error

NAMES = ("ann", "ben", "cat", "dan", "eve", "fay")


@pytest.fixture
def tap(aws: dict[str, str]) -> Tap:
    return Tap(aws["UserEventBus"], prefix="test")


@pytest.fixture
def puts(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every change event EventBridge took, in the order it took them (the detail)."""
    client = bus.events()
    real = client.put_events
    taken: list[dict[str, Any]] = []

    def recording(**kwargs: Any) -> Any:
        out = real(**kwargs)
        if not out.get("FailedEntryCount"):
            taken.extend(json.loads(e["Detail"]) for e in kwargs["Entries"])
        return out

    monkeypatch.setattr(client, "put_events", recording)
    return taken


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every job SQS took from the router (the body)."""
    client = jobs.sqs()
    real = client.send_message
    taken: list[dict[str, Any]] = []

    def recording(**kwargs: Any) -> Any:
        out = real(**kwargs)
        taken.append(json.loads(kwargs["MessageBody"]))
        return out

    monkeypatch.setattr(client, "send_message", recording)
    return taken


def router() -> template.Function:
    [found] = [f for f in template.functions() if f.stream]
    return found


def changes(api: Api, tenant: Tenant) -> list[str]:
    """Six users created, then each asks for a new email (a job each, and a notice): 12 changes."""
    ids = []
    for name in NAMES:
        reply = api("POST", "/v1/users", {"email": f"{name}@example.com"}, tenant.admin())
        assert reply.status == 201, reply.body
        ids.append(reply.body["id"])
    for name, uid in zip(NAMES, ids, strict=True):
        reply = api("PATCH", f"/v1/users/{uid}", {"email": f"{name}.new@example.com"}, tenant.admin())
        assert reply.status == 200, reply.body
    return ids


def history(api: Api, tenant: Tenant, uid: str) -> list[str]:
    reply = api("GET", f"/v1/users/{uid}/events", None, tenant.admin())
    assert reply.status == 200, reply.body
    return [e["change_id"] for e in reply.body["data"]]


def user_sequences(pipe: Pipeline) -> list[str]:
    return [
        r["dynamodb"]["SequenceNumber"]
        for r in pipe.pending_records()
        if r["dynamodb"]["Keys"]["SK"]["S"] == "USER"
    ]


def job_key(job: dict[str, Any]) -> tuple[Any, ...]:
    return (job["type"], job.get("kind"), job["user_id"], job.get("change_id"))


@pytest.mark.parametrize("k", [1, 4, 12])  # the first record of the batch, one inside it, the last
def test_eventbridge_failing_once_on_record_k_puts_every_change_once_in_order(
    api: Api,
    tenant: Tenant,
    pipe: Pipeline,
    tap: Tap,
    puts: list[dict[str, Any]],
    queued: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    k: int,
) -> None:
    ids = changes(api, tenant)
    sequences = user_sequences(pipe)
    assert len(sequences) == 12

    client = bus.events()
    recording = client.put_events
    calls = {"n": 0}

    def failing_on_k(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == k:
            raise client_error("PutEvents", "ThrottlingException")
        return recording(**kwargs)

    monkeypatch.setattr(client, "put_events", failing_on_k)
    first = pipe.route()  # the whole stream is one batch (BatchSize 100)
    assert first.routed == 12
    assert first.router_failures == sequences[k - 1 :]  # record k and every later one: retried from k
    assert [p["sequence"] for p in puts] == sequences[: k - 1]  # those before it are put, once

    pipe.pump()
    assert calls["n"] == 12 + 1  # each change put once, plus the one refused
    assert [p["sequence"] for p in puts] == sequences  # every change once, in the stream's order
    on_bus = [e["detail"]["change_id"] for e in tap.all()]
    assert sorted(on_bus) == sorted(p["change_id"] for p in puts) and len(set(on_bus)) == 12
    for uid in ids:  # each history entry once
        kept = history(api, tenant, uid)
        assert len(kept) == len(set(kept)) == 2
    # each job once: a verification and a "change requested" notice per email change
    counted = Counter(job_key(j) for j in queued)
    assert len(counted) == 12 and set(counted.values()) == {1}, counted
    assert sorted(e.to[0] for e in pipe.verifications()) == sorted(f"{n}.new@example.com" for n in NAMES)


def test_sqs_failing_once_on_a_record_queues_and_puts_nothing_twice(
    api: Api,
    tenant: Tenant,
    pipe: Pipeline,
    puts: list[dict[str, Any]],
    queued: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The second job of a record refused: its first job went out, the retry sends the rest."""
    changes(api, tenant)
    sequences = user_sequences(pipe)
    client = jobs.sqs()
    recording = client.send_message
    calls = {"n": 0}

    def failing_on_2(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise client_error("SendMessage")
        return recording(**kwargs)

    monkeypatch.setattr(client, "send_message", failing_on_2)
    pipe.pump()
    assert [p["sequence"] for p in puts] == sequences  # every change once, in order
    counted = Counter(job_key(j) for j in queued)
    # the failing record's first job is queued again by its retry (workers drop the copy), no other
    assert len(counted) == 12 and sorted(counted.values()) == [1] * 11 + [2]


def test_a_poison_record_ends_alone_on_the_dead_letter_queue_and_replays_once(
    api: Api,
    tenant: Tenant,
    pipe: Pipeline,
    tap: Tap,
    puts: list[dict[str, Any]],
    aws: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ids = changes(api, tenant)
    sequences = user_sequences(pipe)
    poison_user = ids[2]  # cat's email change: record 9 of 12
    poison = sequences[8]
    client = bus.events()
    recording = client.put_events
    broken = {"on": True}

    def refusing(**kwargs: Any) -> Any:
        [entry] = kwargs["Entries"]
        detail = json.loads(entry["Detail"])
        if broken["on"] and detail["user_id"] == poison_user and detail["sequence"] == poison:
            return {  # for good: every retry gets the same answer
                "FailedEntryCount": 1,
                "Entries": [{"ErrorCode": "ValidationException", "ErrorMessage": "injected: too large"}],
            }
        return recording(**kwargs)

    monkeypatch.setattr(client, "put_events", refusing)
    capsys.readouterr()
    rounds = pipe.pump(max_rounds=60)
    counted = totals(emitted(capsys.readouterr().out))

    # alone on the dead-letter queue, after the retries
    [dead] = pipe.peek("StreamDeadLetterQueue")
    info = dead["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (poison, poison, 1)
    assert dead["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert [s for r in rounds for s in r.discarded] == [poison]
    attempts = sum(r.router_failures.count(poison) for r in rounds)
    assert attempts >= router().max_retry_attempts + 1  # its every retry, and the shard moved on
    # every other change delivered once, in order
    others = [s for s in sequences if s != poison]
    assert [p["sequence"] for p in puts] == others
    assert len(tap.all()) == 11
    # the alarm's metric: one per invocation stopped at the record, enough to cross the threshold
    alarm = template.load()["Resources"]["StreamFailingAlarm"]["Properties"]
    assert counted[signals.STREAM_RECORDS_FAILED] == attempts >= alarm["Threshold"]

    # fixed: the replay delivers it once; again: nothing more
    broken["on"] = False
    url = aws["StreamDeadLetterQueue"]
    [outcome] = replay.replay(url, replay.in_process())
    assert (outcome.result, outcome.records, outcome.condition) == ("delivered", 1, "RetryAttemptsExhausted")
    assert [p["sequence"] for p in puts] == [*others, poison]
    assert pipe.depth("StreamDeadLetterQueue") == 0
    assert replay.replay(url, replay.in_process()) == []
    assert [p["sequence"] for p in puts].count(poison) == 1
    assert len(history(api, tenant, poison_user)) == 2  # its creation and the replayed change, once
    pipe.pump()
    assert [m.to for m in pipe.verifications("cat.new@example.com")] == [["cat.new@example.com"]]


def test_a_replay_that_fails_again_leaves_the_message(
    api: Api,
    tenant: Tenant,
    user: dict[str, Any],
    pipe: Pipeline,
    aws: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = bus.events()
    monkeypatch.setattr(
        client, "put_events", lambda **kwargs: (_ for _ in ()).throw(client_error("PutEvents"))
    )
    pipe.pump()
    assert pipe.depth("StreamDeadLetterQueue") == 1
    assert [
        o.result for o in replay.replay(aws["StreamDeadLetterQueue"], replay.in_process(), dry_run=True)
    ] == ["listed"]
    [outcome] = replay.replay(aws["StreamDeadLetterQueue"], replay.in_process())
    assert outcome.result == "failed"
    assert pipe.depth("StreamDeadLetterQueue") == 1  # still there, visible again at once
