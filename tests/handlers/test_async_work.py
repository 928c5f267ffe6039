"""The asynchronous work after a committed change (stream -> router -> SQS -> workers), and what
happens to it when a hop fails: nothing is lost, nothing done twice that should not be."""

import json
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import Api, Tenant, bearer, sign_in
from tests.handlers.helpers import get_user, notices_off, session_items
from tests.pipeline import TOKEN, Pipeline, failing

if TYPE_CHECKING:
    from mypy_boto3_dynamodbstreams.type_defs import RecordTypeDef


def change_email(api: Api, tenant: Tenant, uid: str, email: str) -> None:
    reply = api("PATCH", f"/v1/users/{uid}", {"email": email}, tenant.admin())
    assert reply.status == 200, reply.body


def verify(api: Api, tenant: Tenant, token: str) -> Any:
    return api("POST", "/v1/auth/email/verify", {"token": token}, tenant.public())


def max_receive_count(queue: str) -> int:
    from local_runner import template

    return int(template.resources("AWS::SQS::Queue")[queue]["RedrivePolicy"]["maxReceiveCount"])


def user_records(pipe: Pipeline, uid: str) -> "list[RecordTypeDef]":
    return [r for r in pipe.pending_records() if r["dynamodb"]["Keys"]["PK"]["S"].endswith(f"#USR#{uid}")]


# -- the happy path -------------------------------------------------------------------------------


