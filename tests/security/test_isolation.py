"""Tenant isolation, endpoint by endpoint: every wrong credential, tenant or id is refused with the
contract's status, and nothing is read or written across the line (the whole table is compared).

Tenant A is the victim (user `alice`), tenant B the attacker (user `mallory`)."""

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import (
    PASSWORD,
    PUBLIC_ANSWER,
    Api,
    Reply,
    Tenant,
    bearer,
    make_tenant,
    moto_world,
    sign_in,
)
from tests.pipeline import Pipeline
from tests.security.helpers import assert_error, table_items

NEW = "Battery-Staple-77"


@dataclass
class World:
    api: Api
    a: Tenant
    b: Tenant
    alice: dict[str, Any]  # tenant A's user
    mallory: dict[str, Any]  # tenant B's user
    alice_session: dict[str, Any]
    mallory_session: dict[str, Any]
    revoked: str  # an access token of alice's whose session was signed out
    expired: str  # an access token of alice's past its exp
    verification: str  # a live email-verification token of alice's
    cancel: str  # a live cancel link of alice's (the "change requested" notice's)
    restore: str  # a live restore link of alice's (back to alice.old@, once she is alice.new@)
    webhook: str  # tenant A's webhook endpoint (whk_…)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def _header(token: str) -> dict[str, Any]:
    head = token.split(".", maxsplit=1)[0]
    return dict(json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))))


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    """One moto world for the whole matrix (every case leaves it as it was, which each case checks)."""
    with moto_world() as refs:
        world = _populate()
        pipe = Pipeline(refs)
        while pipe.route().routed:  # the stream router alone: alice's change history exists
            pass
        yield world


def _populate() -> World:
    from unittest import mock

    from hellojohn.adapters import webhook_http
    from hellojohn.rules import opaque, tokens, verification
    from hellojohn.store import links
    from hellojohn.store import users as store

    api = Api()
    a, b = make_tenant("Victim"), make_tenant("Attacker")
    alice = api("POST", "/v1/users", {"email": "alice@example.com", "password": PASSWORD}, a.admin()).body
    mallory = api("POST", "/v1/users", {"email": "mallory@example.com", "password": PASSWORD}, b.admin()).body
    gone = sign_in(api, a)
    assert api("POST", "/v1/auth/sign-out", None, bearer(gone["access_token"])).status == 204
    alice_session = sign_in(api, a)
    mallory_session = sign_in(api, b, "mallory@example.com")
    claims = _claims(alice_session["access_token"])
    expired, _ = tokens.issue(alice["id"], a.id, claims["sid"], "member", claims["iat"] - 3600)
    assert (
        api("PATCH", f"/v1/users/{alice['id']}", {"email": "alice.new@example.com"}, a.admin()).status == 200
    )
    pending = store.get(a.id, alice["id"])
    assert pending is not None and pending.pending_change_id
    issued = verification.issue(a.id, alice["id"], pending.pending_change_id)
    assert issued is not None
    cancel, restore = opaque.new_verification_token()[0], opaque.new_verification_token()[0]
    far = issued.expires_at
    links.put_link(
        opaque.digest(cancel),
        links.Link(
            a.id,
            alice["id"],
            links.CANCEL,
            pending.pending_change_id,
            alice["email"],
            "alice.new@example.com",
            far,
        ),
    )
    links.add_restore_link(
        opaque.digest(restore),
        links.Link(
            a.id, alice["id"], links.RESTORE, "chg_0", "alice.old@example.com", "alice.new@example.com", far
        ),
        links.get_restore_links(a.id, alice["id"]),
        0,
    )
    # a module-scoped world: the per-test `no_dns` is not in force yet
    with mock.patch.object(webhook_http, "system_resolver", lambda host, port: [PUBLIC_ANSWER]):
        hook = api("POST", "/v1/webhooks", {"url": "https://hooks.victim.example/in"}, a.admin())
    assert hook.status == 201, hook.body
    return World(
        api,
        a,
        b,
        alice,
        mallory,
        alice_session,
        mallory_session,
        gone["access_token"],
        expired,
        issued.token,
        cancel,
        restore,
        hook.body["id"],
    )


# --- forged tokens -------------------------------------------------------------------------------


