"""Round-trip budgets: the AWS calls each endpoint makes per successful request, warm.

Warm means the function's memory caches are filled, as they are for every request but the first
few of a function instance: the API key and tenant caches (hellojohn.rules.tenancy, 60 s) and the
signing key (Powertools parameters, 300 s). Each case sends a warm-up request first, then counts
the calls of the measured one (no Idempotency-Key, where Powertools' idempotency adds its own,
but in the replay cases: the warm-up runs, the measured request is its retry). The exact calls
are asserted, so a new call fails a test even while it is within budget.
See docs/PERFORMANCE.md.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.awscalls import counting
from tests.conftest import PASSWORD, Api, Tenant, bearer, sign_in

GET = "dynamodb.GetItem"
UPDATE = "dynamodb.UpdateItem"
TRANSACT = "dynamodb.TransactWriteItems"
BATCH_GET = "dynamodb.BatchGetItem"
BATCH_WRITE = "dynamodb.BatchWriteItem"
QUERY = "dynamodb.Query"
PUT = "dynamodb.PutItem"
ALICE = "alice@example.com"


@dataclass
class Ctx:
    """What a request needs: the tenant, the user, and sessions signed in on demand."""

    api: Api
    tenant: Tenant
    uid: str
    sessions: list[dict[str, Any]]

    def session(self, i: int) -> dict[str, Any]:
        while len(self.sessions) <= i:
            self.sessions.append(sign_in(self.api, self.tenant))
        return self.sessions[i]

    def as_user(self, i: int = 0) -> dict[str, str]:
        return bearer(self.session(i)["access_token"])

    def fresh(self, i: int, deleted: bool = False) -> str:
        """A user of its own for request `i` (a deletion is made once per user); `deleted`:
        pending deletion already."""
        reply = self.api("POST", "/v1/users", {"email": f"fresh-{i}@example.com"}, self.tenant.admin())
        assert reply.status == 201, reply.body
        uid = str(reply.body["id"])
        if deleted:
            assert self.api("DELETE", f"/v1/users/{uid}", None, self.tenant.admin()).status == 200
        return uid

    def fresh_session(self, i: int) -> dict[str, str]:
        email = f"self-{i}@example.com"
        reply = self.api("POST", "/v1/users", {"email": email, "password": PASSWORD}, self.tenant.admin())
        assert reply.status == 201, reply.body
        return bearer(sign_in(self.api, self.tenant, email)["access_token"])


Request = tuple[str, str, Any, dict[str, str]]  # method, path, body, headers


@dataclass(frozen=True)
class Case:
    name: str
    budget: int  # the budget (or, where the issue sets none, today's number)
    calls: tuple[str, ...]  # exactly what a warm request makes today
    request: Callable[[Ctx, int], Request]  # i = 0: the warm-up, 1: the measured request
    status: int = 200
    header: tuple[str, str] | None = None  # a response header the request must have produced


KMS_ENCRYPT = "kms.Encrypt"
SEND = "sqs.SendMessage"


def _hook(c: Ctx, i: int) -> str:
    """A fresh webhook endpoint of the tenant's (made before the counting starts)."""
    reply = c.api("POST", "/v1/webhooks", {"url": f"https://hooks.example.com/{i}"}, c.tenant.admin())
    assert reply.status == 201, reply.body
    return str(reply.body["id"])


