"""Opaque secrets: API keys, refresh tokens and verification tokens (random, stored as hashes).

A refresh token's successor is not random: it is derived from the token it replaces with a
server-side key (`successor_refresh_token`), so that every retry of one refresh within the reuse
interval is answered with the same successor (docs/SECURITY.md, "Refresh tokens").
"""

import base64
import hashlib
import hmac
import secrets as _random

from hellojohn.ids import is_id

SECRET_BYTES = 32  # 256 bits of entropy for every opaque secret


def digest(value: str) -> str:
    """SHA-256 hex: the stored form of a high-entropy secret (fast hashing is right for these)."""
    return hashlib.sha256(value.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def new_api_key(kind: str, live: bool) -> str:
    prefix = {"secret": "sk", "publishable": "pk"}[kind]
    return f"{prefix}_{'live' if live else 'test'}_{_random.token_urlsafe(SECRET_BYTES)}"


def api_key_kind(value: str) -> str | None:
    if value.startswith(("sk_live_", "sk_test_")):
        return "secret"
    if value.startswith(("pk_live_", "pk_test_")):
        return "publishable"
    return None


def new_refresh_token(uid: str, sid: str) -> tuple[str, str]:
    """(token, hash). The token names its user and session so refresh needs no index."""
    secret = _random.token_urlsafe(SECRET_BYTES)
    return f"{uid}.{sid}.{secret}", digest(secret)


def successor_refresh_token(uid: str, sid: str, secret: str, key: bytes) -> tuple[str, str]:
    """(token, hash) replacing the refresh token whose secret part is `secret`: HMAC-SHA-256 under
    `key` (the server's; without it no holder of a token can compute the next one) over the
    session id and that secret, 256 bits, the same length as a random one."""
    mac = hmac.new(key, f"{sid}.{secret}".encode(), hashlib.sha256).digest()
    successor = base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")
    return f"{uid}.{sid}.{successor}", digest(successor)


def parse_refresh_token(token: str) -> tuple[str, str, str] | None:
    """(user id, session id, secret part), or None when it is not one of ours. The secret part
    is only ever hashed (`digest`) or fed to `successor_refresh_token`, never stored or logged."""
    parts = token.split(".")
    if len(parts) != 3 or not is_id(parts[0], "usr") or not is_id(parts[1], "ses") or len(parts[2]) < 32:
        return None
    return parts[0], parts[1], parts[2]


def new_verification_token() -> tuple[str, str]:
    token = _random.token_urlsafe(SECRET_BYTES)
    return token, digest(token)
