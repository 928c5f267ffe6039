"""hellojohn.jws against PyJWT, the reference it replaces at runtime: each accepts the other's
tokens, and every forgery or broken claim below is refused by both (with expiry told apart)."""

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hellojohn import jws

KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"test seed").digest())
OTHER = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"another seed").digest())
KID = "k1"
ISS = "https://api.hellojohn.test"
NOW = int(time.time())  # PyJWT reads the real clock
LEEWAY = 5
CLAIMS = {"iss": ISS, "sub": "usr_1", "tid": "ten_1", "sid": "ses_1", "iat": NOW, "exp": NOW + 86400}


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def raw_json(value: Any) -> str:
    return b64(json.dumps(value).encode())


def sign(head: str, payload: str, key: Ed25519PrivateKey = KEY) -> str:
    return f"{head}.{payload}.{b64(key.sign(f'{head}.{payload}'.encode()))}"


def ours(token: str, now: int = NOW) -> dict[str, Any]:
    return jws.decode(token, KEY.public_key(), kid=KID, issuer=ISS, now=now, leeway=LEEWAY)


def pyjwt(token: str) -> dict[str, Any]:
    """PyJWT with the same rules (EdDSA only, our kid, our issuer, exp and iat required), now."""
    if jwt.get_unverified_header(token).get("kid") != KID:
        raise jwt.InvalidTokenError("kid")
    claims: dict[str, Any] = jwt.decode(
        token,
        KEY.public_key(),
        algorithms=["EdDSA"],
        issuer=ISS,
        leeway=LEEWAY,
        options={"require": ["exp", "iat"]},
    )
    return claims


def test_each_accepts_the_others_tokens() -> None:
    mine = jws.encode(CLAIMS, KEY, KID)
    theirs = jwt.encode(CLAIMS, KEY, algorithm="EdDSA", headers={"kid": KID})
    assert pyjwt(mine) == CLAIMS
    assert ours(theirs) == CLAIMS
    assert jwt.get_unverified_header(mine) == {"alg": "EdDSA", "typ": "JWT", "kid": KID}
    assert jws.unverified_claims(mine) == CLAIMS


def test_expiry_and_the_leeway_agree() -> None:
    token = jws.encode(CLAIMS, KEY, KID)
    exp = CLAIMS["exp"]
    assert ours(token, now=exp + LEEWAY - 1) == CLAIMS
    with pytest.raises(jws.ExpiredToken):
        ours(token, now=exp + LEEWAY)
    now = int(time.time())  # PyJWT at the real clock: just inside the leeway, and past it
    assert pyjwt(_with(iat=now - 900, exp=now - LEEWAY + 3))["exp"] == now - LEEWAY + 3
    with pytest.raises(jwt.ExpiredSignatureError):
        pyjwt(_with(iat=now - 900, exp=now - LEEWAY))


def _with(**changes: Any) -> str:
    claims = {**CLAIMS, **changes}
    return jws.encode({k: v for k, v in claims.items() if v is not None}, KEY, KID)


HEAD = raw_json({"alg": "EdDSA", "typ": "JWT", "kid": KID})
BODY = raw_json(CLAIMS)
GOOD = sign(HEAD, BODY)

SIGNATURE = GOOD.split(".")[2]


def hs256_with_public_key() -> str:
    head = raw_json({"alg": "HS256", "kid": KID})
    public = KEY.public_key().public_bytes_raw()
    return f"{head}.{BODY}." + b64(hmac.new(public, f"{head}.{BODY}".encode(), "sha256").digest())


REFUSED: dict[str, Callable[[], str]] = {
    "signed by another key": lambda: jws.encode(CLAIMS, OTHER, KID),
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


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_both_refuse(case: str) -> None:
    token = REFUSED[case]()
    with pytest.raises(jws.InvalidToken) as ours_refused:
        ours(token)
    assert not isinstance(ours_refused.value, jws.ExpiredToken)
    with pytest.raises(jwt.InvalidTokenError):
        pyjwt(token)


DUPLICATE = b64(
    b'{"iss":"%s","sub":"usr_2","sub":"usr_1","iat":%d,"exp":%d}' % (ISS.encode(), NOW, NOW + 900)
)

STRICTER: dict[str, Callable[[], str]] = {
    "exp is a numeric string": lambda: _with(exp=str(NOW + 900)),  # PyJWT casts it with int()
    "exp is true": lambda: _with(exp=True),
    "duplicate claim": lambda: sign(HEAD, DUPLICATE),  # PyJWT keeps the last one
    "padding in a part": lambda: sign(HEAD, BODY + "=" * (-len(BODY) % 4 or 4)),
    "standard base64 alphabet": lambda: GOOD.replace("-", "+").replace("_", "/") + "+/",
    "non-ASCII": lambda: GOOD + "é",
    "oversized": lambda: sign(HEAD, raw_json({**CLAIMS, "pad": "x" * jws.MAX_TOKEN_CHARS})),
}


@pytest.mark.parametrize("case", sorted(STRICTER))
def test_we_also_refuse_ambiguous_encodings_and_claims(case: str) -> None:
    with pytest.raises(jws.InvalidToken) as refused:
        ours(STRICTER[case]())
    assert not isinstance(refused.value, jws.ExpiredToken)


def test_unverified_claims_only_parses() -> None:
    assert jws.unverified_claims(jws.encode(CLAIMS, OTHER, "any"))["tid"] == "ten_1"
    for bad in ("x", "a.b.c", f"{HEAD}.{raw_json([1])}.sig"):
        with pytest.raises(jws.InvalidToken):
            jws.unverified_claims(bad)