CASES = [
    # admin (secret key)
    Case("GET user", 1, (GET,), lambda c, i: ("GET", f"/v1/users/{c.uid}", None, c.tenant.admin())),
    Case(
        "PATCH user, no email change",
        1,
        (UPDATE,),
        lambda c, i: (
            "PATCH",
            f"/v1/users/{c.uid}",
            {"name": f"Alice {i}", "role": "admin"},
            c.tenant.admin(),
        ),
    ),
    Case(
        "PATCH user, email change (verification)",
        2,
        (GET, TRANSACT),
        lambda c, i: ("PATCH", f"/v1/users/{c.uid}", {"email": f"alice+{i}@example.com"}, c.tenant.admin()),
    ),
    Case(
        "PATCH user, email change (verified switch)",
        2,
        (GET, TRANSACT),
        lambda c, i: (
            "PATCH",
            f"/v1/users/{c.uid}",
            {"email": f"alice+{i}@example.com", "email_verified": True},
            c.tenant.admin(),
        ),
    ),
    Case(
        "disable",
        1,
        (UPDATE,),
        lambda c, i: ("POST", f"/v1/users/{c.uid}/disable", {"revoke_sessions": True}, c.tenant.admin()),
    ),
    Case("enable", 1, (UPDATE,), lambda c, i: ("POST", f"/v1/users/{c.uid}/enable", None, c.tenant.admin())),
    Case(
        "GET user's change history",
        1,
        (QUERY,),
        lambda c, i: ("GET", f"/v1/users/{c.uid}/events?limit=5", None, c.tenant.admin()),
    ),
    Case(
        "metadata merge",  # read, merge, write conditioned on the version read
        2,
        (GET, UPDATE),
        lambda c, i: (
            "PATCH",
            f"/v1/users/{c.uid}/metadata",
            {"public_metadata": {f"k{i}": i}},
            c.tenant.admin(),
        ),
    ),
    Case("unlock", 1, (UPDATE,), lambda c, i: ("POST", f"/v1/users/{c.uid}/unlock", None, c.tenant.admin())),
    # deletion (issue 27): the user read (its address and pending change), one transaction with its claim
    Case(
        "delete a user",
        2,
        (GET, TRANSACT),
        lambda c, i: ("DELETE", f"/v1/users/{c.fresh(i)}", None, c.tenant.admin()),
    ),
    Case(
        "delete a user, purged at once",
        3,
        (GET, TRANSACT, TRANSACT),  # the deletion, then the user item and its claim deleted
        lambda c, i: ("DELETE", f"/v1/users/{c.fresh(i)}?purge=now", None, c.tenant.admin()),
        status=204,
    ),
    Case(
        "delete a user again",  # idempotent: the read finds it pending, nothing written
        1,
        (GET,),
        lambda c, i: ("DELETE", f"/v1/users/{c.fresh(i, deleted=True)}", None, c.tenant.admin()),
    ),
    Case(
        "restore a user",
        2,
        (GET, TRANSACT),
        lambda c, i: ("POST", f"/v1/users/{c.fresh(i, deleted=True)}/restore", None, c.tenant.admin()),
    ),
    Case("delete me", 2, (GET, TRANSACT), lambda c, i: ("DELETE", "/v1/auth/me", None, c.fresh_session(i))),
    Case(
        "admin set password",
        2,
        (GET, UPDATE),  # the user read (its hash: the same password is refused), the write on that hash
        lambda c, i: (
            "POST",
            f"/v1/users/{c.uid}/password",
            {"password": f"Brand-New-Pass-{i}"},
            c.tenant.admin(),
        ),
    ),
    # webhook endpoints (issue 28; no budget set: today's numbers)
    Case(
        "create a webhook endpoint",
        2,
        (KMS_ENCRYPT, TRANSACT),  # the secret encrypted; the endpoint and the tenant's count at once
        lambda c, i: ("POST", "/v1/webhooks", {"url": f"https://hooks.example.com/{i}"}, c.tenant.admin()),
        status=201,
    ),
    Case("list webhook endpoints", 1, (QUERY,), lambda c, i: ("GET", "/v1/webhooks", None, c.tenant.admin())),
    Case(
        "GET a webhook endpoint",
        1,
        (GET,),
        lambda c, i: ("GET", f"/v1/webhooks/{_hook(c, i)}", None, c.tenant.admin()),
    ),
    Case(
        "PATCH a webhook endpoint",
        1,
        (UPDATE,),
        lambda c, i: ("PATCH", f"/v1/webhooks/{_hook(c, i)}", {"disabled": True}, c.tenant.admin()),
    ),
    Case(
        "DELETE a webhook endpoint",
        1,
        (TRANSACT,),  # the endpoint and the tenant's count at once
        lambda c, i: ("DELETE", f"/v1/webhooks/{_hook(c, i)}", None, c.tenant.admin()),
        status=204,
    ),
    Case(
        "rotate a webhook secret",
        3,
        (GET, KMS_ENCRYPT, UPDATE),  # the secret read, the new one encrypted, swapped if unmoved
        lambda c, i: ("POST", f"/v1/webhooks/{_hook(c, i)}/rotate-secret", None, c.tenant.admin()),
    ),
    Case(
        "test a webhook endpoint",
        2,
        (GET, SEND),
        lambda c, i: ("POST", f"/v1/webhooks/{_hook(c, i)}/test", None, c.tenant.admin()),
        status=202,
    ),
    Case(
        "a webhook endpoint's deliveries",
        2,
        (GET, QUERY),  # 404 for another tenant's endpoint, then the log
        lambda c, i: ("GET", f"/v1/webhooks/{_hook(c, i)}/deliveries", None, c.tenant.admin()),
    ),
    # sessions (issue 13): listing is one Query, revoking one write
    Case(
        "list a user's sessions",
        1,
        (QUERY,),  # the user's item collection: its sessions map and the session items
        lambda c, i: ("GET", f"/v1/users/{c.uid}/sessions", None, c.tenant.admin()),
    ),
    Case(
        "revoke one session of a user",
        1,
        (UPDATE,),  # the id leaves the map, conditioned on being in it
        lambda c, i: (
            "POST",
            f"/v1/users/{c.uid}/sessions/{c.session(i)['id']}/revoke",
            None,
            c.tenant.admin(),
        ),
        status=204,
    ),
    Case(
        "revoke every session of a user",
        1,
        (UPDATE,),
        lambda c, i: ("POST", f"/v1/users/{c.uid}/sessions/revoke", None, c.tenant.admin()),
        status=204,
    ),
    # the signed-in user (access token)
    Case("GET me", 1, (GET,), lambda c, i: ("GET", "/v1/auth/me", None, c.as_user())),
    Case(
        "GET me from a browser (Origin: CORS reads the cached tenant)",
        1,
        (GET,),
        lambda c, i: ("GET", "/v1/auth/me", None, {**c.as_user(), "Origin": "https://app.acme.test"}),
        header=("Access-Control-Allow-Origin", "https://app.acme.test"),
    ),
    Case(
        "PATCH me, no email change",
        1,
        (UPDATE,),
        lambda c, i: (
            "PATCH",
            "/v1/auth/me",
            {"name": f"Alice {i}", "phone_number": "+14155552671"},
            c.as_user(),
        ),
    ),
    Case(
        "PATCH me, email change",
        2,
        (GET, TRANSACT),
        lambda c, i: ("PATCH", "/v1/auth/me", {"email": f"alice+{i}@example.com"}, c.as_user()),
    ),
    Case(
        "password change",
        2,
        (
            UPDATE,
            TRANSACT,
        ),  # the guess reserved (returning the user); the new password and the session's auth_time
        lambda c, i: (
            "POST",
            "/v1/auth/password/change",
            {
                "current_password": PASSWORD if i == 0 else "Brand-New-Pass-0",
                "new_password": f"Brand-New-Pass-{i}",
            },
            c.as_user(),
        ),
    ),
    Case(
        "GET my sessions",
        1,
        (QUERY,),  # the same Query is the revocation check of the caller's own session
        lambda c, i: ("GET", "/v1/auth/sessions", None, c.as_user()),
    ),
    Case(
        "revoke one of my sessions",
        1,
        (UPDATE,),  # conditioned on the caller's session and the named one both being in the map
        lambda c, i: ("POST", f"/v1/auth/sessions/{c.session(i + 1)['id']}/revoke", None, c.as_user()),
        status=204,
    ),
    # public (publishable key)
    Case(
        "sign-in",
        3,
        (GET, UPDATE, TRANSACT),  # claim, the guess reserved (returning the user), the session
        lambda c, i: ("POST", "/v1/auth/sign-in", {"email": ALICE, "password": PASSWORD}, c.tenant.public()),
    ),
    Case(
        "reauthenticate",  # issue 26: as sign-in's budget
        3,
        (
            UPDATE,
            TRANSACT,
        ),  # the guess reserved (returning the user); the session's new auth_time and refresh token
        lambda c, i: ("POST", "/v1/auth/reauthenticate", {"password": PASSWORD}, c.as_user()),
    ),
    # endpoints the issue sets no budget for: today's numbers, held
    Case(
        "create user",
        1,
        (TRANSACT,),
        lambda c, i: ("POST", "/v1/users", {"email": f"bob{i}@example.com"}, c.tenant.admin()),
        status=201,
    ),
    Case(
        "list users",
        2,
        (QUERY, BATCH_GET),
        lambda c, i: ("GET", "/v1/users?limit=10", None, c.tenant.admin()),
    ),
    Case(
        "find a user by email",
        2,
        (GET, GET),
        lambda c, i: ("GET", f"/v1/users?email={ALICE}", None, c.tenant.admin()),
    ),
    Case(
        "refresh",
        2,
        (BATCH_GET, TRANSACT),
        lambda c, i: (
            "POST",
            "/v1/auth/refresh",
            {"refresh_token": c.session(i)["refresh_token"]},
            c.tenant.public(),
        ),
    ),
    Case(
        "sign-out", 1, (TRANSACT,), lambda c, i: ("POST", "/v1/auth/sign-out", None, c.as_user(i)), status=204
    ),
    Case("JWKS", 0, (), lambda c, i: ("GET", "/v1/.well-known/jwks.json", None, {})),
    # an idempotent replay (the warm-up is the first run, the measured request its retry): the
    # stored record (the conditional PutItem that fails returns it), then the caller checked again
    Case(
        "password change, replayed (Idempotency-Key)",
        2,
        (PUT, GET),  # the record, then the user: the session still live, the user not disabled
        lambda c, i: (
            "POST",
            "/v1/auth/password/change",
            {"current_password": PASSWORD, "new_password": "Replayed-Pass-1"},
            {**c.as_user(), "Idempotency-Key": "replay-1"},
        ),
        header=("Idempotent-Replayed", "true"),
    ),
    Case(
        "revoke one of my sessions, replayed (Idempotency-Key)",
        2,
        (PUT, GET),
        lambda c, i: (
            "POST",
            f"/v1/auth/sessions/{c.session(1)['id']}/revoke",
            None,
            {**c.as_user(), "Idempotency-Key": "replay-2"},
        ),
        status=204,
        header=("Idempotent-Replayed", "true"),
    ),
    Case(
        "disable, replayed (Idempotency-Key)",
        1,
        (PUT,),  # the secret key is checked by the authentication every request passes (cached)
        lambda c, i: (
            "POST",
            f"/v1/users/{c.uid}/disable",
            None,
            {**c.tenant.admin(), "Idempotency-Key": "replay-3"},
        ),
        header=("Idempotent-Replayed", "true"),
    ),
    # the security notices' links (the token read, then one transaction; a restore also reads the
    # user and its links: it restores whatever address came after, and voids the later links)
    Case(
        "cancel an email change (notice link)",
        2,
        (GET, TRANSACT),
        lambda c, i: (
            "POST",
            "/v1/auth/email/cancel",
            {"token": _notice_link(c, "cancel", i)},
            c.tenant.public(),
        ),
        status=204,
    ),
    Case(
        "restore the old email (notice link)",
        3,
        (GET, BATCH_GET, TRANSACT),  # the token; the user (its address now) and its restore links
        lambda c, i: (
            "POST",
            "/v1/auth/email/restore",
            {"token": _notice_link(c, "restore", i)},
            c.tenant.public(),
        ),
        status=204,
    ),
]


