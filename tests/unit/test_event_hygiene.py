"""The secret search every change event of the suite goes through finds what it is for."""

import pytest

from tests.event_hygiene import secrets_in

CLEAN = {
    "user_id": "usr_01M8VE5CKZWRZ589B58Z414WZR",
    "changed": ["name", "password_change_required"],
    "after": {"name": "Ana", "password_change_required": False},
    "sequence": "123456789012345678901",
}


def test_a_clean_detail_passes() -> None:
    assert secrets_in(CLEAN, ("Correct-Horse-42",)) == []


@pytest.mark.parametrize(
    ("value", "what"),
    [
        ("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", "an Argon2 hash"),
        ("ab" * 32, "a SHA-256 in hex"),
        ("eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1In0.sig", "a JWT"),
        ("sk_test_abcdefghijklmnop", "an API key"),
        (
            "usr_01M8VE5CKZWRZ589B58Z414WZR.ses_01M8VE5CKZWRZ589B58Z414WZR.abcdefghijklmnopqrstuvwxyzABCDEF12",
            "a refresh token",
        ),
        ("my Correct-Horse-42 here", "a test password"),
    ],
)
def test_each_shape_is_found(value: str, what: str) -> None:
    [found] = secrets_in({**CLEAN, "after": {"name": value}}, ("Correct-Horse-42",))
    assert found == f"detail.after.name: {what}"


def test_an_attribute_named_for_a_secret_is_found() -> None:
    assert secrets_in({"after": {"password_hash": "x"}}, ()) == [
        "detail.after.password_hash: an attribute named for a secret"
    ]
