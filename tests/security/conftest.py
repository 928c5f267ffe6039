"""Fixtures of the security tests: AWS call recording and a movable clock."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest


@dataclass
class Calls:
    """DynamoDB calls made through the service's client: (operation, parameters)."""

    made: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        self.made.append((model.name, params))

    def clear(self) -> None:
        self.made.clear()

    @property
    def operations(self) -> list[str]:
        return [name for name, _ in self.made]

    def touching(self, marker: str) -> list[str]:
        """Operations whose parameters mention `marker` (e.g. "IDEM#": the idempotency records)."""
        return [name for name, params in self.made if marker in repr(params)]


@pytest.fixture
def calls(aws: dict[str, str]) -> Iterator[Calls]:
    from hellojohn.store.client import dynamodb

    recorder = Calls()
    dynamodb().meta.events.register("before-call.dynamodb.*", recorder)
    yield recorder
    dynamodb().meta.events.unregister("before-call.dynamodb.*", recorder)


@pytest.fixture
def atomic_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each AWS call applies atomically, as DynamoDB applies a write: moto's in-process backend
    checks a condition and writes without a lock, so threads could interleave inside one call.
    Between calls the threads interleave freely: that is where the service's races are."""
    import threading

    from moto.core.botocore_stubber import BotocoreStubber

    lock = threading.Lock()
    real = BotocoreStubber.process_request

    def atomic(self: Any, request: Any) -> Any:
        with lock:
            return real(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", atomic)


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every Argon2 verification made (the password each was asked about), in this process."""
    from argon2 import PasswordHasher

    made: list[str] = []
    real = PasswordHasher.verify

    def counting(self: Any, hash: str | bytes, password: str | bytes) -> bool:
        made.append(password if isinstance(password, str) else password.decode())
        return real(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    return made