def _notice_link(c: Ctx, kind: str, i: int) -> str:
    """A live link of `kind` for alice, stored as the email worker stores one (set up before the
    request is counted): a pending change to cancel, or a verified change to restore from."""
    from hellojohn import ids
    from hellojohn.rules import notices, opaque
    from hellojohn.store import links, users
    from hellojohn.timeutil import now

    new = f"{kind}.{i}@example.com"
    before = users.get(c.tenant.id, c.uid)
    assert before is not None
    reply = c.api(
        "PATCH", f"/v1/users/{c.uid}", {"email": new, "email_verified": kind == "restore"}, c.tenant.admin()
    )
    assert reply.status == 200, reply.body
    token = opaque.new_verification_token()[0]
    expires = now() + notices.RESTORE_TTL_SECONDS
    if kind == "cancel":
        user = users.get(c.tenant.id, c.uid)
        assert user is not None and user.pending_change_id
        link = links.Link(c.tenant.id, c.uid, kind, user.pending_change_id, before.email, new, expires)
        links.put_link(opaque.digest(token), link)
    else:
        link = links.Link(c.tenant.id, c.uid, kind, ids.new_id("chg"), before.email, new, expires)
        links.add_restore_link(opaque.digest(token), link, links.get_restore_links(c.tenant.id, c.uid), now())
    return token


