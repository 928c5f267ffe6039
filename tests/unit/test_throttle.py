"""hellojohn.throttle: 5 free failures in 15 minutes, then a lock doubling from 60 s up to an hour."""

from hellojohn import throttle
from hellojohn.throttle import BASE_LOCK, FREE_FAILURES, MAX_LOCK, WINDOW

T0 = 1_800_000_000


def fail(times: int, start: int = T0, every: int = 1) -> throttle.FailureState:
    state = throttle.FailureState(0, 0, 0)
    for i in range(times):
        state = throttle.after_failure(state.failed_attempts, state.first_failed_at, start + i * every)
    return state


def test_free_failures_do_not_lock() -> None:
    state = fail(FREE_FAILURES - 1)
    assert state.failed_attempts == FREE_FAILURES - 1
    assert state.first_failed_at == T0
    assert state.locked_until == 0


def test_the_fifth_failure_locks_for_a_minute() -> None:
    state = fail(FREE_FAILURES)
    now = T0 + FREE_FAILURES - 1
    assert state.locked_until == now + BASE_LOCK
    assert throttle.retry_after(state.locked_until, now) == BASE_LOCK


def test_each_further_failure_doubles_the_lock_up_to_an_hour() -> None:
    locks = []
    for extra in range(10):
        n = FREE_FAILURES + extra
        state = fail(n)
        locks.append(state.locked_until - (T0 + n - 1))
    assert locks[:4] == [BASE_LOCK, 2 * BASE_LOCK, 4 * BASE_LOCK, 8 * BASE_LOCK]
    assert max(locks) == MAX_LOCK
    assert locks == sorted(locks)


def test_failures_outside_the_window_start_a_new_count() -> None:
    state = fail(FREE_FAILURES - 1)
    later = T0 + WINDOW + 10
    state = throttle.after_failure(state.failed_attempts, state.first_failed_at, later)
    assert (state.failed_attempts, state.first_failed_at, state.locked_until) == (1, later, 0)


def test_failures_spread_inside_the_window_still_count() -> None:
    state = fail(FREE_FAILURES, every=WINDOW // FREE_FAILURES - 1)
    assert state.locked_until > 0


def test_retry_after_is_never_negative() -> None:
    assert throttle.retry_after(0, T0) == 0
    assert throttle.retry_after(T0 - 5, T0) == 0
    assert throttle.retry_after(T0 + 5, T0) == 5


def test_slots_are_the_failures_left_and_one_after_a_lock() -> None:
    """How many passwords may be checked at once: 5 with no failure, 5 - n with n young ones,
    5 again once the window passed, and one at a time once a lock has passed."""
    from hellojohn.throttle import WINDOW, FailureState, slots

    now = 10_000_000
    assert slots(FailureState(0, 0, 0), now) == 5
    assert [slots(FailureState(n, now - 60, 0), now) for n in range(1, 5)] == [4, 3, 2, 1]
    assert slots(FailureState(4, now - WINDOW - 1, 0), now) == 5  # the count restarts
    assert slots(FailureState(5, now - 120, now - 1), now) == 1  # the lock passed: one at a time
    assert slots(FailureState(7, now - 3000, now - WINDOW - 1), now) == 5  # long after it
