"""Deleting a user, and restoring one within the tenant's grace period (docs/SECURITY.md).

A deletion is one transaction: on the user item `deletion_requested_at`, `purge_at` (now plus the
tenant's `deletion_grace_days`) and the table's TTL attribute at `purge_at`; the `sessions` map
emptied (every token is 401 `session_revoked` on its next use) and the pending email change
removed (its verification token deleted in the same transaction); the email claim marked with
the same `purge_at` and TTL. From then on every other write is refused (409
`user_pending_deletion`: the guard is in `store.users.Update`), and sign-in and refresh are 403
`user_deleted`. Past `purge_at` the user is gone everywhere (`User.gone`): reads answer 404 and
the address is free, before DynamoDB's TTL removes the items; that removal, on the stream, is the
purge of the rest (`hellojohn.rules.purge`).

With a grace of 0 days, or `?purge=now`, the deletion is followed at once by the deletion of the
user item and its claim (one transaction, `store.purge.delete_at_once`): the same REMOVE on the
stream, the same purge. A second deletion of a user pending deletion changes nothing and answers
the same (`purge_at` unchanged), unless it asks for the purge now.
"""

from typing import Any

from hellojohn import errors, ids
from hellojohn.fields import email_key
from hellojohn.records import PENDING_FIELDS, Tenant, User
from hellojohn.rules import changes
from hellojohn.rules.users import Raced, last_writer_wins, refusal
from hellojohn.store import purge as purge_store
from hellojohn.store import users as store
from hellojohn.timeutil import DAY
from hellojohn.timeutil import now as _now


def _pending() -> store.Condition:
    return store.Condition(f"attribute_exists(#{store.DELETION})", {f"#{store.DELETION}": store.DELETION})


def _not_pending() -> store.Condition:
    return store.Condition(f"attribute_not_exists(#{store.DELETION})", {f"#{store.DELETION}": store.DELETION})


def delete(
    tenant: Tenant,
    uid: str,
    expected_version: int | None,
    purge_now: bool = False,
    session_id: str | None = None,
) -> User | None:
    """The user pending deletion (with its `purge_at`), or None when it was purged at once.
    `session_id`: the user deleting themself (the write is conditioned on that session too)."""
    if not ids.is_id(uid, "usr"):
        raise errors.user_not_found()
    at_once = purge_now or tenant.deletion_grace_days == 0
    user = last_writer_wins(lambda: _request(tenant, uid, expected_version, at_once, session_id))
    if not at_once:
        return user
    try:
        purge_store.delete_at_once(tenant.id, uid, email_key(user.email))
    except purge_store.NotPending:
        raise errors.conflict("The user was restored meanwhile; send the deletion again") from None
    return None


def _request(
    tenant: Tenant, uid: str, expected_version: int | None, at_once: bool, session_id: str | None
) -> User:
    """One attempt: read, then the deletion's transaction conditioned on the version read."""
    user = store.get(tenant.id, uid)
    if user is None:
        raise errors.session_revoked() if session_id else errors.user_not_found()
    if session_id and session_id not in user.sessions:
        raise errors.session_revoked()
    if user.deletion_requested_at is not None:
        return user  # deleted already: the same answer, `purge_at` unchanged (or now purged)
    if expected_version is not None and user.version != expected_version:
        raise errors.precondition_failed()
    now = _now()
    purge_at = now if at_once else now + tenant.deletion_grace_days * DAY
    values: dict[str, Any] = {
        "deletion_requested_at": now,
        "purge_at": purge_at,
        "sessions": {},  # the revocation: every token fails on its next use
        **dict.fromkeys(PENDING_FIELDS),  # the pending email change dies, and its link
    }
    guards = [store.version_is(user.version), _not_pending()]
    if session_id:
        guards.append(store.session_active(session_id))
    update = store.changes_to_update(values, guards)
    update.set[purge_store.TTL] = purge_at
    update.pending_deletion_ok = True
    extra = [purge_store.claim_marked(tenant.id, email_key(user.email), uid, purge_at)]
    if user.pending_token_hash:
        extra.append(purge_store.verification_dropped(user.pending_token_hash))
    _commit(tenant, uid, update, extra, user, expected_version, session_id, now)
    return changes.applied(user, values, now)


def restore(tenant: Tenant, uid: str, expected_version: int | None) -> User:
    """The user back (deletion fields null, able to sign in again; its sessions stay revoked),
    while the grace period runs. A user not pending deletion is answered as it is; past the
    purge, 404."""
    if not ids.is_id(uid, "usr"):
        raise errors.user_not_found()
    return last_writer_wins(lambda: _restore(tenant, uid, expected_version))


def _restore(tenant: Tenant, uid: str, expected_version: int | None) -> User:
    user = store.get(tenant.id, uid)
    if user is None:
        raise errors.user_not_found()
    if expected_version is not None and user.version != expected_version:
        raise errors.precondition_failed()
    if user.deletion_requested_at is None:
        return user
    now = _now()
    values: dict[str, Any] = {"deletion_requested_at": None, "purge_at": None}
    guards = [
        store.version_is(user.version),
        _pending(),
        store.Condition("#purge_at > :now", {"#purge_at": "purge_at"}, {":now": now}),
    ]
    update = store.changes_to_update(values, guards)
    update.remove.append(purge_store.TTL)
    update.pending_deletion_ok = True
    extra = [purge_store.claim_unmarked(tenant.id, email_key(user.email), uid)]
    _commit(tenant, uid, update, extra, user, expected_version, None, now)
    return changes.applied(user, values, now)


def _commit(
    tenant: Tenant,
    uid: str,
    update: store.Update,
    extra: list[Any],
    user: User,
    expected_version: int | None,
    session_id: str | None,
    now: int,
) -> None:
    """The user's write and its claim's, in one transaction; a lost race read and tried again."""
    try:
        store.transact_with(tenant.id, uid, update, now, *extra)
    except store.ClaimTaken:  # the claim (marked or unmarked: `extra`) moved with the address
        raise Raced from None
    except store.ConditionFailed as exc:
        current = exc.current
        if current is None:
            if "TransactionConflict" in exc.reasons:
                raise Raced from None
            raise refusal(exc, expected_version, session_id) from None
        if current.gone(now):
            raise errors.user_not_found() from None
        if session_id and session_id not in current.sessions:
            raise errors.session_revoked() from None
        if expected_version is not None and current.version != expected_version:
            raise errors.precondition_failed() from None
        raise Raced from None  # the user moved since the read: judged again on a fresh read
