"""hellojohn.rules.tokens on PyJWT: what it signs verifies, and every forgery or broken claim below is
refused as `invalid_token` (never as `token_expired`, which would send a client to refresh)."""

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hellojohn import errors, timeutil
from hellojohn.rules import tokens

SEED = "s" * 48
KEY = tokens._derive(SEED)
OTHER = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"another seed").digest())
KID = KEY.kid
ISS = "https://api.hellojohn.test"
NOW = int(time.time())  # PyJWT reads the real clock
LEEWAY = tokens.LEEWAY_SECONDS
CLAIMS = {"iss": ISS, "sub": "usr_1", "tid": "tnt_1", "sid": "ses_1", "role": "member"} | {
    "iat": NOW,
    "exp": NOW + 900,
}


@pytest.fixture(autouse=True)
def service(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The token module's settings and signing key, without AWS: this file tests the JWT rules."""
    monkeypatch.setenv("TOKEN_ISSUER", ISS)
    monkeypatch.setenv("TABLE_NAME", "tokens-test")
    monkeypatch.setenv("SIGNING_KEY_SECRET", "s")
    from hellojohn import config

    config.settings.cache_clear()
    monkeypatch.setattr(tokens, "signing_key", lambda: KEY)
    yield
    config.settings.cache_clear()


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def raw_json(value: Any) -> str:
    return b64(json.dumps(value).encode())


def sign(head: str, payload: str, key: Ed25519PrivateKey = KEY.private) -> str:
    return f"{head}.{payload}.{b64(key.sign(f'{head}.{payload}'.encode()))}"


def refused(token: str) -> str:
    """The error code `tokens.verify` answers with."""
    with pytest.raises(errors.ApiError) as caught:
        tokens.verify(token)
    return caught.value.code


def test_what_it_issues_verifies_and_has_our_header() -> None:
    token, expires_at = tokens.issue("usr_1", "tnt_1", "ses_1", "member", NOW)
    assert jwt.get_unverified_header(token) == {"alg": "EdDSA", "typ": "JWT", "kid": KID}
    claims = tokens.verify(token)
    ids = (claims.user_id, claims.tenant_id, claims.session_id, claims.role)
    assert ids == ("usr_1", "tnt_1", "ses_1", "member")
    assert (claims.issued_at, claims.expires_at) == (NOW, expires_at)
    assert tokens.unverified_claims(token)["tid"] == "tnt_1"


def test_expiry_and_the_leeway() -> None:
    now = int(time.time())  # at the real clock: just inside the leeway, then past it
    assert tokens.verify(_with(iat=now - 900, exp=now - LEEWAY + 3)).expires_at == now - LEEWAY + 3
    assert refused(_with(iat=now - 900, exp=now - LEEWAY)) == "token_expired"


def _with(**changes: Any) -> str:
    claims = {**CLAIMS, **changes}
    body = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(body, KEY.private, algorithm="EdDSA", headers={"kid": KID})


HEAD = raw_json({"alg": "EdDSA", "typ": "JWT", "kid": KID})
BODY = raw_json(CLAIMS)
GOOD = sign(HEAD, BODY)

SIGNATURE = GOOD.split(".")[2]


def hs256_with_public_key() -> str:
    head = raw_json({"alg": "HS256", "kid": KID})
    return f"{head}.{BODY}." + b64(hmac.new(KEY.public_raw, f"{head}.{BODY}".encode(), "sha256").digest())


REFUSED: dict[str, Callable[[], str]] = {
    "signed by another key": lambda: jwt.encode(CLAIMS, OTHER, algorithm="EdDSA", headers={"kid": KID}),
    "payload changed after signing": lambda: f"{HEAD}.{raw_json({**CLAIMS, 'sub': 'usr_2'})}.{SIGNATURE}",
    "alg none, no signature": lambda: f"{raw_json({'alg': 'none', 'kid': KID})}.{BODY}.",
    "HS256 keyed with the public key": hs256_with_public_key,
    "alg changed after signing": lambda: f"{raw_json({'alg': 'ES256', 'kid': KID})}.{BODY}.{SIGNATURE}",
    "another kid": lambda: sign(raw_json({"alg": "EdDSA", "kid": "k2"}), BODY),
    "no kid": lambda: sign(raw_json({"alg": "EdDSA"}), BODY),
    "crit header": lambda: sign(raw_json({"alg": "EdDSA", "kid": KID, "crit": ["b64"], "b64": False}), BODY),
    "wrong issuer": lambda: _with(iss="https://evil.test"),
    "no issuer": lambda: _with(iss=None),
    "no exp": lambda: _with(exp=None),
    "no iat": lambda: _with(iat=None),
    "iat in the future": lambda: _with(iat=int(time.time()) + 60),
    "nbf in the future": lambda: _with(nbf=int(time.time()) + 60),
    "two parts": lambda: GOOD.rsplit(".", 1)[0],
    "four parts": lambda: GOOD + ".x",
    "empty signature": lambda: GOOD.rsplit(".", 1)[0] + ".",
    "truncated signature": lambda: GOOD[:-4],
    "header is a list": lambda: sign(raw_json(["EdDSA"]), BODY),
    "payload is a string": lambda: sign(HEAD, raw_json("claims")),
    "header not JSON": lambda: sign(b64(b"{alg: EdDSA}"), BODY),
    "not base64url at all": lambda: "not-a-token",
    "garbage": lambda: "a.b.c",
}


def test_the_forgeries_are_twenty_three() -> None:
    assert len(REFUSED) == 23


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused(case: str) -> None:
    assert refused(REFUSED[case]()) == "invalid_token"


ALSO_REFUSED: dict[str, Callable[[], str]] = {
    "no sub": lambda: _with(sub=None),
    "no tid": lambda: _with(tid=None),
    "no sid": lambda: _with(sid=None),
    "exp not a number": lambda: _with(exp="soon"),
    "non-ASCII": lambda: GOOD + "é",
    "oversized": lambda: sign(HEAD, raw_json({**CLAIMS, "pad": "x" * tokens.MAX_TOKEN_CHARS})),
}


@pytest.mark.parametrize("case", sorted(ALSO_REFUSED))
def test_the_required_claims_and_limits(case: str) -> None:
    assert refused(ALSO_REFUSED[case]()) == "invalid_token"


def test_the_kid_is_checked_before_any_signature_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Another kid never reaches PyJWT's verification (so no key or algorithm is ever tried)."""
    called: list[str] = []
    monkeypatch.setattr(jwt, "decode", lambda *a, **k: called.append("decode"))
    assert refused(sign(raw_json({"alg": "EdDSA", "kid": "k2"}), BODY)) == "invalid_token"
    assert refused(sign(raw_json({"alg": "HS256", "kid": KID}), BODY)) == "invalid_token"
    assert called == []


def test_unverified_claims_only_parses() -> None:
    other = jwt.encode(CLAIMS, OTHER, algorithm="EdDSA", headers={"kid": "any"})
    assert tokens.unverified_claims(other)["tid"] == "tnt_1"
    for bad in ("x", "a.b.c", f"{HEAD}.{raw_json([1])}.sig"):
        with pytest.raises(jwt.InvalidTokenError):
            tokens.unverified_claims(bad)


def _counting_decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    decoded: list[str] = []
    real = tokens.decode

    def counted(token: str, key: tokens.SigningKey, issuer: str) -> dict[str, Any]:
        decoded.append(token)
        return real(token, key, issuer)

    monkeypatch.setattr(tokens, "decode", counted)
    return decoded


def test_a_verified_token_is_not_verified_again_and_is_kept_only_as_a_digest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tokens.forget_keys()
    decoded = _counting_decodes(monkeypatch)
    token, _ = tokens.issue("usr_1", "tnt_1", "ses_1", "member", int(time.time()))
    assert tokens.verify(token) == tokens.verify(token)
    assert decoded == [token]
    ((kid, issuer, digest),) = list(tokens._verified)
    assert (kid, issuer, digest) == (KID, ISS, hashlib.sha256(token.encode()).digest())
    # a forgery is a different string: it is verified, and refused
    head, body, signature = token.split(".")
    middle = len(signature) // 2
    flipped = signature[:middle] + ("A" if signature[middle] != "A" else "B") + signature[middle + 1 :]
    assert refused(f"{head}.{body}.{flipped}") == "invalid_token"
    tokens.forget_keys()  # the after-restore hook: a restored copy shares nothing it verified
    assert not tokens._verified


def test_a_remembered_token_still_expires_as_pyjwt_would_expire_it(monkeypatch: pytest.MonkeyPatch) -> None:
    tokens.forget_keys()
    now = int(time.time())
    token = _with(iat=now - 60, exp=now + 30)
    assert tokens.verify(token).expires_at == now + 30
    decoded = _counting_decodes(monkeypatch)
    monkeypatch.setattr(timeutil, "now", lambda: now + 30 + LEEWAY - 1)
    assert tokens.verify(token).expires_at == now + 30  # inside the leeway: still good
    monkeypatch.setattr(timeutil, "now", lambda: now + 30 + LEEWAY)
    assert refused(token) == "token_expired"  # exactly where PyJWT stops accepting it
    assert decoded == []


def test_a_remembered_token_is_refused_under_a_new_key(monkeypatch: pytest.MonkeyPatch) -> None:
    tokens.forget_keys()
    token = _with()
    assert tokens.verify(token).user_id == "usr_1"
    monkeypatch.setattr(tokens, "signing_key", lambda: tokens._derive("a rotated seed, " * 3))
    assert refused(token) == "invalid_token"  # the old kid: refused before any signature work
