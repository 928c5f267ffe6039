"""hellojohn.rules.passwords: the policy (length, common, email) and Argon2id hashing."""

from collections.abc import Iterator

import pytest
from hellojohn.records import PasswordPolicy
from hellojohn.rules import passwords

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
        (" " * 8, "whitespace"),  # finding 8: eight spaces were accepted
        ("\u3000" * 4 + "\t\n  ", "whitespace"),
        ("Alice@EXAMPLE.com", "email"),
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
    common = passwords.common_passwords()
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
    assert passwords.verify(stored, "Correct-Horse-42").ok is True
    assert passwords.verify(stored, "correct-horse-42").ok is False
    assert passwords.verify(None, "Correct-Horse-42").ok is False
    assert passwords.verify("not-a-hash", "Correct-Horse-42").ok is False
    assert passwords.needs_rehash(stored) is False
    assert passwords.hash_password("Correct-Horse-42") != stored  # salted


NFC = "Caf\u00e9-Latte-99"
NFD = "Cafe\u0301-Latte-99"


@pytest.mark.usefixtures("hashing")
def test_passwords_are_nfc_normalised() -> None:
    """Finding 8: a password set in NFC and typed in NFD (or the other way) is the same one."""
    assert NFC != NFD
    for given, typed in ((NFC, NFD), (NFD, NFC), (NFD, NFD)):
        stored = passwords.hash_password(given)
        verdict = passwords.verify(stored, typed)
        assert verdict.ok is True and verdict.rehash is False
    assert passwords.weakness(NFD, DEFAULT, None) == passwords.weakness(NFC, DEFAULT, None) is None
    # the length is that of the NFC form: 7 NFC characters are too short even when NFD makes 8
    assert "at least 8" in (passwords.weakness("Cafe\u0301123", DEFAULT, None) or "")


@pytest.mark.usefixtures("hashing")
def test_a_hash_of_a_raw_non_nfc_password_still_verifies_and_asks_for_a_rehash() -> None:
    legacy = passwords.hasher().hash(NFD)  # made before normalisation, from the raw NFD form
    verdict = passwords.verify(legacy, NFD)
    assert verdict.ok is True and verdict.rehash is True
    assert passwords.verify(legacy, NFC).ok is False  # the NFC form was never what it hashed
    assert passwords.verify(passwords.hash_password(NFD), NFD).rehash is False
