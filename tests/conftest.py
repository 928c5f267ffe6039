"""Shared fixtures: moto in-process, the template's resources, a tenant, and an API client
that sends API Gateway events to the real handlers."""

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from hellojohn import signals
from hellojohn.edge import caches

from local_runner.aws import use_safe_environment
from tests.event_hygiene import events_without_secrets
from tests.iam.plugin import iam_checked, pytest_addoption, pytest_configure, pytest_sessionfinish

__all__ = [
    "events_without_secrets",
    "iam_checked",
    "pytest_addoption",
    "pytest_configure",
    "pytest_sessionfinish",
]  # hooks and fixture

use_safe_environment()  # before any client is made: no test can reach a real account
os.environ.setdefault("POWERTOOLS_DEV", "false")


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any

    @classmethod
    def of(cls, result: dict[str, Any]) -> "Reply":
        """A Lambda proxy result as the client sees it (the last value of each header)."""
        headers = {k: v[-1] for k, v in (result.get("multiValueHeaders") or {}).items()}
        headers.update(result.get("headers") or {})
        text = result.get("body") or ""
        return cls(result["statusCode"], headers, json.loads(text) if text else None)

    @property
    def error(self) -> str | None:
        return self.body["error"]["code"] if isinstance(self.body, dict) and "error" in self.body else None


@dataclass
class Tenant:
    id: str
    secret_key: str
    publishable_key: str

    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret_key}", "X-Tenant-ID": self.id}

    def public(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.publishable_key}", "X-Tenant-ID": self.id}


class Api:
    """Routes a request to the function that template.yaml declares for it, as API Gateway would."""

    def __init__(self) -> None:
        from local_runner import events, functions, template

        self.routes = events.route_table(template.functions())
        # Every function's cold start (import, SnapStart's before-snapshot and after-restore hooks)
        # once per process, before any test counts calls: on Lambda each function is its own
        # process, here they share one, and a restore hook run mid-test would empty the caches that
        # the functions loaded before it had filled.
        for function in template.functions():
            functions.handler(function)

    def __call__(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        raw: str | None = None,
    ) -> Reply:
        from urllib.parse import parse_qs, urlsplit

        from local_runner import events, functions
        from local_runner.invoke import LambdaContext

        parts = urlsplit(path)
        hdrs = dict(headers or {})
        payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
        if payload is not None:
            hdrs.setdefault("Content-Type", "application/json")
        found = events.find_route(self.routes, method, parts.path)
        if found is None:
            raise AssertionError(f"no route for {method} {path}")
        route, function, params = found
        event = events.api_event(
            route, parts.path, headers=hdrs, body=payload, query=parse_qs(parts.query), path_params=params
        )
        return Reply.of(functions.handler(function)(event, LambdaContext.of(function)))


PUBLIC_ANSWER = "93.184.215.14"  # what every name resolves to in the tests (example.com's address)


@pytest.fixture(autouse=True)
def no_dns() -> Iterator[None]:
    """No test asks a real DNS: a webhook URL's name resolves to one public address (the SSRF
    check's lookup, hellojohn.adapters.webhook_http); a test plays other answers by patching again.
    Not through the `monkeypatch` fixture: an autouse fixture holding it would set it up before
    `aws` and so undo a test's patches only after `aws` has reset the caches through them."""
    from unittest import mock

    from hellojohn.adapters import webhook_http

    with mock.patch.object(webhook_http, "system_resolver", lambda host, port: [PUBLIC_ANSWER]):
        yield


@pytest.fixture
def aws() -> Iterator[dict[str, str]]:
    """moto, with the template's resources created and every function's environment set."""
    # no floor under refused sign-ins (docs/SECURITY.md), but where a test asks for it
    with moto_world(ARGON2_MEMORY_KIB="19456", SIGN_IN_REFUSAL_FLOOR_MS="0") as refs:
        yield refs


@contextmanager
def moto_world(**overrides: str) -> Iterator[dict[str, str]]:
    """moto with the template's resources, and the functions' environment (plus `overrides`) set
    for the block; the service's process caches are emptied on the way in and out."""
    from unittest import mock

    from moto import mock_aws

    from local_runner import provision, template

    with mock_aws():
        refs = provision.create_all()
        env = {**provision.environment(template.functions(), refs), **overrides}
        with mock.patch.dict(os.environ, env):
            _reset_caches()
            signals.discard()  # what another case counted outside a handler is not this one's
            try:
                yield refs
            finally:
                _reset_caches()
                signals.discard()


_reset_caches = caches.reset  # the name tests/iam and tests/security import


@pytest.fixture
def api(aws: dict[str, str]) -> Api:
    return Api()


def make_tenant(name: str = "Acme", origins: tuple[str, ...] = (), **settings: Any) -> Tenant:
    from hellojohn.rules import provisioning

    created = provisioning.create_tenant(
        name,
        live=False,
        email_from="no-reply@acme.test",
        verify_url_base="https://app.acme.test/verify-email",
        allowed_origins=origins,
        **settings,
    )
    return Tenant(created.tenant.id, created.secret_key, created.publishable_key)


@pytest.fixture
def tenant(aws: dict[str, str]) -> Tenant:
    return make_tenant()


@pytest.fixture
def other_tenant(aws: dict[str, str]) -> Tenant:
    return make_tenant("Globex")


PASSWORD = "Correct-Horse-42"


@pytest.fixture
def user(api: Api, tenant: Tenant) -> dict[str, Any]:
    reply = api(
        "POST",
        "/v1/users",
        {"email": "alice@example.com", "password": PASSWORD, "name": "Alice"},
        tenant.admin(),
    )
    assert reply.status == 201, reply.body
    return dict(reply.body)


def sign_in(
    api: Api, tenant: Tenant, email: str = "alice@example.com", password: str = PASSWORD
) -> dict[str, Any]:
    reply = api("POST", "/v1/auth/sign-in", {"email": email, "password": password}, tenant.public())
    assert reply.status == 200, reply.body
    return dict(reply.body["session"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Clock:
    """The service's clock (`hellojohn.timeutil`), moved forward by `advance`."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    """Every `hellojohn.timeutil.now()` and PyJWT's time checks read this clock (modules import
    `now` by name, so the module-level `time` it calls is what is replaced)."""
    import datetime as dt

    import jwt.api_jwt
    from hellojohn import timeutil

    c = Clock()

    class _Moved(dt.datetime):
        """PyJWT checks `exp`, `nbf` and `iat` against `datetime.now`: the same clock, moved."""

        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> "_Moved":
            return cls.fromtimestamp(c.time(), tz)

    monkeypatch.setattr(timeutil, "time", c)
    monkeypatch.setattr(jwt.api_jwt, "datetime", _Moved)
    yield c