def _forged(w: World, kind: str) -> str:
    """An access token for alice, made without (or around) the service's signing key."""
    import jwt
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from hellojohn.rules import tokens

    good = w.alice_session["access_token"]
    header, claims = _header(good), _claims(good)
    key = tokens.signing_key()

    def hs256(secret: bytes) -> str:
        body = _unsigned({"alg": "HS256", "typ": "JWT", "kid": header["kid"]}, claims)
        return body + "." + _b64(hmac.new(secret, body.encode(), hashlib.sha256).digest())

    def tampered() -> str:
        head, _, sig = good.split(".")
        payload = _unsigned(header, {**claims, "sub": w.mallory["id"]}).split(".")[1]
        return f"{head}.{payload}.{sig}"

    makers: dict[str, Callable[[], str]] = {
        "wrong key": lambda: jwt.encode(
            claims, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": header["kid"]}
        ),
        "alg none": lambda: _unsigned({"alg": "none", "typ": "JWT", "kid": header["kid"]}, claims) + ".",
        "HS256 with the public key": lambda: hs256(key.public_raw),
        "HS256 with the JWK x": lambda: hs256(_b64(key.public_raw).encode()),
        "tampered sub": tampered,
        "unknown kid": lambda: jwt.encode(claims, key.private, algorithm="EdDSA", headers={"kid": "nope"}),
        "wrong issuer": lambda: jwt.encode(
            {**claims, "iss": "https://evil.test"},
            key.private,
            algorithm="EdDSA",
            headers={"kid": header["kid"]},
        ),
        # even a token signed by the service cannot reach across: the tenant is part of every key
        "tenant swapped (validly signed)": lambda: tokens.issue(
            w.alice["id"], w.b.id, claims["sid"], "admin", claims["iat"]
        )[0],
        "garbage": lambda: "not-a-token",
    }
    return makers[kind]()


# --- the matrix ----------------------------------------------------------------------------------

Headers = Callable[[World, str], dict[str, str]]


def _sk(t: str) -> Headers:
    return lambda w, _: {
        "Authorization": f"Bearer {getattr(w, t).secret_key}",
        "X-Tenant-ID": getattr(w, t).id,
    }


def _key(tenant: Tenant, kind: str) -> str:
    return tenant.secret_key if kind == "secret" else tenant.publishable_key


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # {alice} / {mallory} are replaced by the users' ids, {alice_session} by alice's session id
    caller: str  # "secret" | "publishable" | "user"
    body: Callable[[World], Any] = lambda w: None


ENDPOINTS = [
    Endpoint("POST", "/v1/users", "secret", lambda w: {"email": "eve@example.com"}),
    Endpoint("GET", "/v1/users", "secret"),
    Endpoint("GET", "/v1/users/{alice}", "secret"),
    Endpoint("PATCH", "/v1/users/{alice}", "secret", lambda w: {"role": "admin", "name": "pwned"}),
    Endpoint("POST", "/v1/users/{alice}/password", "secret", lambda w: {"password": NEW}),
    Endpoint("POST", "/v1/users/{alice}/disable", "secret", lambda w: {"revoke_sessions": True}),
    Endpoint("POST", "/v1/users/{alice}/enable", "secret"),
    Endpoint("GET", "/v1/users/{alice}/events", "secret"),
    Endpoint(
        "PATCH", "/v1/users/{alice}/metadata", "secret", lambda w: {"private_metadata": {"pwned": True}}
    ),
    Endpoint("POST", "/v1/users/{alice}/unlock", "secret"),
    Endpoint("DELETE", "/v1/users/{alice}", "secret"),
    Endpoint("POST", "/v1/users/{alice}/restore", "secret"),
    Endpoint(
        "POST",
        "/v1/auth/sign-in",
        "publishable",
        lambda w: {"email": "alice@example.com", "password": PASSWORD},
    ),
    Endpoint(
        "POST",
        "/v1/auth/refresh",
        "publishable",
        lambda w: {"refresh_token": w.alice_session["refresh_token"]},
    ),
    Endpoint("POST", "/v1/auth/email/verify", "publishable", lambda w: {"token": w.verification}),
    Endpoint("POST", "/v1/auth/email/cancel", "publishable", lambda w: {"token": w.cancel}),
    Endpoint("POST", "/v1/auth/email/restore", "publishable", lambda w: {"token": w.restore}),
    Endpoint("GET", "/v1/auth/me", "user"),
    Endpoint("PATCH", "/v1/auth/me", "user", lambda w: {"name": "pwned"}),
    Endpoint(
        "POST",
        "/v1/auth/password/change",
        "user",
        lambda w: {"current_password": PASSWORD, "new_password": NEW},
    ),
    Endpoint("POST", "/v1/auth/sign-out", "user"),
    Endpoint("POST", "/v1/auth/reauthenticate", "user", lambda w: {"password": PASSWORD}),
    Endpoint("DELETE", "/v1/auth/me", "user"),
    Endpoint("GET", "/v1/users/{alice}/sessions", "secret"),
    Endpoint("POST", "/v1/users/{alice}/sessions/{alice_session}/revoke", "secret"),
    Endpoint("POST", "/v1/users/{alice}/sessions/revoke", "secret"),
    Endpoint("GET", "/v1/auth/sessions", "user"),
    Endpoint("POST", "/v1/auth/sessions/{alice_session}/revoke", "user"),
    Endpoint("POST", "/v1/webhooks", "secret", lambda w: {"url": "https://hooks.attacker.example/in"}),
    Endpoint("GET", "/v1/webhooks", "secret"),
    Endpoint("GET", "/v1/webhooks/{webhook}", "secret"),
    Endpoint(
        "PATCH", "/v1/webhooks/{webhook}", "secret", lambda w: {"url": "https://hooks.attacker.example/in"}
    ),
    Endpoint("DELETE", "/v1/webhooks/{webhook}", "secret"),
    Endpoint("POST", "/v1/webhooks/{webhook}/rotate-secret", "secret"),
    Endpoint("POST", "/v1/webhooks/{webhook}/test", "secret"),
    Endpoint("GET", "/v1/webhooks/{webhook}/deliveries", "secret"),
]

