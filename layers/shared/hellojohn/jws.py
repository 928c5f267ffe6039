"""Compact JWS with EdDSA (Ed25519, RFC 8037) only: the one kind of token the service issues and
accepts.

Why not PyJWT at runtime: importing `jwt` loads cryptography's X.509, RSA, EC and SSH-key modules
for algorithms this service never uses, +0.2 of the cold-start floor on every function that signs
or verifies a token (docs/PERFORMANCE.md, docs/DECISIONS.md). With a single algorithm there is
nothing to negotiate: a token whose header does not say EdDSA and name the expected `kid` is
refused before any signature work. The signature itself is cryptography's Ed25519. PyJWT stays
the tests' oracle (tests/unit/test_jws.py): each accepts the other's tokens, and both refuse the
same forgeries.
"""

import base64
import binascii
import json
import re
from collections.abc import Iterable
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALG = "EdDSA"
MAX_TOKEN_CHARS = 4096  # ours are ~400; nothing longer is decoded at all
_PART = re.compile(r"[A-Za-z0-9_-]*")


class InvalidToken(Exception):
    """Malformed, not ours, forged, or with claims that do not hold."""


class ExpiredToken(InvalidToken):
    """Well formed and correctly signed, but past its `exp` (plus the leeway)."""


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64url(part: str) -> bytes:
    if not _PART.fullmatch(part):  # no padding, no standard-alphabet characters, no whitespace
        raise InvalidToken("not base64url")
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        raise InvalidToken("not base64url") from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise InvalidToken("duplicate member")
    return out


def _object(part: str) -> dict[str, Any]:
    try:
        value = json.loads(_unb64url(part), object_pairs_hook=_unique_keys)
    except (ValueError, UnicodeDecodeError):
        raise InvalidToken("not a JSON object") from None
    if not isinstance(value, dict):
        raise InvalidToken("not a JSON object")
    return value


def _compact(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def _parts(token: str) -> list[str]:
    parts = token.split(".") if len(token) <= MAX_TOKEN_CHARS else []
    if len(parts) != 3:
        raise InvalidToken("not a compact JWS")
    return parts


def encode(claims: dict[str, Any], key: Ed25519PrivateKey, kid: str) -> str:
    signing_input = f"{_compact({'alg': ALG, 'typ': 'JWT', 'kid': kid})}.{_compact(claims)}"
    return f"{signing_input}.{b64url(key.sign(signing_input.encode('ascii')))}"


def unverified_claims(token: str) -> dict[str, Any]:
    """The payload without checking anything: only for choosing, never for trusting."""
    return _object(_parts(token)[1])


def _numeric(claims: dict[str, Any], name: str) -> int | float:
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidToken(f"{name} is not a NumericDate")
    return value


def decode(
    token: str,
    key: Ed25519PublicKey,
    *,
    kid: str,
    issuer: str,
    now: float,
    leeway: int = 0,
    require: Iterable[str] = ("exp", "iat"),
) -> dict[str, Any]:
    """The verified claims: header alg/kid, signature, then required claims, exp, nbf, iat, iss."""
    head, payload, signature = _parts(token)
    header = _object(head)
    if header.get("alg") != ALG or header.get("kid") != kid or "crit" in header:
        raise InvalidToken("not our algorithm or key")
    try:
        key.verify(_unb64url(signature), f"{head}.{payload}".encode("ascii"))
    except InvalidSignature:
        raise InvalidToken("bad signature") from None
    claims = _object(payload)
    missing = [name for name in require if name not in claims]
    if missing:
        raise InvalidToken(f"missing {', '.join(missing)}")
    if "exp" in claims and _numeric(claims, "exp") <= now - leeway:
        raise ExpiredToken("expired")
    if "nbf" in claims and _numeric(claims, "nbf") > now + leeway:
        raise InvalidToken("not yet valid")
    if "iat" in claims and _numeric(claims, "iat") > now + leeway:
        raise InvalidToken("issued in the future")
    if claims.get("iss") != issuer:
        raise InvalidToken("wrong issuer")
    return claims
