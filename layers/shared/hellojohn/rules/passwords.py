"""Argon2id hashing and the tenant's password policy.

Passwords are NFC-normalised before they are hashed, verified or judged (NIST SP 800-63B
§5.1.1.2): `Café` typed with a combining accent is the same password. A hash made before that
from a non-NFC password still verifies against the raw form, and is then replaced.
"""

import gzip
import hmac
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from hellojohn.records import PasswordPolicy

if TYPE_CHECKING:
    from argon2 import PasswordHasher


@cache
def hasher() -> "PasswordHasher":
    """Argon2id at the configured cost, never below OWASP's minimum (m=19 MiB, t=2, p=1)."""
    from argon2 import PasswordHasher  # imported on first use: most functions never hash

    from hellojohn.config import settings

    s = settings()
    return PasswordHasher(
        time_cost=s.argon2_time_cost, memory_cost=s.argon2_memory_kib, parallelism=s.argon2_parallelism
    )


def normalised(password: str) -> str:
    return unicodedata.normalize("NFC", password)


MUST_DIFFER = "Password must differ from the current password"
"""The reason a change to the current password is refused (422 `password_too_weak`): a temporary
password "changed" to itself would stay the admin's choice. No history is kept (docs/SECURITY.md)."""


def same(password: str, other: str) -> bool:
    """Whether two passwords of one request are the same password (their NFC forms), in constant time."""
    return hmac.compare_digest(normalised(password).encode(), normalised(other).encode())


def hash_password(password: str) -> str:
    return hasher().hash(normalised(password))


@cache
def _dummy_hash() -> str:
    """At the configured cost: it equalises unknown users' timing."""
    return hasher().hash("not-a-real-password: equalises timing for unknown users")


def forget_dummy_hash() -> None:
    """Drop the dummy hash (`edge.caches.forget_data`): its salt must not be shared by restored copies."""
    _dummy_hash.cache_clear()


@dataclass(frozen=True)
class Verdict:
    ok: bool
    rehash: bool = False  # the hash should be replaced by hash_password(password)

    def __bool__(self) -> bool:
        return self.ok


def _matches(stored_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        return hasher().verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def verify(stored_hash: str | None, password: str) -> Verdict:
    """Constant-time verification of the NFC form, then of the raw form when it differs (a hash
    made before normalisation); an absent hash costs the same verifications."""
    nfc = normalised(password)
    candidate = stored_hash or _dummy_hash()
    if _matches(candidate, nfc):
        return Verdict(stored_hash is not None, stored_hash is not None and needs_rehash(candidate))
    if nfc != password and _matches(candidate, password):
        return Verdict(stored_hash is not None, stored_hash is not None)
    return Verdict(False)


def needs_rehash(stored_hash: str) -> bool:
    return hasher().check_needs_rehash(stored_hash)


@cache
def common_passwords() -> frozenset[str]:
    """About 20,000 common passwords (Django's list, from Royce Williams' research; BSD)."""
    data = resources.files("hellojohn").joinpath("data/common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode().split())


def weakness(password: str, policy: PasswordPolicy, email: str | None) -> str | None:
    """Why the password (in its NFC form) breaks the policy, or None when it is acceptable."""
    from hellojohn.fields import email_key

    password = normalised(password)
    if len(password) < policy.min_length:
        return f"Password must be at least {policy.min_length} characters"
    if len(password) > policy.max_length:
        return f"Password must be at most {policy.max_length} characters"
    if not password.strip():
        return "Password must not be only whitespace"
    if policy.reject_email and email and email_key(password) == email_key(email):
        return "Password must not be the email address"
    if policy.reject_common and password.lower() in common_passwords():
        return "Password is too common"
    return None
