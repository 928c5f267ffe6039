"""Guess throttling: the rules. The state is kept on the user's own item (or, for an address no
user has, on a stand-in item: `hellojohn.store.guesses`), so known and unknown emails cost the
same calls and answer the same way.

After FREE_FAILURES wrong passwords within WINDOW seconds the account is locked for BASE_LOCK
seconds, doubling with each further failure up to MAX_LOCK. While locked, password attempts are
refused with 429 and Retry-After without being checked; once the lock has passed, a correct
password works again and clears the count.

A guess is *reserved* before its password is checked: it joins the account's guesses in flight,
and is admitted only while the failures that count plus the guesses in flight are fewer than
FREE_FAILURES (`slots`). A wrong password turns its reservation into a failure (one more write); a
right one clears the count and every reservation. So however many guesses arrive at once, at most
FREE_FAILURES passwords are checked before the lock applies, and a right password waits for a
slot instead of being refused because other (right) ones were being checked. A reservation older
than HORIZON belongs to an invocation that ended without resolving it: it counts as a failure.
MAX_LOCK is minutes, not hours: a stranger holding the publishable key can keep an account locked
for at most MAX_LOCK seconds per burst (docs/SECURITY.md, "Guess throttling").
"""

from dataclasses import dataclass
from typing import Any

FREE_FAILURES = 5
WINDOW = 15 * 60
BASE_LOCK = 60
MAX_LOCK = 15 * 60
COUNTERS = ("failed_attempts", "first_failed_at", "locked_until")  # the failures and the lock
IN_FLIGHT = "guesses_in_flight"  # a string set: "<reserved at>:<random>" per password being checked
STATE = (*COUNTERS, IN_FLIGHT)  # every attribute of it: what a success (or an admin) clears
HORIZON = 60  # seconds: no invocation lives this long (the functions' timeout is 10 s)


@dataclass(frozen=True)
class FailureState:
    failed_attempts: int
    first_failed_at: int
    locked_until: int

    @classmethod
    def of(cls, item: dict[str, Any] | None) -> "FailureState":
        item = item or {}
        return cls(*(int(item.get(name, 0)) for name in COUNTERS))


def retry_after(locked_until: int, now: int) -> int:
    """Seconds until the next attempt is allowed (0: not locked)."""
    return max(0, locked_until - now)


def after_failure(
    failed_attempts: int, first_failed_at: int, now: int, locked_until: int = 0
) -> FailureState:
    """The state after one more wrong password. The count restarts once WINDOW seconds have passed
    since the first failure, or, after a lock, since the lock ended: so a persistent guesser's
    locks keep doubling (up to MAX_LOCK) instead of starting over every WINDOW seconds."""
    if failed_attempts == 0 or now - max(first_failed_at, locked_until) > WINDOW:
        failed_attempts, first_failed_at = 0, now
    count = failed_attempts + 1
    locked_until = 0
    if count >= FREE_FAILURES:
        locked_until = now + min(MAX_LOCK, BASE_LOCK * 2 ** (count - FREE_FAILURES))
    return FailureState(count, first_failed_at, locked_until)


def counting(state: FailureState, now: int) -> int:
    """The failures that still count: none once WINDOW seconds have passed since the first one
    (or since the lock ended), as `after_failure` restarts the count."""
    if state.failed_attempts == 0 or now - max(state.first_failed_at, state.locked_until) > WINDOW:
        return 0
    return state.failed_attempts


def slots(state: FailureState, now: int) -> int:
    """How many passwords may be checked at once (in flight) from this state, when not locked:
    the failures left before the lock, and one at a time once a lock has passed."""
    return max(1, FREE_FAILURES - counting(state, now))


def forget_after(now: int) -> int:
    """When a state written now stops mattering (the stand-in item's TTL)."""
    return now + MAX_LOCK + WINDOW + 60
