"""Fixtures of the handler tests: the asynchronous pipeline and a movable clock."""

import time
from collections.abc import Iterator

import pytest

from tests.pipeline import Pipeline

SENDER = "no-reply@acme.test"  # the `tenant` fixture's email_from


@pytest.fixture
def pipe(aws: dict[str, str]) -> Pipeline:
    """The stream -> router -> queues -> workers chain, with the tenant's sender verified in SES."""
    Pipeline.verify_sender(SENDER)
    return Pipeline(aws)


class Clock:
    """The service's clock (`hellojohn.timeutil`), moved forward by `advance`."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    """Every `hellojohn.timeutil.now()` reads this clock (modules import `now` by name, so the
    module-level `time` it calls is what is replaced)."""
    from hellojohn import timeutil

    c = Clock()
    monkeypatch.setattr(timeutil, "time", c)
    yield c