def test_a_change_becomes_exactly_one_job_and_one_email(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    change_email(api, tenant, user["id"], "one@example.com")
    routed = pipe.route()
    assert routed.router_failures == []
    [job] = pipe.peek("EmailQueue", "verify_email")
    assert (job["tenant_id"], job["user_id"]) == (tenant.id, user["id"])
    assert "one@example.com" not in repr(job)  # the job names the change, not the address or a token
    pipe.pump()
    assert [m.to for m in pipe.verifications()] == [["one@example.com"]]
    assert [m.to for m in pipe.notices()] == [[user["email"]]]  # the "change requested" notice
    assert pipe.depth("EmailQueue") == 0
    pipe.pump()  # idle: nothing is sent again
    assert len(pipe.emails()) == 2


def test_a_job_delivered_twice_sends_one_email_and_its_link_still_works(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    """SQS (and a retried stream batch) deliver at least once: a second copy of a job whose email
    went out sends nothing, so the first link is not superseded by a second one."""
    import json

    change_email(api, tenant, user["id"], "twice@example.com")
    pipe.route()
    [job] = pipe.peek("EmailQueue", "verify_email")
    pipe.pump()
    [mail] = pipe.emails("twice@example.com")
    pipe.sqs.send_message(QueueUrl=pipe.queue_url("EmailQueue"), MessageBody=json.dumps(job))
    rounds = pipe.pump()
    assert sum(r.handled.get("EmailQueue", 0) for r in rounds) == 1  # handled: acknowledged, not failed
    assert len(pipe.emails("twice@example.com")) == 1
    assert verify(api, tenant, mail.token).status == 200
    assert get_user(api, tenant, user["id"])["email"] == "twice@example.com"


def test_profile_changes_without_email_queue_nothing(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    body = {"name": "Quiet", "phone_number": "+14155552671", "role": "admin", "public_metadata": {"a": 1}}
    assert api("PATCH", f"/v1/users/{user['id']}", body, tenant.admin()).status == 200
    pipe.route()
    assert pipe.depth("EmailQueue") == 0
    assert pipe.depth("SessionCleanupQueue") == 0


def test_session_cleanup_deletes_every_revoked_session_item(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    sessions = [sign_in(api, tenant) for _ in range(3)]
    assert session_items(tenant.id, user["id"]) == sorted(s["id"] for s in sessions)
    reply = api("POST", f"/v1/users/{user['id']}/disable", {"revoke_sessions": True}, tenant.admin())
    assert reply.status == 200
    # revoked already, before any asynchronous work ran
    for s in sessions:
        assert api("GET", "/v1/auth/me", headers=bearer(s["access_token"])).error == "session_revoked"
    pipe.route()
    [job] = pipe.peek("SessionCleanupQueue")
    assert job["type"] == "delete_sessions"
    assert sorted(job["session_ids"]) == sorted(s["id"] for s in sessions)
    pipe.pump()
    assert session_items(tenant.id, user["id"]) == []
    assert pipe.depth("SessionCleanupQueue") == 0


def test_session_cleanup_keeps_the_sessions_not_revoked(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline
) -> None:
    keeper, *_others = [sign_in(api, tenant) for _ in range(3)]
    body = {
        "current_password": "Correct-Horse-42",
        "new_password": "NewPassword456!",
        "sign_out_other_sessions": True,
    }
    assert api("POST", "/v1/auth/password/change", body, bearer(keeper["access_token"])).status == 200
    pipe.pump()
    assert session_items(tenant.id, user["id"]) == [keeper["id"]]
    assert api("GET", "/v1/auth/me", headers=bearer(keeper["access_token"])).status == 200


# -- (a) SQS refuses the job at the moment of the change ---------------------------------------------


def test_router_reports_a_refused_send_and_the_retry_delivers(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hellojohn.adapters import jobs

    real = jobs.sqs()
    send = failing(1, "SendMessage", then=real.send_message)
    monkeypatch.setattr(jobs, "sqs", lambda: SimpleNamespace(send_message=send))

    change_email(api, tenant, user["id"], "outbox@example.com")
    change_record = user_records(pipe, user["id"])[-1]["dynamodb"]["SequenceNumber"]

    first = pipe.route()
    assert first.router_failures == [change_record]  # reported as a batch item failure
    assert pipe.depth("EmailQueue") == 0
    assert pipe.emails() == []

    rounds = pipe.pump()  # the fault has cleared: Lambda retries the stream from that record
    assert rounds[0].routed == 1
    assert rounds[0].router_failures == []
    [mail] = pipe.emails("outbox@example.com")
    assert send.calls["n"] == 3  # type: ignore[attr-defined]  # refused, then the record's two jobs
    assert verify(api, tenant, mail.token).status == 200
    assert get_user(api, tenant, user["id"])["email"] == "outbox@example.com"


def test_router_keeps_failing_records_in_the_stream_until_sqs_is_back(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hellojohn.adapters import jobs

    real = jobs.sqs()
    stub = SimpleNamespace(send_message=failing(3, "SendMessage", then=real.send_message))
    monkeypatch.setattr(jobs, "sqs", lambda: stub)
    change_email(api, tenant, user["id"], "patient@example.com")
    for _ in range(3):
        assert pipe.route().router_failures
    assert pipe.depth("EmailQueue") == 0
    pipe.pump()
    assert len(pipe.emails("patient@example.com")) == 1


# -- (b) SES fails: the job stays on the queue and is redelivered -------------------------------------


def test_ses_failure_is_retried_and_only_the_delivered_token_verifies(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hellojohn.adapters import mail

    notices_off(tenant)  # SES's one failure is the verification's (the notices': test_notices.py)
    ses = mail.ses()
    attempts: list[dict[str, Any]] = []
    monkeypatch.setattr(ses, "send_email", failing(1, "SendEmail", then=ses.send_email))
    monkeypatch.setattr(ses, "send_email", _recording(ses.send_email, attempts))

    change_email(api, tenant, user["id"], "retry@example.com")
    pipe.route()
    worked = pipe.work("EmailQueue")
    assert worked.handled["EmailQueue"] == 1  # the notice's job, switched off: nothing to send
    assert len(worked.failed["EmailQueue"]) == 1  # reported as a batch item failure ...
    assert pipe.depth("EmailQueue") == 1  # ... so it was not deleted
    assert pipe.emails() == []

    pipe.pump()  # the fault has cleared: SQS redelivers the job
    [email] = pipe.emails("retry@example.com")
    assert len(attempts) == 2
    earlier = TOKEN.search(attempts[0]["Message"]["Body"]["Html"]["Data"])
    assert earlier is not None
    assert earlier.group(1) != email.token

    stale = verify(api, tenant, earlier.group(1))  # the token of the failed attempt is superseded
    assert stale.status == 400, stale.body
    assert verify(api, tenant, email.token).status == 200
    assert get_user(api, tenant, user["id"])["email"] == "retry@example.com"
    assert pipe.depth("EmailQueue") == 0


def _recording(inner: Any, calls: list[dict[str, Any]]) -> Any:
    def call(**kwargs: Any) -> Any:
        calls.append(kwargs)
        return inner(**kwargs)

    return call


# -- (c) a worker crashes on one job of a batch ------------------------------------------------------


def test_one_failing_job_in_a_batch_is_the_only_one_retried(
    api: Api, tenant: Tenant, pipe: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hellojohn.adapters import mail

    people = []
    for name in ("ann", "ben", "cat"):
        created = api("POST", "/v1/users", {"email": f"{name}@example.com"}, tenant.admin())
        assert created.status == 201
        people.append(created.body)
        change_email(api, tenant, created.body["id"], f"{name}.new@example.com")

    ses = mail.ses()
    real_send = ses.send_email
    broken = {"on": True}

    def flaky(**kwargs: Any) -> Any:
        if broken["on"] and kwargs["Destination"]["ToAddresses"] == ["ben.new@example.com"]:
            raise RuntimeError("worker crashed on this job")
        return real_send(**kwargs)

    notices_off(tenant)  # three verification jobs alone (the notices of a failing batch: test_notices.py)
    monkeypatch.setattr(ses, "send_email", flaky)
    pipe.route()
    assert pipe.depth("EmailQueue") == 6  # each change: its verification and its notice
    worked = pipe.work("EmailQueue")  # one batch of the six jobs
    assert worked.handled["EmailQueue"] == 5
    assert len(worked.failed["EmailQueue"]) == 1
    assert sorted(m.to[0] for m in pipe.emails()) == ["ann.new@example.com", "cat.new@example.com"]
    assert pipe.depth("EmailQueue") == 1

    broken["on"] = False
    pipe.pump()
    sent = sorted(m.to[0] for m in pipe.emails())
    assert sent == ["ann.new@example.com", "ben.new@example.com", "cat.new@example.com"]  # each once
    # the jobs that succeeded were not redone: their links (from the first batch) still verify
    for person in people:
        [email] = pipe.emails(f"{person['email'].split('@')[0]}.new@example.com")
        assert verify(api, tenant, email.token).status == 200


# -- (d) a job that fails every time ends in the dead-letter queue -----------------------------------


def test_a_job_failing_every_time_lands_in_the_dead_letter_queue(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hellojohn.adapters import mail

    notices_off(tenant)  # the verification's job alone fails (the notice's is dropped, switched off)
    always = failing(10**6, "SendEmail")
    monkeypatch.setattr(mail.ses(), "send_email", always)
    change_email(api, tenant, user["id"], "doomed@example.com")

    rounds = pipe.pump()
    limit = max_receive_count("EmailQueue")
    assert always.calls["n"] == limit  # type: ignore[attr-defined]
    assert sum(len(r.failed.get("EmailQueue", [])) for r in rounds) == limit
    assert pipe.depth("EmailQueue") == 0
    [dead] = pipe.peek("EmailDeadLetterQueue")
    assert (dead["type"], dead["tenant_id"], dead["user_id"]) == ("verify_email", tenant.id, user["id"])
    assert pipe.emails() == []
    # the change itself is intact: the address is still pending, the old one still active
    after = get_user(api, tenant, user["id"])
    assert (after["email"], after["pending_email"]) == ("alice@example.com", "doomed@example.com")


def test_session_cleanup_retries_a_throttled_delete(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hellojohn.store import client

    sessions = [sign_in(api, tenant) for _ in range(2)]
    db = client.dynamodb()
    batch_write = failing(1, "BatchWriteItem", then=db.batch_write_item)
    monkeypatch.setattr(db, "batch_write_item", batch_write)
    body = {"password": "TemporaryPass123!", "sign_out_all_sessions": True}
    assert api("POST", f"/v1/users/{user['id']}/password", body, tenant.admin()).status == 200

    pipe.route()
    worked = pipe.work("SessionCleanupQueue")
    assert len(worked.failed["SessionCleanupQueue"]) == 1
    assert session_items(tenant.id, user["id"]) == sorted(s["id"] for s in sessions)
    pipe.pump()
    assert session_items(tenant.id, user["id"]) == []
    assert pipe.depth("SessionCleanupQueue") == 0


# -- (e) moto swaps the table on a failed transaction: the stream mapping follows ---------------------


def _table_object(name: str) -> object:
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].get_table(name)


def test_a_failed_transaction_then_an_email_change_still_sends_the_email(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline, aws: dict[str, str]
) -> None:
    """Signing out twice with one token: the second sign-out's transaction is cancelled, and moto
    puts back a copy of the table (and of its stream shard) taken before it."""
    session = sign_in(api, tenant)
    pipe.pump()  # the mapping has read the stream: its checkpoint is in the shard moto will replace
    assert api("POST", "/v1/auth/sign-out", headers=bearer(session["access_token"])).status == 204
    before = _table_object(aws["Table"])
    again = api("POST", "/v1/auth/sign-out", headers=bearer(session["access_token"]))
    assert again.status == 401, again.body
    assert _table_object(aws["Table"]) is not before  # the swap this test is about happened

    change_email(api, tenant, user["id"], "after.swap@example.com")
    pipe.pump()
    [mail] = pipe.emails("after.swap@example.com")
    assert verify(api, tenant, mail.token).status == 200
    assert len(pipe.verifications()) == 1


# -- (f) the router fails every time: the stream's OnFailure destination ------------------------------


def test_a_change_the_router_never_queues_ends_in_the_stream_dead_letter_queue(
    api: Api, tenant: Tenant, user: dict[str, Any], pipe: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hellojohn.adapters import jobs

    from local_runner import template

    pipe.pump()  # the user's creation is routed
    always = failing(10**6, "SendMessage")
    monkeypatch.setattr(jobs, "sqs", lambda: SimpleNamespace(send_message=always))
    change_email(api, tenant, user["id"], "never@example.com")
    [change] = [r["dynamodb"]["SequenceNumber"] for r in user_records(pipe, user["id"])]

    rounds = pipe.pump()
    [router] = [f for f in template.functions() if f.stream]
    assert always.calls["n"] == router.max_retry_attempts + 1  # type: ignore[attr-defined]
    assert [r.router_failures for r in rounds[:-1]] == [[change]] * router.max_retry_attempts
    assert rounds[-1].discarded == [change]
    [failure] = pipe.peek("StreamDeadLetterQueue")
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == router.max_retry_attempts + 1
    # a batch whose every record failed is a function error (Powertools raises), not a partial response
    assert failure["responseContext"]["functionError"] == "Unhandled"
    info = failure["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (change, change, 1)
    assert info["streamArn"] == pipe.stream_arn
    assert "never@example.com" not in json.dumps(failure)  # metadata only, as Lambda sends it
    assert pipe.depth("EmailQueue") == 0 and pipe.emails() == []

    monkeypatch.undo()  # the shard moved on: the next change is routed
    change_email(api, tenant, user["id"], "later@example.com")
    pipe.pump()
    assert [m.to for m in pipe.verifications()] == [["later@example.com"]]
