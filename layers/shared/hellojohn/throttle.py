"""Guess throttling, kept on the user's own item so the success path costs no extra round trip.

After FREE_FAILURES wrong passwords within WINDOW seconds the user is locked for BASE_LOCK
seconds, doubling with each further failure up to MAX_LOCK (Cognito's shape). While locked,
password attempts are refused with 429 and Retry-After without being checked; once the lock has
passed, a correct password works again and clears the count.
"""

from dataclasses import dataclass

FREE_FAILURES = 5
WINDOW = 15 * 60
BASE_LOCK = 60
MAX_LOCK = 60 * 60


@dataclass(frozen=True)
class FailureState:
    failed_attempts: int
    first_failed_at: int
    locked_until: int


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
