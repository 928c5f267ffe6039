"""hellojohn.rules.opaque: random opaque secrets, stored only as SHA-256 digests."""

import hashlib

from hellojohn import ids
from hellojohn.rules import opaque


def test_api_keys_have_prefix_and_256_bits() -> None:
    for kind, live, prefix in [
        ("secret", True, "sk_live_"),
        ("secret", False, "sk_test_"),
        ("publishable", True, "pk_live_"),
        ("publishable", False, "pk_test_"),
    ]:
        key = opaque.new_api_key(kind, live)
        assert key.startswith(prefix)
        assert len(key.removeprefix(prefix)) >= 43  # 32 bytes, base64url
        assert opaque.api_key_kind(key) == kind
    assert opaque.new_api_key("secret", True) != opaque.new_api_key("secret", True)


def test_api_key_kind_of_anything_else() -> None:
    for value in ("eyJhbGciOiJFZERTQSJ9.x.y", "sk_other_abc", "", "pk_", "SK_LIVE_abc"):
        assert opaque.api_key_kind(value) is None


def test_digest_and_same() -> None:
    assert opaque.digest("abc") == hashlib.sha256(b"abc").hexdigest()
    assert opaque.same("abc", "abc")
    assert not opaque.same("abc", "abd")
    assert not opaque.same("abc", "ab")


def test_refresh_token_round_trip() -> None:
    uid, sid = ids.new_id("usr"), ids.new_id("ses")
    token, stored = opaque.new_refresh_token(uid, sid)
    assert stored not in token
    parsed = opaque.parse_refresh_token(token)
    assert parsed == (uid, sid, token.split(".")[2])
    assert opaque.digest(parsed[2]) == stored
    other, _ = opaque.new_refresh_token(uid, sid)
    assert other != token


def test_a_successor_is_derived_from_the_token_under_the_key() -> None:
    """The same token, session and key: the same successor (a retry converges); anything else
    differs; the successor is a token of ours, stored only as its digest."""
    uid, sid = ids.new_id("usr"), ids.new_id("ses")
    token, _ = opaque.new_refresh_token(uid, sid)
    secret = token.split(".")[2]
    key = b"k" * 32
    successor, stored = opaque.successor_refresh_token(uid, sid, secret, key)
    assert (successor, stored) == opaque.successor_refresh_token(uid, sid, secret, key)
    assert opaque.parse_refresh_token(successor) == (uid, sid, successor.split(".")[2])
    assert stored == opaque.digest(successor.split(".")[2]) and stored not in successor
    assert len(successor.split(".")[2]) == len(secret) == 43  # 256 bits, as a random one
    other_sid = ids.new_id("ses")
    for changed in (
        opaque.successor_refresh_token(uid, sid, secret, b"j" * 32),
        opaque.successor_refresh_token(uid, other_sid, secret, key),
        opaque.successor_refresh_token(uid, sid, secret[:-1] + ("A" if secret[-1] != "A" else "B"), key),
    ):
        assert changed[0].split(".")[2] != successor.split(".")[2]


def test_refresh_token_parse_refuses_what_is_not_ours() -> None:
    uid, sid = ids.new_id("usr"), ids.new_id("ses")
    for bad in (
        "",
        "a.b.c",
        f"{uid}.{sid}",
        f"{uid}.{sid}.short",
        f"{sid}.{uid}.{'x' * 43}",
        f"{uid}.{sid}.{'x' * 43}.extra",
        f"usr_123.{sid}.{'x' * 43}",
    ):
        assert opaque.parse_refresh_token(bad) is None, bad


def test_verification_token_is_stored_as_its_digest() -> None:
    token, stored = opaque.new_verification_token()
    assert stored == opaque.digest(token)
    assert len(token) >= 43
    assert opaque.new_verification_token()[0] != token