@pytest.fixture
def ctx(api: Api, tenant: Tenant) -> Ctx:
    from hellojohn.store import tenants

    found = tenants.get(tenant.id)
    assert found is not None
    if "https://app.acme.test" not in found.allowed_origins:  # so the CORS case grants the origin
        _set_allowed_origins(tenant.id, ["https://app.acme.test"])
    reply = api("POST", "/v1/users", {"email": ALICE, "password": PASSWORD, "name": "Alice"}, tenant.admin())
    assert reply.status == 201, reply.body
    return Ctx(api, tenant, reply.body["id"], [])


def _set_allowed_origins(tid: str, origins: list[str]) -> None:
    import boto3
    from hellojohn.config import settings
    from hellojohn.store import keys

    boto3.client("dynamodb").update_item(
        TableName=settings().table_name,
        Key=keys.tenant(tid),
        UpdateExpression="SET allowed_origins = :o",
        ExpressionAttributeValues={":o": {"L": [{"S": o} for o in origins]}},
    )


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_warm_request_stays_within_its_budget(ctx: Ctx, case: Case) -> None:
    assert len(case.calls) <= case.budget, "the table itself is over budget"
    method, path, body, headers = case.request(ctx, 0)
    warm_up = ctx.api(method, path, body, headers)
    assert warm_up.status == case.status, warm_up.body
    request = case.request(ctx, 1)
    with counting() as calls:
        reply = ctx.api(*request)
    assert reply.status == case.status, reply.body
    if case.header:
        assert reply.headers.get(case.header[0]) == case.header[1]
    assert calls.names() == list(case.calls)
    assert len(calls) <= case.budget