# attack name -> (which callers it applies to, headers, expected status, expected code)
Attack = tuple[tuple[str, ...], Headers, int, str]
TOKEN_FORGERIES = {
    "wrong key": "invalid_token",
    "alg none": "invalid_token",
    "HS256 with the public key": "invalid_token",
    "HS256 with the JWK x": "invalid_token",
    "tampered sub": "invalid_token",
    "unknown kid": "invalid_token",
    "wrong issuer": "invalid_token",
    "tenant swapped (validly signed)": "session_revoked",
    "garbage": "invalid_token",
}


def _forgery(kind: str) -> Headers:
    return lambda w, _: bearer(_forged(w, kind))


ATTACKS: dict[str, Attack] = {
    "another tenant's key, victim's X-Tenant-ID": (
        ("secret", "publishable"),
        lambda w, k: {"Authorization": f"Bearer {_key(w.b, k)}", "X-Tenant-ID": w.a.id},
        403,
        "tenant_mismatch",
    ),
    "publishable key where a secret key is needed": (
        ("secret",),
        lambda w, _: w.a.public(),
        403,
        "forbidden",
    ),
    "secret key where a publishable key is needed": (
        ("publishable",),
        lambda w, _: w.a.admin(),
        403,
        "forbidden",
    ),
    "access token where a key is needed": (
        ("secret", "publishable"),
        lambda w, _: {**bearer(w.alice_session["access_token"]), "X-Tenant-ID": w.a.id},
        403,
        "forbidden",
    ),
    "secret key where a user token is needed": (("user",), lambda w, _: w.a.admin(), 403, "forbidden"),
    "publishable key where a user token is needed": (("user",), lambda w, _: w.a.public(), 403, "forbidden"),
    "own key, another tenant's X-Tenant-ID": (
        ("secret", "publishable"),
        lambda w, k: {"Authorization": f"Bearer {_key(w.a, k)}", "X-Tenant-ID": w.b.id},
        403,
        "tenant_mismatch",
    ),
    "own key, made-up X-Tenant-ID": (
        ("secret", "publishable"),
        lambda w, k: {
            "Authorization": f"Bearer {_key(w.a, k)}",
            "X-Tenant-ID": "tnt_01HABCDEF6543210000000000A",
        },
        403,
        "tenant_mismatch",
    ),
    "own key, malformed X-Tenant-ID": (
        ("secret", "publishable"),
        lambda w, k: {"Authorization": f"Bearer {_key(w.a, k)}", "X-Tenant-ID": w.a.id + "' OR 1=1"},
        403,
        "tenant_mismatch",
    ),
    "key without X-Tenant-ID": (
        ("secret", "publishable"),
        lambda w, k: {"Authorization": f"Bearer {_key(w.a, k)}"},
        400,
        "invalid_request",
    ),
    "unknown key": (
        ("secret", "publishable"),
        lambda w, k: {"Authorization": f"Bearer {_key(w.a, k)[:8]}" + "A" * 43, "X-Tenant-ID": w.a.id},
        401,
        "unauthorized",
    ),
    "no credentials": (
        ("secret", "publishable", "user"),
        lambda w, _: {"X-Tenant-ID": w.a.id},
        401,
        "unauthorized",
    ),
    "Basic scheme": (
        ("secret", "publishable", "user"),
        lambda w, _: {"Authorization": "Basic YWxpY2U6cGFzcw==", "X-Tenant-ID": w.a.id},
        401,
        "unauthorized",
    ),
    "token of another tenant, victim's X-Tenant-ID": (
        ("user",),
        lambda w, _: {**bearer(w.mallory_session["access_token"]), "X-Tenant-ID": w.a.id},
        403,
        "tenant_mismatch",
    ),
    "own token, another tenant's X-Tenant-ID": (
        ("user",),
        lambda w, _: {**bearer(w.alice_session["access_token"]), "X-Tenant-ID": w.b.id},
        403,
        "tenant_mismatch",
    ),
    "expired token": (("user",), lambda w, _: bearer(w.expired), 401, "token_expired"),
    "revoked token": (("user",), lambda w, _: bearer(w.revoked), 401, "session_revoked"),
    **{f"forged: {k}": (("user",), _forgery(k), 401, code) for k, code in TOKEN_FORGERIES.items()},
}

