"""No password, key, token, verification token or hash in any log line or error body.

Every flow runs with the service's logger captured as it writes (the Powertools JSON lines), plus
every other logger at INFO (Lambda's level); then each secret, and the stored hash of each secret,
is looked for in every line and in every response body that is an error.
"""

import hashlib
import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import PASSWORD, Api, Reply, Tenant, bearer
from tests.pipeline import Pipeline

NEW = "Battery-Staple-77"
ADMIN_SET = "Correct-Horse-Admin-9"


class Recorder(Api):
    """The API client, keeping every reply."""

    def __init__(self) -> None:
        super().__init__()
        self.replies: list[Reply] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Reply:
        reply = super().__call__(*args, **kwargs)
        self.replies.append(reply)
        return reply


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[io.StringIO]:
    from hellojohn.logs import logger

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)  # the JSON lines exactly as Lambda gets them
    logger._logger.addHandler(handler)
    caplog.set_level(logging.INFO)
    try:
        yield stream
    finally:
        logger._logger.removeHandler(handler)


def _flows(api: Recorder, tenant: Tenant, pipe: Pipeline) -> list[str]:
    """Every flow that handles a secret; returns the secrets it saw."""
    secrets = [PASSWORD, NEW, ADMIN_SET, tenant.secret_key, tenant.publishable_key]
    created = api("POST", "/v1/users", {"email": "alice@example.com", "password": PASSWORD}, tenant.admin())
    uid = created.body["id"]
    # bad requests that carry secrets
    api(
        "POST", "/v1/users", {"email": "bob@example.com", "password": "password"}, tenant.admin()
    )  # too common
    api(
        "POST",
        "/v1/users",
        {"email": "x@example.com", "password": PASSWORD, "pasword": PASSWORD},
        tenant.admin(),
    )
    api(
        "POST",
        "/v1/users",
        headers={**tenant.admin(), "Content-Type": "application/json"},
        raw='{"password": "' + PASSWORD,
    )
    api(
        "POST",
        "/v1/auth/sign-in",
        {"email": "alice@example.com", "password": PASSWORD + "x"},
        tenant.public(),
    )
    for _ in range(5):  # throttled
        api("POST", "/v1/auth/sign-in", {"email": "alice@example.com", "password": NEW}, tenant.public())
    api(
        "POST", f"/v1/users/{uid}/password", {"password": ADMIN_SET}, tenant.admin()
    )  # clears the lock? no: sets
    from hellojohn.store import users as store

    store.update(tenant.id, uid, store.Update(set={"locked_until": 0, "failed_attempts": 0}, touch=False), 0)
    signed = api(
        "POST", "/v1/auth/sign-in", {"email": "alice@example.com", "password": ADMIN_SET}, tenant.public()
    )
    session = signed.body["session"]
    refreshed = api("POST", "/v1/auth/refresh", {"refresh_token": session["refresh_token"]}, tenant.public())
    api(
        "POST", "/v1/auth/refresh", {"refresh_token": session["refresh_token"]}, tenant.public()
    )  # reuse: revokes
    secrets += [session["access_token"], session["refresh_token"]]
    session = api(
        "POST", "/v1/auth/sign-in", {"email": "alice@example.com", "password": ADMIN_SET}, tenant.public()
    )
    token = session.body["session"]["access_token"]
    secrets += [token, session.body["session"]["refresh_token"], refreshed.body["session"]["refresh_token"]]
    api("GET", "/v1/auth/me", headers=bearer(token))
    api("PATCH", "/v1/auth/me", {"email": "alice.new@example.com"}, bearer(token))
    pipe.pump()
    [mail] = pipe.verifications()
    secrets.append(mail.token)
    api("POST", "/v1/auth/email/verify", {"token": mail.token + "x"}, tenant.public())
    api("POST", "/v1/auth/email/verify", {"token": mail.token}, tenant.public())
    api("POST", "/v1/auth/email/verify", {"token": mail.token}, tenant.public())  # used
    [requested] = [m for m in pipe.notices("alice@example.com") if "requested" in m.subject]
    secrets.append(requested.token)  # the cancel link (nothing left to cancel: verified)
    api("POST", "/v1/auth/email/cancel", {"token": requested.token + "x"}, tenant.public())
    api("POST", "/v1/auth/email/cancel", {"token": requested.token}, tenant.public())
    change = {"current_password": PASSWORD, "new_password": NEW}
    api("POST", "/v1/auth/password/change", change, bearer(token))  # wrong current
    change = {"current_password": ADMIN_SET, "new_password": NEW}
    api("POST", "/v1/auth/password/change", change, {**bearer(token), "Idempotency-Key": "chg"})
    api("POST", "/v1/auth/password/change", change, {**bearer(token), "Idempotency-Key": "chg"})
    api("POST", f"/v1/users/{uid}/disable", {"revoke_sessions": True}, tenant.admin())
    api("GET", "/v1/auth/me", headers=bearer(token))  # revoked
    api(
        "POST", "/v1/auth/sign-in", {"email": "alice@example.com", "password": NEW}, tenant.public()
    )  # disabled
    api("POST", "/v1/auth/sign-out", None, bearer(token))
    api(
        "GET",
        "/v1/users",
        headers={"Authorization": f"Bearer {tenant.secret_key}x", "X-Tenant-ID": tenant.id},
    )
    api("GET", "/v1/auth/me", headers=bearer(token + "x"))
    pipe.pump()
    [changed] = [
        m
        for m in pipe.notices("alice@example.com")
        if m.subject == "The email address of your Acme account changed"
    ]
    secrets.append(changed.token)  # the restore link: used, then used again
    api("POST", "/v1/auth/email/restore", {"token": changed.token + "x"}, tenant.public())
    api("POST", "/v1/auth/email/restore", {"token": changed.token}, tenant.public())
    api("POST", "/v1/auth/email/restore", {"token": changed.token}, tenant.public())
    pipe.pump()
    stored = store.get(tenant.id, uid)
    assert stored is not None and stored.password_hash
    secrets.append(stored.password_hash)
    return secrets


def test_no_secret_in_logs_or_error_bodies(
    aws: dict[str, str], tenant: Tenant, logs: io.StringIO, caplog: pytest.LogCaptureFixture
) -> None:
    Pipeline.verify_sender("no-reply@acme.test")
    api = Recorder()
    secrets = _flows(api, tenant, Pipeline(aws))
    hashed = [hashlib.sha256(s.encode()).hexdigest() for s in secrets]
    lines = logs.getvalue().splitlines() + [r.getMessage() for r in caplog.records]
    lines += [repr(r.__dict__) for r in caplog.records]
    assert len(lines) > 40, "the flows should have logged"
    errors = [r for r in api.replies if r.status >= 400]
    assert len(errors) >= 12
    bodies = [repr(r.body) for r in errors]
    for needle in [*secrets, *hashed, "$argon2"]:
        for line in lines:
            assert needle not in line, f"secret in a log line: {line[:300]}"
        for body in bodies:
            assert needle not in body, f"secret in an error body: {body[:300]}"
    for reply in api.replies:  # and no hash in any response at all
        assert "$argon2" not in repr(reply.body) and "password_hash" not in repr(reply.body)
