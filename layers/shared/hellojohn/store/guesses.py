"""Reserving a password guess before the password is checked, and counting it when it was wrong
(`hellojohn.throttle`).

The state is on the item the guess is about: the user's item, or for an address no user has, a
stand-in item (`TNT#{tid}#GUESS#{sha256(key)}`, SK `GUESS`, removed by TTL), so that a known and an
unknown email cost the same calls. A reservation adds a mark to the item's guesses in flight (a
string set) in one conditional UpdateItem that returns the item: the first try assumes a clean or
young count (no read needed: the common case is one call); when its condition fails, DynamoDB
returns the item, and the next write is conditioned on exactly the failure state it read and on
the number of guesses in flight it allows. A wrong password then moves its mark into the count
(`fail`, conditioned the same way). No two guesses are admitted or counted from one state, so at
most FREE_FAILURES passwords are ever being checked or wrong before the lock.

When every slot is held by a guess in flight, the reservation waits (polling with the same
conditional write) for one to resolve, up to WAIT_SECONDS: a right password is not refused
because other right ones were being checked at the same moment.
"""

import random
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from hellojohn import signals, throttle
from hellojohn.store.client import dynamodb, error_code, failed_item, from_item, table_name, to_av
from hellojohn.store.users import Condition

MAX_TRIES = 10  # writes in a row lost to another guess's write (each loss means the state moved)
WAIT_SECONDS = 5.0  # the longest a guess waits for a slot; a right password's check takes ~0.1 s
FIRST_PAUSE, LONGEST_PAUSE = 0.02, 0.25  # between polls for a slot (jittered, doubling)
CONFLICT_RETRIES = 3  # DynamoDB's TransactionConflict: a transaction (a sign-in) held the item

NAMES = {
    "#pk": "PK",
    "#fa": "failed_attempts",
    "#ffa": "first_failed_at",
    "#lu": "locked_until",
    "#g": throttle.IN_FLIGHT,
    "#ttl": "ttl",
}


