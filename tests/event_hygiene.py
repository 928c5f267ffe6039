"""No secret in any change event: every `PutEvents` entry of every test is searched.

An autouse fixture (tests/conftest.py) sees each call the functions make, as the IAM check does,
and fails the test whose code put an entry holding what must never leave the table: a password
(the tests' own, or any attribute or key named for one), an Argon2 hash, a hex SHA-256 (what
API keys, refresh and verification tokens are stored as), an access token (a JWT), an API key, a
refresh token. A secret that has none of these shapes (a verification token itself is 43 random
URL-safe characters) cannot be told from an id by its shape; it is kept out by construction
(`rules/change_events.FIELDS` is the admin view, which holds none).
"""

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.awscalls import Call, counting

SHAPES = {
    "an Argon2 hash": re.compile(r"\$argon2"),
    "a SHA-256 in hex": re.compile(r"\b[0-9a-f]{64}\b"),
    "a JWT": re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\."),
    "an API key": re.compile(r"\b[sp]k_(live|test)_"),
    "a refresh token": re.compile(r"usr_[0-9A-Z]{26}\.ses_[0-9A-Z]{26}\.[A-Za-z0-9_-]{32,}"),
}
NAMES = re.compile(r"password|hash|token|secret", re.IGNORECASE)
_seen: dict[str, int] = {"entries": 0}


def _user_fields() -> frozenset[str]:
    from hellojohn.rules.change_events import FIELDS

    return frozenset(FIELDS)  # the user object's own names (`password_change_required`): values checked


USER_FIELDS = _user_fields()


def secrets_in(detail: Any, test_passwords: tuple[str, ...]) -> list[str]:
    """What in one event's detail looks like a secret (empty: nothing)."""
    found: list[str] = []

    def visit(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if NAMES.search(str(key)) and key not in USER_FIELDS:
                    found.append(f"{where}.{key}: an attribute named for a secret")
                visit(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                visit(value, f"{where}[{i}]")
        elif isinstance(node, str):
            found.extend(f"{where}: {what}" for what, shape in SHAPES.items() if shape.search(node))
            found.extend(f"{where}: a test password" for p in test_passwords if p in node)

    visit(detail, "detail")
    return found


def personal_values_in(found: Any, values: list[str]) -> list[str]:
    """Where a deleted user's personal values (name, email, phone, IP, user agent, metadata, or any
    part of them given) still appear in an event or a history page: case-insensitive, in keys and
    values alike (empty: nowhere)."""
    wanted = [v.lower() for v in values if v]
    hits: list[str] = []

    def visit(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                visit(str(key), f"{where}:key")
                visit(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                visit(value, f"{where}[{i}]")
        elif isinstance(node, str):
            hits.extend(f"{where}: {v}" for v in wanted if v in node.lower())

    visit(found, "")
    return hits


def _passwords() -> tuple[str, ...]:
    from tests import conftest

    return tuple(v for k, v in vars(conftest).items() if "PASSWORD" in k and isinstance(v, str))


@pytest.fixture(autouse=True)
def events_without_secrets() -> Iterator[None]:
    problems: list[str] = []
    passwords = _passwords()

    def look(call: Call) -> None:
        if (call.service, call.operation) != ("events", "PutEvents"):
            return
        for entry in call.params.get("Entries", []):
            _seen["entries"] += 1
            detail = json.loads(entry.get("Detail", "{}"))
            # `changed` may name the password (that it changed), never hold it
            named = {**detail, "changed": [c for c in detail.get("changed", []) if c != "password"]}
            problems.extend(f"{entry.get('DetailType')}: {p}" for p in secrets_in(named, passwords))

    with counting(on_call=look, strict=False):
        yield
    if problems:
        pytest.fail("a change event holds a secret:\n  " + "\n  ".join(problems), pytrace=False)