def test_the_caches_are_what_make_an_admin_read_one_call(ctx: Ctx) -> None:
    """Cold (key and tenant not cached): the key, the tenant, then the user. Warm: the user only."""
    from hellojohn.rules import tenancy

    tenancy.clear_caches()
    with counting() as cold:
        assert ctx.api("GET", f"/v1/users/{ctx.uid}", headers=ctx.tenant.admin()).status == 200
    with counting() as warm:
        assert ctx.api("GET", f"/v1/users/{ctx.uid}", headers=ctx.tenant.admin()).status == 200
    assert cold.names() == [GET, GET, GET]
    assert warm.names() == [GET]


def test_the_signing_key_is_read_once_then_cached(ctx: Ctx) -> None:
    from aws_lambda_powertools.utilities import parameters

    headers = ctx.as_user()
    parameters.clear_caches()  # type: ignore[no-untyped-call]  # Powertools leaves it unannotated
    with counting() as cold:
        assert ctx.api("GET", "/v1/auth/me", headers=headers).status == 200
    with counting() as warm:
        assert ctx.api("GET", "/v1/auth/me", headers=headers).status == 200
    assert cold.names() == ["secretsmanager.GetSecretValue", GET]
    assert warm.names() == [GET]


def test_the_revocation_check_is_the_same_single_read(ctx: Ctx) -> None:
    """A revoked session is refused by the one GetItem that serves a live one: no extra call."""
    headers = ctx.as_user()
    assert ctx.api("GET", "/v1/auth/me", headers=headers).status == 200
    revoke = ctx.api("POST", f"/v1/users/{ctx.uid}/disable", {"revoke_sessions": True}, ctx.tenant.admin())
    assert revoke.status == 200, revoke.body
    with counting() as calls:
        refused = ctx.api("GET", "/v1/auth/me", headers=headers)
    assert refused.status == 401, refused.body
    assert calls.names() == [GET]


