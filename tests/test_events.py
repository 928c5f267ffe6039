"""events/: one sample event per function of template.yaml, each of which works.

Every function is invoked with its sample, the `{{placeholder}}`s filled with a seeded tenant's
real ids, keys and tokens (events/README.md lists them), and must answer as the happy path does.
"""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from local_runner import filters, template
from local_runner.invoke import invoke
from scripts.invoke import PLACEHOLDER, fill
from tests.conftest import PASSWORD, Tenant, make_tenant
from tests.pipeline import Pipeline

EVENTS = Path(__file__).resolve().parent.parent / "events"
FUNCTIONS = {f.code_dir.name: f for f in template.functions()}
SENDER = "no-reply@acme.test"


def sample_text(name: str) -> str:
    return (EVENTS / f"{name}.json").read_text()


def test_every_function_has_a_sample() -> None:
    missing = sorted(name for name in FUNCTIONS if not (EVENTS / f"{name}.json").is_file())
    assert missing == [], f"functions without a sample in events/: {missing}"


def test_every_sample_belongs_to_a_function() -> None:
    strays = sorted(p.stem for p in EVENTS.glob("*.json") if p.stem not in FUNCTIONS)
    assert strays == [], f"samples in events/ for no function of template.yaml: {strays}"


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_sample_matches_the_functions_trigger(name: str) -> None:
    """API samples name one of the function's routes; queue and stream samples have the right source."""
    function = FUNCTIONS[name]
    event = json.loads(sample_text(name))
    if function.routes:
        assert (event["httpMethod"], event["resource"]) in {(r.method, r.path) for r in function.routes}
        assert event["requestContext"]["resourcePath"] == event["resource"]
        assert {k: [v] for k, v in (event["headers"] or {}).items()} == (event["multiValueHeaders"] or {})
    elif function.queue:
        assert all(r["eventSource"] == "aws:sqs" for r in event["Records"])
        assert all(r["eventSourceARN"].endswith(function.queue) for r in event["Records"])
    else:
        assert all(r["eventSource"] == "aws:dynamodb" for r in event["Records"])
        assert all(filters.matches(function.filter_patterns, r) for r in event["Records"])
    unknown = set(PLACEHOLDER.findall(sample_text(name))) - set(PROVIDERS)
    assert unknown == set(), f"placeholders not described in events/README.md: {unknown}"


# -- the seeded world the placeholders come from ----------------------------------------------------


class World:
    """A tenant and a signed-in user, with values made only when a sample asks for them."""

    def __init__(self, refs: dict[str, str]) -> None:
        from hellojohn.models import CreateUser
        from hellojohn.rules import users

        self.refs = refs
        self.tenant: Tenant = make_tenant()
        self.email = "alice@example.com"
        record = users.create(
            self._tenant_record(), CreateUser(email=self.email, password=PASSWORD, name="Alice")
        )
        self.user_id = record.id
        self._values: dict[str, str] = {}

    def _tenant_record(self) -> Any:
        from hellojohn.rules import tenancy

        return tenancy.tenant(self.tenant.id)

    def value(self, name: str) -> str:
        if name not in self._values:
            self._values[name] = PROVIDERS[name](self)
        return self._values[name]

    def session(self) -> dict[str, str]:
        if "_session" not in self._values:
            from hellojohn.models import SignIn
            from hellojohn.rules import account

            signed = account.sign_in(self._tenant_record(), SignIn(email=self.email, password=PASSWORD))
            s = signed.session
            self._values.update(
                _session="1", session_id=s.id, access_token=s.access_token, refresh_token=s.refresh_token
            )
        return self._values

    def pending_change(self) -> str:
        """The change id of a pending email change whose job has not run yet."""
        if "change_id" not in self._values:
            from hellojohn.rules import users
            from hellojohn.store import users as store

            users.patch(self._tenant_record(), self.user_id, {"email": "alice.pending@example.com"}, None)
            user = store.get(self.tenant.id, self.user_id)
            assert user is not None and user.pending_change_id
            self._values["change_id"] = user.pending_change_id
        return self._values["change_id"]

    def delivered_token(self) -> str:
        """The verification token of the pending change, sent through the real chain."""
        if "verification_token" not in self._values:
            self.pending_change()
            Pipeline.verify_sender(SENDER)
            pipe = Pipeline(self.refs)
            pipe.pump()
            [mail] = pipe.emails("alice.pending@example.com")
            self._values["verification_token"] = mail.token
        return self._values["verification_token"]

    def webhook(self) -> str:
        """An endpoint of the tenant's (its URL a public name: no sample reaches the network)."""
        from hellojohn.models import WebhookCreate
        from hellojohn.rules import webhooks

        body = WebhookCreate(url="https://hooks.example.com/hellojohn")
        return webhooks.create(self._tenant_record(), body).id

    def notice_token(self, subject_part: str) -> str:
        """The link token of the notice to the user's first address: the "change requested" one
        (a pending change), or the "email changed" one (that change verified)."""
        self.delivered_token()
        pipe = Pipeline(self.refs)
        if "changed" in subject_part:
            from hellojohn.rules import verification

            verification.verify(self.tenant.id, self.value("verification_token"))
            pipe.pump()
        [mail] = [m for m in pipe.notices(self.email) if subject_part in m.subject]
        return mail.token