# The attacker's own valid credentials, aimed at the victim's data: refused or blind, never crossing.
CROSS: dict[tuple[str, str], tuple[Headers, Callable[[World], Any] | None, int, str | None]] = {
    ("GET", "/v1/users/{alice}"): (_sk("b"), None, 404, "user_not_found"),
    ("PATCH", "/v1/users/{alice}"): (_sk("b"), None, 404, "user_not_found"),
    ("POST", "/v1/users/{alice}/password"): (_sk("b"), None, 404, "user_not_found"),
    ("POST", "/v1/users/{alice}/disable"): (_sk("b"), None, 404, "user_not_found"),
    ("POST", "/v1/users/{alice}/enable"): (_sk("b"), None, 404, "user_not_found"),
    ("PATCH", "/v1/users/{alice}/metadata"): (_sk("b"), None, 404, "user_not_found"),
    ("POST", "/v1/users/{alice}/unlock"): (_sk("b"), None, 404, "user_not_found"),
    ("DELETE", "/v1/users/{alice}"): (_sk("b"), None, 404, "user_not_found"),
    ("DELETE", "/v1/users/{alice}?purge=now"): (_sk("b"), None, 404, "user_not_found"),
    ("POST", "/v1/users/{alice}/restore"): (_sk("b"), None, 404, "user_not_found"),
    ("GET", "/v1/users/{alice}/sessions"): (_sk("b"), None, 404, "user_not_found"),
    ("POST", "/v1/users/{alice}/sessions/{alice_session}/revoke"): (_sk("b"), None, 404, "user_not_found"),
    ("POST", "/v1/users/{alice}/sessions/revoke"): (_sk("b"), None, 404, "user_not_found"),
    # the attacker's own token naming the victim's session: not in the attacker's map
    ("POST", "/v1/auth/sessions/{alice_session}/revoke"): (
        lambda w, _: bearer(w.mallory_session["access_token"]),
        None,
        404,
        "not_found",
    ),
    ("POST", "/v1/auth/sign-in"): (lambda w, _: w.b.public(), None, 401, "invalid_credentials"),
    ("POST", "/v1/auth/refresh"): (lambda w, _: w.b.public(), None, 401, "invalid_token"),
    ("POST", "/v1/auth/email/verify"): (lambda w, _: w.b.public(), None, 400, "invalid_request"),
    ("POST", "/v1/auth/email/cancel"): (lambda w, _: w.b.public(), None, 400, "invalid_request"),
    ("POST", "/v1/auth/email/restore"): (lambda w, _: w.b.public(), None, 400, "invalid_request"),
    # blind, not refused: the attacker's own tenant, where alice does not exist
    ("GET", "/v1/users?email=alice@example.com"): (_sk("b"), None, 200, None),
    ("GET", "/v1/users/{alice}/events"): (_sk("b"), None, 200, None),
    # another tenant's key sees none of tenant A's webhook endpoints: absent, or not in its list
    ("GET", "/v1/webhooks/{webhook}"): (_sk("b"), None, 404, "not_found"),
    ("PATCH", "/v1/webhooks/{webhook}"): (_sk("b"), None, 404, "not_found"),
    ("DELETE", "/v1/webhooks/{webhook}"): (_sk("b"), None, 404, "not_found"),
    ("POST", "/v1/webhooks/{webhook}/rotate-secret"): (_sk("b"), None, 404, "not_found"),
    ("POST", "/v1/webhooks/{webhook}/test"): (_sk("b"), None, 404, "not_found"),
    ("GET", "/v1/webhooks/{webhook}/deliveries"): (_sk("b"), None, 404, "not_found"),
    ("GET", "/v1/webhooks"): (_sk("b"), None, 200, None),
}