class Locked(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("locked")
        self.retry_after = retry_after


class Busy(Exception):
    """Every slot stayed held by guesses in flight for WAIT_SECONDS: refused unchecked (429)."""


class Gone(Exception):
    """The item must exist (a user) and does not, or fails the caller's own conditions."""

    def __init__(self, current: dict[str, Any] | None) -> None:
        super().__init__("condition failed")
        self.current = current


class Contended(Exception):
    """MAX_TRIES writes in a row lost to other guesses: answered as 503 (retry)."""


@dataclass(frozen=True)
class Reservation:
    """A guess admitted: its mark in the item's guesses in flight, and the item as written."""

    key: dict[str, Any]
    mark: str
    item: dict[str, Any]
    must_exist: bool


def reserved_at(mark: str) -> int:
    head = mark.partition(":")[0]
    return int(head) if head.isascii() and head.isdigit() else 0


def _write(
    key: dict[str, Any],
    update: str,
    conditions: list[str],
    values: dict[str, Any],
    names: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One conditional UpdateItem returning the item (ALL_NEW), or ClientError: on a failed
    condition it carries the item as it was (ALL_OLD). Only the names and values the expressions
    use are sent (DynamoDB refuses unused ones)."""
    condition = " AND ".join(conditions)
    used = set(re.findall(r"#\w+", f"{update} {condition}"))
    spoken = set(re.findall(r":\w+", f"{update} {condition}"))
    params: dict[str, Any] = {
        "TableName": table_name(),
        "Key": key,
        "UpdateExpression": update,
        "ConditionExpression": condition,
        "ExpressionAttributeNames": {k: v for k, v in {**NAMES, **(names or {})}.items() if k in used},
        "ExpressionAttributeValues": {k: to_av(v) for k, v in values.items() if k in spoken},
        "ReturnValues": "ALL_NEW",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    for attempt in range(CONFLICT_RETRIES + 1):
        try:
            out = dynamodb().update_item(**params)
            return from_item(out["Attributes"])
        except ClientError as exc:
            if error_code(exc) != "TransactionConflictException" or attempt == CONFLICT_RETRIES:
                raise
            time.sleep(random.uniform(0.005, 0.02 * (attempt + 1)))  # noqa: S311 (jitter, no secret)
    raise AssertionError("unreachable")


def _lost(exc: ClientError) -> dict[str, Any] | None:
    """The item a failed condition returned; anything but a failed condition is raised again."""
    if error_code(exc) != "ConditionalCheckFailedException":
        raise exc
    return failed_item(exc)


def _exact(seen: throttle.FailureState) -> tuple[list[str], dict[str, Any]]:
    """Conditions: the failure state is exactly `seen` (an absent counter reads as 0)."""
    parts = [
        f"(attribute_not_exists({n}) OR {n} = {v})" if old == 0 else f"{n} = {v}"
        for n, v, old in (
            ("#fa", ":seen_fa", seen.failed_attempts),
            ("#ffa", ":seen_ffa", seen.first_failed_at),
            ("#lu", ":seen_lu", seen.locked_until),
        )
    ]
    values = {
        ":seen_fa": seen.failed_attempts,
        ":seen_ffa": seen.first_failed_at,
        ":seen_lu": seen.locked_until,
    }
    return parts, values


def _fewer_than(placeholder: str) -> str:
    return f"(attribute_not_exists(#g) OR size(#g) < {placeholder})"


def _young(now: int) -> tuple[str, dict[str, Any]]:
    """The first try's condition, needing no read: no failure counted, or a young count, and
    fewer guesses in flight than the failures it leaves (one disjunct per count)."""
    free = throttle.FREE_FAILURES
    clauses = [f"((attribute_not_exists(#fa) OR #fa = :zero) AND {_fewer_than(':slots0')})"]
    values: dict[str, Any] = {":zero": 0, ":slots0": free, ":window_start": now - throttle.WINDOW}
    for k in range(1, free):
        clauses.append(f"(#fa = :fa{k} AND #ffa >= :window_start AND {_fewer_than(f':slots{k}')})")
        values[f":fa{k}"] = k
        values[f":slots{k}"] = free - k
    return "(" + " OR ".join(clauses) + ")", values


def _marks(item: dict[str, Any] | None) -> set[str]:
    return set((item or {}).get(throttle.IN_FLIGHT) or ())


def reserve(
    key: dict[str, Any],
    now: int,
    must_exist: bool,
    conditions: tuple[Condition, ...] = (),
    usable: Callable[[dict[str, Any] | None], bool] = lambda item: item is not None,
) -> Reservation:
    """Admit one guess on `key`'s item: its mark joins the guesses in flight.

    Raises Locked (nothing written: the guess is refused unchecked), Busy (every slot stayed
    held), Gone (the item does not exist, `must_exist`, or fails `conditions`, as `usable` tells
    from the item returned), or Contended."""
    mark = f"{now}:{secrets.token_hex(8)}"
    base = ["attribute_exists(#pk)"] if must_exist else []
    values: dict[str, Any] = {":mark": {mark}, ":ttl": throttle.forget_after(now)}
    names: dict[str, str] = {}
    for c in conditions:
        base.append(f"({c.expression})")
        names.update(c.names)
        values.update(c.values)
    add = "ADD #g :mark" + ("" if must_exist else " SET #ttl = :ttl")
    young, young_values = _young(now)
    try:
        item = _write(key, add, [*base, young], {**values, **young_values}, names)
        return Reservation(key, mark, item, must_exist)
    except ClientError as exc:
        current = _lost(exc)
    deadline = time.monotonic() + WAIT_SECONDS
    pause = FIRST_PAUSE
    losses = 0
    while losses < MAX_TRIES:
        if (must_exist and current is None) or (conditions and not usable(current)):
            raise Gone(current)
        seen = throttle.FailureState.of(current)
        marks = _marks(current)
        exact, exact_values = _exact(seen)
        stale = sorted(m for m in marks if reserved_at(m) <= now - throttle.HORIZON)
        if stale:  # guesses whose invocation ended unresolved: failures
            current = _count_stale(key, must_exist, seen, stale, now, exact, exact_values)
            losses += 1
            continue
        wait = throttle.retry_after(seen.locked_until, now)
        if wait:
            raise Locked(wait)
        free = throttle.slots(seen, now)
        busy = len(marks) >= free
        if busy:  # every slot is held: poll, with the write that takes a free one
            if time.monotonic() >= deadline:
                raise Busy
            time.sleep(random.uniform(pause / 2, pause))  # noqa: S311 (jitter, no secret)
            pause = min(pause * 2, LONGEST_PAUSE)
        try:
            item = _write(
                key,
                add,
                [*base, *exact, _fewer_than(":free")],
                {**values, **exact_values, ":free": free},
                names,
            )
            return Reservation(key, mark, item, must_exist)
        except ClientError as exc:
            current = _lost(exc)
            losses += 0 if busy else 1  # a poll that found every slot still held is no loss
    raise Contended


def _count_stale(
    key: dict[str, Any],
    must_exist: bool,
    seen: throttle.FailureState,
    stale: list[str],
    now: int,
    exact: list[str],
    exact_values: dict[str, Any],
) -> dict[str, Any] | None:
    """Count the stale reservations as failures, removing them: the item afterwards (or as it
    was, when another write got there first)."""
    state = seen
    for _ in stale:
        state = throttle.after_failure(state.failed_attempts, state.first_failed_at, now, state.locked_until)
    held = [f"contains(#g, :stale{i})" for i in range(len(stale))]
    values: dict[str, Any] = {f":stale{i}": m for i, m in enumerate(stale)}
    values.update(exact_values)
    values.update({":stale": set(stale), ":fa": state.failed_attempts, ":ffa": state.first_failed_at})
    values.update({":lu": state.locked_until, ":ttl": throttle.forget_after(now)})
    sets = "SET #fa = :fa, #ffa = :ffa, #lu = :lu" + ("" if must_exist else ", #ttl = :ttl")
    base = ["attribute_exists(#pk)"] if must_exist else []
    try:
        return _write(key, f"{sets} DELETE #g :stale", [*base, *exact, *held], values)
    except ClientError as exc:
        return _lost(exc)


def fail(reservation: Reservation, now: int) -> throttle.FailureState:
    """The password was wrong: its reservation becomes a failure (one conditional write from the
    state last seen, retried from the state returned). The state written, which may set the lock.
    Contended when it kept losing: the mark stays, and counts as a failure once stale."""
    current: dict[str, Any] | None = reservation.item
    base = ["attribute_exists(#pk)"] if reservation.must_exist else []
    for _ in range(MAX_TRIES):
        seen = throttle.FailureState.of(current)
        exact, exact_values = _exact(seen)
        state = throttle.after_failure(seen.failed_attempts, seen.first_failed_at, now, seen.locked_until)
        values: dict[str, Any] = {**exact_values, ":mark": {reservation.mark}, ":mark_s": reservation.mark}
        values.update({":fa": state.failed_attempts, ":ffa": state.first_failed_at})
        values.update({":lu": state.locked_until, ":ttl": throttle.forget_after(now)})
        update = "SET #fa = :fa, #ffa = :ffa, #lu = :lu" + ("" if reservation.must_exist else ", #ttl = :ttl")
        if reservation.mark in _marks(current):
            update += " DELETE #g :mark"
            held = "contains(#g, :mark_s)"
        else:  # a success (or an admin) cleared the reservations meanwhile: still a failure
            held = "(attribute_not_exists(#g) OR NOT contains(#g, :mark_s))"
        try:
            _write(reservation.key, update, [*base, *exact, held], values)
        except ClientError as exc:
            current = _lost(exc)
            if current is None and reservation.must_exist:
                return state  # the user is gone: nothing to count on
            continue
        if state.locked_until:  # this write set the lock
            signals.count(signals.LOCKOUTS, account="user" if reservation.must_exist else "unknown_email")
        return state
    raise Contended
