"""Time in one place: epoch seconds inside, RFC 3339 UTC with `Z` on the wire."""

import time
from datetime import UTC, datetime
from functools import lru_cache

HOUR = 3600  # seconds
DAY = 24 * HOUR


def now() -> int:
    return int(time.time())


@lru_cache(maxsize=1024)
def _formatted(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339(epoch: int | None) -> str | None:
    """A view writes several timestamps per user (strftime is the slow part), mostly the same few
    seconds: each is formatted once. Pure, so safe to share across requests and restored copies."""
    if epoch is None:
        return None
    return _formatted(epoch)