def test_the_temporary_password_gate_costs_no_call(ctx: Ctx) -> None:
    """The gate reads the token's claim: a gated request makes no AWS call at all, and GET /me with
    a temporary password's token is the same single read as anyone's."""
    body = {"password": "Temporary-Pass-123", "temporary": True}
    assert ctx.api("POST", f"/v1/users/{ctx.uid}/password", body, ctx.tenant.admin()).status == 200
    headers = bearer(sign_in(ctx.api, ctx.tenant, password="Temporary-Pass-123")["access_token"])
    with counting() as gated:
        refused = ctx.api("PATCH", "/v1/auth/me", {"name": "X"}, headers)
    assert refused.error == "password_change_required", refused.body
    assert gated.names() == []
    with counting() as me:
        assert ctx.api("GET", "/v1/auth/me", headers=headers).status == 200
    assert me.names() == [GET]


# -- the revocation worker -------------------------------------------------------------------------


def _seed_sessions(tid: str, uid: str, n: int) -> list[str]:
    import boto3
    from hellojohn import ids
    from hellojohn.config import settings
    from hellojohn.store import sessions

    sids = [ids.new_id("ses") for _ in range(n)]
    items = [sessions.put_session(tid, uid, sid, "h" * 43, 1, 2**31)["Put"]["Item"] for sid in sids]
    client = boto3.client("dynamodb")
    for start in range(0, n, 25):
        client.batch_write_item(
            RequestItems={
                settings().table_name: [{"PutRequest": {"Item": i}} for i in items[start : start + 25]]
            }
        )
    return sids


def _session_items(tid: str, uid: str) -> int:
    import boto3
    from hellojohn.config import settings
    from hellojohn.store import keys

    pages = (
        boto3.client("dynamodb")
        .get_paginator("query")
        .paginate(
            TableName=settings().table_name,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :ses)",
            ExpressionAttributeValues={":pk": {"S": keys.user_pk(tid, uid)}, ":ses": {"S": "SES#"}},
            Select="COUNT",
        )
    )
    return sum(page["Count"] for page in pages)


def sqs_event(bodies: list[dict[str, Any]]) -> dict[str, Any]:
    from local_runner import events

    return events.job_event(bodies, "arn:aws:sqs:us-east-1:123456789012:SessionCleanupQueue", "us-east-1")


def session_cleanup() -> Callable[[dict[str, Any]], Any]:
    """The session worker's handler, each call a new invocation (its own context)."""
    from local_runner import functions, template
    from local_runner.invoke import LambdaContext

    (worker,) = [f for f in template.functions() if f.queue == "SessionCleanupQueue"]
    handler = functions.handler(worker)
    return lambda event: handler(event, LambdaContext.of(worker))


@pytest.mark.parametrize("n", [1, 25, 26, 500])
def test_revoking_n_sessions_costs_one_write_per_25(ctx: Ctx, n: int) -> None:
    """The jobs the stream makes of a revocation (at most 500 sessions each), worked by the worker."""
    from hellojohn.rules import outbox

    sids = _seed_sessions(ctx.tenant.id, ctx.uid, n)
    revoked = outbox.Record(
        {"SK": "USER", "tenant_id": ctx.tenant.id, "id": ctx.uid, "sessions": dict.fromkeys(sids, 1)},
        {"SK": "USER", "tenant_id": ctx.tenant.id, "id": ctx.uid, "sessions": {}},
    )
    job_bodies = [job.body for job in outbox.plan(revoked).jobs]
    assert len(job_bodies) == math.ceil(n / outbox.MAX_SESSIONS_PER_JOB)
    handler = session_cleanup()
    handler(sqs_event([{"type": "warm-up"}]))
    with counting() as calls:
        result = handler(sqs_event(job_bodies))
    assert result == {"batchItemFailures": []}
    assert calls.count("BatchWriteItem") == math.ceil(n / 25)
    assert calls.count("Query") == 0  # the job names the sessions: no page to read
    assert len(calls) == math.ceil(n / 25)
    assert _session_items(ctx.tenant.id, ctx.uid) == 0
