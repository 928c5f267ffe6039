"""hellojohn.signals: the counters (EMF on stdout) and the Tracer around every handler
(docs/OPERATIONS.md).

Powertools disables its Tracer outside Lambda, so these tests put a recording provider in the X-Ray
recorder's place: what it records is what the Tracer would send to X-Ray.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hellojohn import signals

from local_runner import events, functions, template
from tests.conftest import PASSWORD, Api, Tenant, sign_in
from tests.emf import emitted, totals


class Recorder:
    """The Tracer's provider: the subsegments opened, and whether X-Ray's SDK was on meanwhile."""

    def __init__(self) -> None:
        self.opened: list[str] = []

    @contextmanager
    def in_subsegment(self, name: str, **_: Any) -> Iterator["Recorder"]:
        self.opened.append(name)
        yield self

    def put_annotation(self, key: str, value: Any) -> None:
        pass

    def put_metadata(self, key: str, value: Any, namespace: str = "") -> None:
        raise AssertionError("nothing of a request goes into a trace as metadata")


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    found = Recorder()
    monkeypatch.setattr(signals.tracer, "provider", found)
    return found


def test_counters_are_written_once_per_invocation_one_document_per_set_of_dimensions(
    aws: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    signals.count(signals.SIGN_INS, outcome="success")
    signals.count(signals.SIGN_INS, outcome="success")
    signals.count(signals.SIGN_INS, outcome="invalid_credentials")
    signals.count("Probe")
    assert capsys.readouterr().out == ""  # nothing before the invocation ends
    signals.flush()
    docs = emitted(capsys.readouterr().out)
    assert len(docs) == 3
    assert totals(docs) == {
        "SignIns{outcome=success}": 2,
        "SignIns{outcome=invalid_credentials}": 1,
        "Probe": 1,
    }
    signals.flush()
    assert emitted(capsys.readouterr().out) == []  # written once


def test_an_email_is_counted_sent_or_failed_and_a_failure_still_raises() -> None:
    signals.discard()
    with signals.sending(signals.NOTICES, kind="password_changed"):
        pass
    with pytest.raises(ConnectionError), signals.sending(signals.NOTICES, kind="password_changed"):
        raise ConnectionError("SES is down")
    with pytest.raises(ConnectionError), signals.sending(signals.VERIFICATION_EMAILS):
        raise ConnectionError("SES is down")
    assert signals.counted() == {
        "NoticesSent{kind=password_changed}": 1,
        "NoticesFailed{kind=password_changed}": 1,
        "VerificationEmailsFailed": 1,
    }
    signals.discard()


def _event_for(function: template.Function) -> dict[str, Any]:
    """Something each function answers without an AWS call: a request on its first route (refused:
    no credential), a job of no known type (dropped), a stream record with no change (skipped)."""
    if function.routes:
        route = function.routes[0]
        path = route.path.replace("{user_id}", "usr_x").replace("{session_id}", "ses_x")
        return events.api_event(route, path.replace("{proxy+}", "x"), headers={}, body=None, query={})
    if function.queue:
        return events.job_event([{"type": "none"}], "arn:aws:sqs:us-east-1:123456789012:q", "us-east-1")
    stream = "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/s"
    record = {"eventID": "1", "eventName": "MODIFY", "eventSource": "aws:dynamodb", "eventSourceARN": stream}
    return {"Records": [record]}


def test_every_functions_handler_is_traced_and_flushes_its_counters(
    aws: dict[str, str], recorder: Recorder, capsys: pytest.CaptureFixture[str]
) -> None:
    """Derived from the template: a new function whose handler is not `signals.observed` fails."""
    from local_runner.invoke import LambdaContext

    every = template.functions()
    assert len(every) >= 27
    for function in every:
        handler = functions.handler(function)
        capsys.readouterr()
        recorder.opened.clear()
        signals.count("Probe")  # counted before the invocation: written when it ends
        handler(_event_for(function), LambdaContext.of(function))
        assert recorder.opened == ["## lambda_handler"], function.logical_id
        assert totals(emitted(capsys.readouterr().out)).get("Probe") == 1, function.logical_id
        assert signals.counted() == {}, function.logical_id


def test_sign_ins_are_counted_by_outcome_and_the_write_that_locks_as_a_lockout(
    api: Api, tenant: Tenant, user: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    sign_in(api, tenant)
    wrong = {"email": "alice@example.com", "password": "Wrong-Horse-42"}
    statuses = [api("POST", "/v1/auth/sign-in", wrong, tenant.public()).status for _ in range(6)]
    assert statuses == [401, 401, 401, 401, 429, 429]
    unknown = {"email": "nobody@example.com", "password": PASSWORD}
    for _ in range(5):
        api("POST", "/v1/auth/sign-in", unknown, tenant.public())
    found = totals(emitted(capsys.readouterr().out))
    assert found == {
        "SignIns{outcome=success}": 1,
        "SignIns{outcome=invalid_credentials}": 8,
        "SignIns{outcome=too_many_attempts}": 3,
        # the fifth wrong guess set the lock; the sixth was refused unchecked (no write, no lockout)
        "Lockouts{account=user}": 1,
        "Lockouts{account=unknown_email}": 1,
    }
