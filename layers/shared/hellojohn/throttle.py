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


def after_failure(failed_attempts: int, first_failed_at: int, now: int) -> FailureState:
    if failed_attempts == 0 or now - first_failed_at > WINDOW:
        failed_attempts, first_failed_at = 0, now
    count = failed_attempts + 1
    locked_until = 0
    if count >= FREE_FAILURES:
        locked_until = now + min(MAX_LOCK, BASE_LOCK * 2 ** (count - FREE_FAILURES))
    return FailureState(count, first_failed_at, locked_until)
