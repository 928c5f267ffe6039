"""Reserving a password guess before the password is checked (`hellojohn.throttle`).

One conditional UpdateItem counts the guess as a failure on the item that holds the state: the
user's item, or for an address no user has, a stand-in item (`TNT#{tid}#GUESS#{sha256(key)}`,
SK `GUESS`, removed by TTL), so that a known and an unknown email cost the same calls. The first
try assumes a clean or young count (no read needed: the common case is one call); when its
condition fails, DynamoDB returns the item, and the next write is conditioned on exactly the
state it read. No two guesses can both be counted from the same state, so the count is exact.
"""

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from hellojohn import signals, throttle
from hellojohn.store.client import dynamodb, error_code, failed_item, from_item, table_name, to_av
from hellojohn.store.users import Condition

MAX_TRIES = 10  # conditional writes that lost a race to another guess, retried from the item returned


class Locked(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("locked")
        self.retry_after = retry_after


class Gone(Exception):
    """The item must exist (a user) and does not, or fails the caller's own conditions."""

    def __init__(self, current: dict[str, Any] | None) -> None:
        super().__init__("condition failed")
        self.current = current


class Contended(Exception):
    """MAX_TRIES writes in a row lost to other guesses: answered as 503 (retry)."""


def _write(
    key: dict[str, Any], sets: list[str], condition: str, values: dict[str, Any], names: dict[str, str]
) -> dict[str, Any]:
    out = dynamodb().update_item(
        TableName=table_name(),
        Key=key,
        UpdateExpression="SET " + ", ".join(sets),
        ConditionExpression=condition,
        ExpressionAttributeNames=names,
        ExpressionAttributeValues={k: to_av(v) for k, v in values.items()},
        ReturnValues="ALL_NEW",
        ReturnValuesOnConditionCheckFailure="ALL_OLD",
    )
    return from_item(out["Attributes"])


def reserve(
    key: dict[str, Any],
    now: int,
    must_exist: bool,
    conditions: tuple[Condition, ...] = (),
    usable: Callable[[dict[str, Any] | None], bool] = lambda item: item is not None,
) -> tuple[dict[str, Any], throttle.FailureState]:
    """Count one guess on `key`'s item; (the item as written, the state written).

    Raises Locked (nothing written: the guess is refused unchecked), Gone (the item does not
    exist, `must_exist`, or fails `conditions`, as `usable` tells from the item returned), or
    Contended."""
    names = {"#fa": "failed_attempts", "#ffa": "first_failed_at", "#lu": "locked_until"}
    base = ["attribute_exists(PK)"] if must_exist else []
    values: dict[str, Any] = {}
    for c in conditions:
        base.append(f"({c.expression})")
        names.update(c.names)
        values.update(c.values)
    ttl: dict[str, Any] = {} if must_exist else {":ttl": throttle.forget_after(now)}
    if ttl:
        names["#ttl"] = "ttl"
    # first try: no failures yet, or a young count that this guess cannot lock
    young = "attribute_not_exists(#ffa) OR (#ffa >= :window_start AND #fa < :last_free AND #ffa > :zero)"
    sets = ["#fa = if_not_exists(#fa, :zero) + :one", "#ffa = if_not_exists(#ffa, :now)"]
    sets += ["#lu = :zero"] + (["#ttl = :ttl"] if ttl else [])
    first = {
        **values,
        **ttl,
        ":zero": 0,
        ":one": 1,
        ":now": now,
        ":window_start": now - throttle.WINDOW,
        ":last_free": throttle.FREE_FAILURES - 1,
    }
    try:
        item = _write(key, sets, " AND ".join([*base, f"({young})"]), first, names)
        return item, throttle.FailureState.of(item)
    except ClientError as exc:
        if error_code(exc) != "ConditionalCheckFailedException":
            raise
        current = failed_item(exc)
    for _ in range(MAX_TRIES):
        if (must_exist and current is None) or (conditions and not usable(current)):
            raise Gone(current)
        seen = throttle.FailureState.of(current)
        wait = throttle.retry_after(seen.locked_until, now)
        if wait:
            raise Locked(wait)
        state = throttle.after_failure(seen.failed_attempts, seen.first_failed_at, now, seen.locked_until)
        unchanged = [
            f"(attribute_not_exists({n}) OR {n} = {v})" if old == 0 else f"{n} = {v}"
            for n, v, old in (
                ("#fa", ":seen_fa", seen.failed_attempts),
                ("#ffa", ":seen_ffa", seen.first_failed_at),
                ("#lu", ":seen_lu", seen.locked_until),
            )
        ]
        exact = {
            **values,
            **ttl,
            ":seen_fa": seen.failed_attempts,
            ":seen_ffa": seen.first_failed_at,
            ":seen_lu": seen.locked_until,
            ":fa": state.failed_attempts,
            ":ffa": state.first_failed_at,
            ":lu": state.locked_until,
        }
        sets = ["#fa = :fa", "#ffa = :ffa", "#lu = :lu"] + (["#ttl = :ttl"] if ttl else [])
        try:
            written = _write(key, sets, " AND ".join(base + unchanged), exact, names)
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            current = failed_item(exc)
            continue
        if state.locked_until:  # this write set the lock
            signals.count(signals.LOCKOUTS, account="user" if must_exist else "unknown_email")
        return written, state
    raise Contended
