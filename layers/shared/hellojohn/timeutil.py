"""Time in one place: epoch seconds inside, RFC 3339 UTC with `Z` on the wire."""

import time
from datetime import UTC, datetime


def now() -> int:
    return int(time.time())


def rfc3339(epoch: int | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
