"""hellojohn.passwords: the policy (length, common, email) and Argon2id hashing."""

from collections.abc import Iterator

import pytest
from hellojohn import passwords
from hellojohn.records import PasswordPolicy

DEFAULT = PasswordPolicy()


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("", "at least 8"),
        ("Abc!234", "at least 8"),
        ("x" * 129, "at most 128"),
        ("password", "common"),
        ("Password1", "common"),
        ("QWERTY123", "common"),
        ("iloveyou", "common"),
        ("alice@example.com", "email"),
        (" Alice@Example.com ", "email"),
    ],
)
def test_weak_passwords_have_a_reason(password: str, reason: str) -> None:
    found = passwords.weakness(password, DEFAULT, "alice@example.com")
    assert found is not None
    assert reason in found


@pytest.mark.parametrize(
    "password", ["Correct-Horse-42", "Zq8#kL2m", "x7" * 64, "NewPassword456!", "パスワードは長い"]
)
def test_acceptable_passwords(password: str) -> None:
    assert passwords.weakness(password, DEFAULT, "alice@example.com") is None


def test_the_email_rule_needs_an_email() -> None:
    assert passwords.weakness("alice@example.com", DEFAULT, None) is None


def test_the_tenant_policy_is_honoured() -> None:
    strict = PasswordPolicy(min_length=12, max_length=64, reject_common=False, reject_email=False)
    assert "at least 12" in (passwords.weakness("Zq8#kL2mPq", strict, None) or "")
    assert "at most 64" in (passwords.weakness("x" * 65, strict, None) or "")
    assert passwords.weakness("password1234", strict, None) is None  # common, but the tenant allows it
    assert passwords.weakness("alice@example.com", strict, "alice@example.com") is None


def test_the_common_list_is_loaded() -> None:
    common = passwords._common()
    assert len(common) > 10_000
    assert "123456" in common


@pytest.fixture
def hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from hellojohn import config

    monkeypatch.setenv("TABLE_NAME", "unit-table")
    monkeypatch.setenv("SIGNING_KEY_SECRET", "unit-secret")
    monkeypatch.setenv("ARGON2_MEMORY_KIB", "19456")
    config.settings.cache_clear()
    passwords.hasher.cache_clear()
    yield
    config.settings.cache_clear()
    passwords.hasher.cache_clear()


@pytest.mark.usefixtures("hashing")
def test_argon2id_round_trip() -> None:
    stored = passwords.hash_password("Correct-Horse-42")
    assert stored.startswith("$argon2id$")
    assert "m=19456" in stored
    assert "Correct-Horse-42" not in stored
    assert passwords.verify(stored, "Correct-Horse-42") is True
    assert passwords.verify(stored, "correct-horse-42") is False
    assert passwords.verify(None, "Correct-Horse-42") is False
    assert passwords.verify("not-a-hash", "Correct-Horse-42") is False
    assert passwords.needs_rehash(stored) is False
    assert passwords.hash_password("Correct-Horse-42") != stored  # salted
