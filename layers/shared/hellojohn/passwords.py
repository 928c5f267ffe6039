"""Argon2id hashing and the tenant's password policy."""

import gzip
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


def hash_password(password: str) -> str:
    return hasher().hash(password)


@cache
def _dummy_hash() -> str:
    return hasher().hash("not-a-real-password: equalises timing for unknown users")


def verify(stored_hash: str | None, password: str) -> bool:
    """Constant-time verification; an absent hash still costs one verification."""
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        return hasher().verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return hasher().check_needs_rehash(stored_hash)


@cache
def _common() -> frozenset[str]:
    """About 20,000 common passwords (Django's list, from Royce Williams' research; BSD)."""
    data = resources.files("hellojohn").joinpath("data/common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode().split())


def weakness(password: str, policy: PasswordPolicy, email: str | None) -> str | None:
    """Why the password breaks the policy, or None when it is acceptable."""
    if len(password) < policy.min_length:
        return f"Password must be at least {policy.min_length} characters"
    if len(password) > policy.max_length:
        return f"Password must be at most {policy.max_length} characters"
    if policy.reject_email and email and password.strip().lower() == email.strip().lower():
        return "Password must not be the email address"
    if policy.reject_common and password.lower() in _common():
        return "Password is too common"
    return None