PROVIDERS: dict[str, Callable[[World], str]] = {
    "tenant_id": lambda w: w.tenant.id,
    "secret_key": lambda w: w.tenant.secret_key,
    "publishable_key": lambda w: w.tenant.publishable_key,
    "user_id": lambda w: w.user_id,
    "email": lambda w: w.email,
    "password": lambda w: PASSWORD,
    "session_id": lambda w: w.session()["session_id"],
    "access_token": lambda w: w.session()["access_token"],
    "refresh_token": lambda w: w.session()["refresh_token"],
    "change_id": lambda w: w.pending_change(),
    "verification_token": lambda w: w.delivered_token(),
    "cancel_token": lambda w: w.notice_token("was requested"),
    "restore_token": lambda w: w.notice_token("email address of your Acme account changed"),
    "webhook_id": lambda w: w.webhook(),
}


def render(name: str, world: World) -> dict[str, Any]:
    return fill(sample_text(name), world.value)


# -- every function, invoked with its sample --------------------------------------------------------


@pytest.mark.parametrize("name", sorted(n for n, f in FUNCTIONS.items() if f.routes))
def test_api_sample_succeeds(aws: dict[str, str], name: str) -> None:
    world = World(aws)
    event = render(name, world)
    result = invoke(FUNCTIONS[name], event)
    assert 200 <= result["statusCode"] < 300, result.get("body")
    assert result["multiValueHeaders"]["X-Request-ID"] == [event["requestContext"]["requestId"]]


def test_stream_router_sample_queues_its_jobs(aws: dict[str, str]) -> None:
    world = World(aws)
    event = render("stream_router", world)
    result = invoke(FUNCTIONS["stream_router"], event)
    assert result == {"batchItemFailures": []}
    pipe = Pipeline(aws)
    email_jobs = [j for j in pipe.peek("EmailQueue") if j["change_id"] == world.value("change_id")]
    assert [j["type"] for j in email_jobs] == ["verify_email"]
    [cleanup] = pipe.peek("SessionCleanupQueue")
    assert cleanup["session_ids"] == [world.value("session_id")]


def test_email_worker_sample_sends_the_email_once(aws: dict[str, str]) -> None:
    world = World(aws)
    event = render("email_worker", world)
    Pipeline.verify_sender(SENDER)
    before = len(Pipeline.emails("alice.pending@example.com"))
    for _ in range(2):  # the second delivery of the same job sends nothing
        result = invoke(FUNCTIONS["email_worker"], event)
        assert result == {"batchItemFailures": []}
    assert len(Pipeline.emails("alice.pending@example.com")) == before + 1


def test_session_cleanup_sample_deletes_the_session_item(aws: dict[str, str]) -> None:
    from tests.handlers.helpers import session_items

    world = World(aws)
    event = render("session_cleanup", world)
    assert session_items(world.tenant.id, world.user_id) == [world.value("session_id")]
    result = invoke(FUNCTIONS["session_cleanup"], event)
    assert result == {"batchItemFailures": []}
    assert session_items(world.tenant.id, world.user_id) == []


def test_webhook_dispatch_sample_queues_one_job_per_endpoint(aws: dict[str, str]) -> None:
    world = World(aws)
    wid = world.value("webhook_id")
    event = render("webhook_dispatch", world)
    assert invoke(FUNCTIONS["webhook_dispatch"], event) == {"batchItemFailures": []}
    [job] = Pipeline(aws).peek("WebhookDeliveryQueue")
    assert (job["webhook_id"], job["type"], job["attempt"]) == (wid, "user.updated", 1)


def test_webhook_delivery_sample_attempts_and_logs(
    aws: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sample's endpoint now resolves to a documentation address: refused, logged, retried."""
    from hellojohn.adapters import webhook_http
    from hellojohn.store import webhooks as store

    world = World(aws)
    event = render("webhook_delivery", world)
    monkeypatch.setattr(webhook_http, "system_resolver", lambda host, port: ["192.0.2.1"])
    assert invoke(FUNCTIONS["webhook_delivery"], event) == {"batchItemFailures": []}
    [attempt], _ = store.attempts(world.tenant.id, world.value("webhook_id"), 10, None, 0)
    assert attempt["outcome"] == "retrying" and attempt["error"].startswith("refused: 192.0.2.1")
    pipe = Pipeline(aws)
    delayed = pipe.sqs.get_queue_attributes(
        QueueUrl=pipe.queue_url("WebhookDeliveryQueue"), AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )["Attributes"]["ApproximateNumberOfMessagesDelayed"]
    assert attempt["next_retry_at"] and delayed == "1"  # the second attempt, about 5 s later