def _cases() -> list[tuple[str, Endpoint | None, str, Any]]:
    cases: list[tuple[str, Endpoint | None, str, Any]] = []
    for e in ENDPOINTS:
        for name, attack in ATTACKS.items():
            if e.caller in attack[0]:
                cases.append((f"{e.method} {e.path} | {name}", e, name, attack))
    for (method, path), cross in CROSS.items():
        cases.append(
            (f"{method} {path} | attacker's own credentials, victim's ids", None, f"{method} {path}", cross)
        )
    return cases


CASES = _cases()


def _send(w: World, method: str, path: str, headers: dict[str, str], body: Any) -> Reply:
    path = path.replace("{alice}", w.alice["id"]).replace("{mallory}", w.mallory["id"])
    path = path.replace("{alice_session}", w.alice_session["id"]).replace("{webhook}", w.webhook)
    return w.api(method, path, body, headers)


def _victim_state(w: World) -> list[dict[str, Any]]:
    """The whole table but the attacker's own guess counters: a sign-in guess for an address
    unknown in the attacker's tenant is counted there (hellojohn.store.guesses), as any would be."""
    own = f"TNT#{w.b.id}#GUESS#"
    return [i for i in table_items() if not i["PK"]["S"].startswith(own)]


@pytest.mark.parametrize(("endpoint", "name", "attack"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_refused_and_nothing_crosses(world: World, endpoint: Endpoint | None, name: str, attack: Any) -> None:
    before = _victim_state(world)
    if endpoint is not None:
        _, headers, status, code = attack
        reply = _send(
            world, endpoint.method, endpoint.path, headers(world, endpoint.caller), endpoint.body(world)
        )
    else:
        method, path = name.split(" ", 1)
        headers, _, status, code = attack
        e = next((e for e in ENDPOINTS if (e.method, e.path) == (method, path)), None)
        body = e.body(world) if e is not None else None
        reply = _send(world, method, path, headers(world, ""), body)
    if code is None:
        assert reply.status == status and reply.body["data"] == [], reply.body  # blind: alice is not there
    else:
        assert_error(reply, status, code)
    text = json.dumps(reply.body)
    for secret in (
        "alice@example.com",
        "alice.new@example.com",
        world.alice["id"],
        world.alice_session["id"],
        world.webhook,
    ):
        assert secret not in text  # nothing of the victim's is read back
    assert _victim_state(world) == before  # nothing written anywhere (the whole table)


def test_the_victim_is_untouched_and_still_works(world: World) -> None:
    """After the matrix: alice's data, sessions and verification link are as they were."""
    api = world.api
    user = api("GET", f"/v1/users/{world.alice['id']}", headers=world.a.admin())
    assert user.status == 200
    assert (user.body["name"], user.body["role"], user.body["disabled"]) == (None, "member", False)
    assert api("GET", "/v1/auth/me", headers=bearer(world.alice_session["access_token"])).status == 200
    listed = api("GET", f"/v1/users/{world.alice['id']}/sessions", headers=world.a.admin())
    assert [s["id"] for s in listed.body["data"]] == [world.alice_session["id"]]
    assert sign_in(api, world.a)["access_token"]
    verified = api("POST", "/v1/auth/email/verify", {"token": world.verification}, world.a.public())
    assert verified.status == 200 and verified.body["email"] == "alice.new@example.com"
    # her notices' links too: the cancel link has nothing left to cancel, the restore link works
    assert api("POST", "/v1/auth/email/cancel", {"token": world.cancel}, world.a.public()).status == 400
    assert api("POST", "/v1/auth/email/restore", {"token": world.restore}, world.a.public()).status == 204
    user = api("GET", f"/v1/users/{world.alice['id']}", headers=world.a.admin())
    assert user.body["email"] == "alice.old@example.com"


def test_every_endpoint_is_in_the_matrix() -> None:
    from local_runner import template

    declared = {
        (r.method, r.path)
        for f in template.functions()
        for r in f.routes
        if r.method != "OPTIONS" and r.path != "/v1/.well-known/jwks.json"
    }
    covered = {
        (
            e.method,
            e.path.replace("{alice}", "{user_id}")
            .replace("{alice_session}", "{session_id}")
            .replace("{webhook}", "{webhook_id}"),
        )
        for e in ENDPOINTS
    }
    assert declared == covered


def test_case_count() -> None:
    assert len(CASES) >= 100, len(CASES)
