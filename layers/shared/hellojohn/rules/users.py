"""Admin operations on a tenant's users (secret-key callers), and the PATCH both callers share.

Concurrency (docs/ARCHITECTURE.md, "Every write is conditional"): a write conditions only on what
must not change underneath it. A write that reads first (the metadata merge, an email change)
and finds what it read moved retries on a fresh read when no If-Match was sent
(`last_writer_wins`): the caller asked for last-writer-wins, not for a 409. With If-Match the
version is the condition: one writer wins, the others get 412. A write that would change nothing
is no write (`changes.unchanged`): the user is answered as it is, with its ETag.
"""

import random
import time
from collections.abc import Callable
from typing import Any

from hellojohn import cursors, errors, ids, throttle
from hellojohn.errors import FieldIssue
from hellojohn.fields import check_international, check_metadata, email_key
from hellojohn.models import CreateUser, DisableUser, SetPassword
from hellojohn.records import TEMPORARY_PASSWORD, Tenant, User
from hellojohn.rules import changes, mergepatch, passwords
from hellojohn.store import users as store
from hellojohn.timeutil import DAY, HOUR
from hellojohn.timeutil import now as _now

MAILS_PER_HOUR = 5  # verification emails per user, and per target address, in a clock hour


def get(tenant: Tenant, uid: str) -> User:
    user = store.get(tenant.id, uid) if ids.is_id(uid, "usr") else None
    if user is None:
        raise errors.user_not_found()
    return user


def create(tenant: Tenant, body: CreateUser) -> User:
    check_international(body.email, tenant.allow_international_emails)
    if body.role is not None and body.role not in tenant.roles:
        raise errors.validation_failed([FieldIssue("role", f"must be one of: {', '.join(tenant.roles)}")])
    password_hash = None
    if body.password is not None:
        reason = passwords.weakness(body.password, tenant.password_policy, body.email)
        if reason:
            raise errors.password_too_weak(reason)
        password_hash = passwords.hash_password(body.password)
    now = _now()
    user = User(
        id=ids.new_id("usr"),
        tenant_id=tenant.id,
        email=body.email,
        email_verified=body.email_verified,
        phone_number=body.phone_number,
        name=body.name,
        avatar_url=body.avatar_url,
        role=body.role or tenant.default_role,
        public_metadata=body.public_metadata or {},
        private_metadata=body.private_metadata or {},
        created_at=now,
        updated_at=now,
        password_hash=password_hash,
    )
    try:
        store.create(user)
    except store.ClaimTaken:
        raise errors.email_taken() from None
    return user


def list_users(
    tenant: Tenant, limit: int, cursor: str | None, email: str | None
) -> tuple[list[User], str | None]:
    """A page of users, oldest first; `email` is an exact (case-insensitive) match."""
    if email is not None:
        uid = store.id_for_email(tenant.id, email_key(email))
        found = store.get(tenant.id, uid) if uid else None
        return ([found] if found else []), None
    uids, has_more = store.list_ids(tenant.id, limit, cursors.decode(cursor, "usr") if cursor else None)
    users = store.get_many(tenant.id, uids)
    return users, (cursors.encode(uids[-1]) if has_more and uids else None)


def refusal(
    exc: store.ConditionFailed, expected_version: int | None, session_id: str | None
) -> errors.ApiError:
    """Why a conditional write did not apply, from the item as it was."""
    current = exc.current
    if current is None and exc.reasons:
        return errors.conflict()
    if current is None or current.gone(_now()):  # no such user, or past its purge
        return errors.session_revoked() if session_id else errors.user_not_found()
    if session_id and session_id not in current.sessions:
        return errors.session_revoked()
    if current.deletion_requested_at is not None:  # the guard of every write (store.users.Update)
        return errors.user_pending_deletion()
    if expected_version is not None and current.version != expected_version:
        return errors.precondition_failed()
    return errors.conflict()


def pending_deletion_refused(user: User) -> None:
    """A write that reads first refuses a user pending deletion before it computes anything."""
    if user.deletion_requested_at is not None:
        raise errors.user_pending_deletion()


def _settled(
    exc: store.ConditionFailed, values: dict[str, Any], expected_version: int | None, session_id: str | None
) -> User:
    """A refused write of `values`: the user as it is when the write would have changed nothing
    (every guard held: the store's `changes_only` condition refused it), else why it was refused."""
    err = refusal(exc, expected_version, session_id)
    if exc.current is not None and err.code == "conflict" and changes.unchanged(exc.current, values):
        return exc.current
    raise err


RACE_ATTEMPTS = 48
"""Attempts of a read-then-write without If-Match. An attempt loses only when another write of the
same user, changing what it read, commits between its read and its write; one request's attempts
do not overlap, so each such commit defeats at most one of them: N writers racing on one user make
at most N attempts each (30 parallel merges: at most 30). 48 leaves room for other traffic on the
same user, and the backoff (below) keeps the worst case under 2.5 s of sleep in a 10 s function."""
BACKOFF_S = 0.005
BACKOFF_CAP_S = 0.05


class Raced(Exception):
    """What the write read moved before it wrote, and no If-Match was sent: read and write again."""


def last_writer_wins[T](attempt: Callable[[], T]) -> T:
    """`attempt` (a read, then a conditional write) until it is not raced: full-jitter backoff
    between attempts, so racing writers spread out. The one retry of every user write that reads
    first; an attempt given If-Match raises 412 itself, never `Raced`."""
    for n in range(RACE_ATTEMPTS):
        try:
            return attempt()
        except Raced:
            time.sleep(random.uniform(0, min(BACKOFF_CAP_S, BACKOFF_S * 2**n)))  # noqa: S311 - jitter, not a secret
    raise errors.conflict()


def _raced(exc: store.ConditionFailed, read_version: int, session_id: str | None) -> bool:
    """The write lost a race (the user moved on since it was read), not a guard: retry it."""
    current = exc.current
    if current is None:
        return "TransactionConflict" in exc.reasons  # another transaction on the item was in flight
    if session_id and session_id not in current.sessions:
        return False
    return current.version != read_version


def patch(
    tenant: Tenant,
    uid: str,
    sent: dict[str, Any],
    expected_version: int | None,
    session_id: str | None = None,
) -> User:
    """Change only the fields sent. One UpdateItem, or a read and a transaction when the email moves."""
    plan = changes.plan(tenant, sent)
    if not ids.is_id(uid, "usr"):
        raise errors.user_not_found()
    if plan.touches_email:
        return last_writer_wins(lambda: _patch_with_email(tenant, uid, plan, expected_version, session_id))
    if not plan.values:  # nothing to change: answer with the user as it is, checks included
        user = get(tenant, uid)
        if session_id and session_id not in user.sessions:
            raise errors.session_revoked()
        pending_deletion_refused(user)
        if expected_version is not None and user.version != expected_version:
            raise errors.precondition_failed()
        return user
    guards: list[store.Condition] = []
    if expected_version is not None:
        guards.append(store.version_is(expected_version))
    if session_id:
        guards.append(store.session_active(session_id))
    # One UpdateItem, conditioned on If-Match alone (no read: nothing read can move underneath);
    # refused by the store when it would change nothing, and then answered with the user as it is.
    try:
        return store.update(tenant.id, uid, store.changes_to_update(plan.values, guards), _now())
    except store.ConditionFailed as exc:
        return _settled(exc, plan.values, expected_version, session_id)


def _patch_with_email(
    tenant: Tenant, uid: str, plan: changes.Plan, expected_version: int | None, session_id: str | None
) -> User:
    """One attempt (`last_writer_wins`): read, then one transaction conditioned on the version read
    (the claims to move, the pending change and the mail count all come from it)."""
    user = store.get(tenant.id, uid)
    if user is None:
        raise errors.session_revoked() if session_id else errors.user_not_found()
    if session_id and session_id not in user.sessions:
        raise errors.session_revoked()
    pending_deletion_refused(user)
    if expected_version is not None and user.version != expected_version:
        raise errors.precondition_failed()
    now = _now()
    email_vals, put_key, delete_key = changes.email_values(user, plan, now)
    values = {**plan.values, **email_vals}
    if changes.unchanged(user, values):  # the address it already has, nothing pending: no write
        return user
    claims = store.ClaimMove(tenant.id, uid, put_key=put_key, delete_key=delete_key)
    extra: list[Any] = []
    if plan.email_pending and "pending_email" in email_vals:
        claims.check_key = email_key(plan.email_pending)
    if email_vals.get("pending_email"):  # a verification email will be sent: count it
        values.update(_count_mail(user, now))
        target = email_key(email_vals["pending_email"])
        extra.append(store.count_mail_to(tenant.id, target, now // HOUR, MAILS_PER_HOUR))
    guards = [store.version_is(user.version)]
    if session_id:
        guards.append(store.session_active(session_id))
    try:
        store.transact(tenant.id, uid, store.changes_to_update(values, guards), claims, now, extra=extra)
    except store.ClaimTaken:
        raise errors.email_taken() from None
    except store.ConditionFailed as exc:
        if extra and exc.current is None and exc.reasons[-1:] == ["ConditionalCheckFailed"]:
            raise _mail_refused(now) from None  # the address had its emails this hour
        if expected_version is None and _raced(exc, user.version, session_id):
            raise Raced from None
        raise refusal(exc, expected_version, session_id) from None
    return changes.applied(user, values, now)


def _mail_refused(now: int) -> errors.ApiError:
    return errors.too_many_attempts(HOUR - now % HOUR)


def _count_mail(user: User, now: int) -> dict[str, Any]:
    """One more verification email for this user this hour, or 429 (nothing written or sent):
    a signed-in user could otherwise mail any address without limit."""
    hour = now // HOUR
    sent = user.mail_count if user.mail_hour == hour else 0
    if sent >= MAILS_PER_HOUR:
        raise _mail_refused(now)
    return {"mail_hour": hour, "mail_count": sent + 1}


def set_password(tenant: Tenant, uid: str, body: SetPassword, expected_version: int | None) -> User:
    """Set without the current one; the email check is part of the write's condition. Clears
    the guess count and any lock: the admin has given the user a password to sign in with.
    `temporary`: the user must change it (the gate in `hellojohn.edge.auth`) within the tenant's
    `temporary_password_days`; a password that is not temporary lifts that requirement.

    The current password may not be set again (422, `passwords.MUST_DIFFER`): the user is read and
    the new password verified against the stored Argon2id hash (one GetItem, one verification,
    ~20 ms), and the write is conditioned on that hash, so a password changed meanwhile is judged
    again (against the hash the failed write returns) rather than overwritten unjudged."""
    reason = passwords.weakness(body.password, tenant.password_policy, None)
    if reason:
        raise errors.password_too_weak(reason)
    values = _set_password_values(tenant, body)
    user = get(tenant, uid)
    pending_deletion_refused(user)
    if expected_version is not None and user.version != expected_version:
        raise errors.precondition_failed()
    current_hash = user.password_hash
    for _ in range(PASSWORD_SET_ATTEMPTS):
        if current_hash is not None and passwords.verify(current_hash, body.password):
            raise errors.password_too_weak(passwords.MUST_DIFFER)
        guards = [store.password_hash_is(current_hash)]
        if expected_version is not None:
            guards.append(store.version_is(expected_version))
        if tenant.password_policy.reject_email:
            guards.append(store.email_key_is_not(email_key(body.password)))
        try:
            return store.update(tenant.id, uid, store.changes_to_update(values, guards), _now())
        except store.ConditionFailed as exc:
            current = exc.current
            if (
                current is None
                or current.deletion_requested_at is not None
                or (expected_version is not None and current.version != expected_version)
            ):
                raise refusal(exc, expected_version, None) from None
            if current.password_hash != current_hash:  # set meanwhile: judged against that one
                current_hash = current.password_hash
                continue
            raise errors.password_too_weak("Password must not be the email address") from None
    raise errors.conflict()


PASSWORD_SET_ATTEMPTS = 10
"""Admin set-passwords of one user racing without If-Match: each lost write is judged again
against the hash that won (returned by the failed write: no re-read), so all of them apply."""


def _set_password_values(tenant: Tenant, body: SetPassword) -> dict[str, Any]:
    values: dict[str, Any] = {"password_hash": passwords.hash_password(body.password)}
    values.update(dict.fromkeys(throttle.STATE))  # None: removed; the new password is not locked out
    if body.temporary:
        # Every session ends in the same write: the access-token gate reads the `pcr` claim only,
        # so no token issued before the password became temporary may stay live (docs/SECURITY.md).
        values["password_change_required"] = True
        values["temporary_password_expires_at"] = _now() + tenant.temporary_password_days * DAY
        values["sessions"] = {}
    else:
        values.update(dict.fromkeys(TEMPORARY_PASSWORD))
    if body.sign_out_all_sessions:
        values["sessions"] = {}
    return values


def set_disabled(
    tenant: Tenant, uid: str, disabled: bool, body: DisableUser | None, expected_version: int | None
) -> User:
    now = _now()
    # when it was disabled: kept by a second disable (which, sessions aside, changes nothing)
    values: dict[str, Any] = {"disabled": disabled, "disabled_at": store.IfAbsent(now) if disabled else None}
    if disabled and body is not None and body.revoke_sessions:
        values["sessions"] = {}
    guards = [store.version_is(expected_version)] if expected_version is not None else []
    return _write(tenant, uid, values, guards, expected_version)


METADATA_FIELDS = ("public_metadata", "private_metadata")


def merge_metadata(
    tenant: Tenant, uid: str, patches: dict[str, dict[str, Any] | None], expected_version: int | None
) -> User:
    """RFC 7386 merge of the metadata fields sent, checked (8 KB) on the result.

    A read and an UpdateItem conditioned on the merged fields being as read (not on the version:
    a concurrent PATCH of the name takes nothing from a merge): a concurrent merge of the same
    field makes the write fail, and (no If-Match sent) the merge is redone on the fresh item
    (`last_writer_wins`), so merges of different keys are all kept. With If-Match, a stale
    version is 412, as PATCH answers. An empty merge, or one that sets what is there, is no write."""
    if not patches or any(name not in METADATA_FIELDS for name in patches):
        raise errors.validation_failed(
            [FieldIssue("body", "send public_metadata and/or private_metadata")], "Nothing to merge"
        )
    if not ids.is_id(uid, "usr"):
        raise errors.user_not_found()
    return last_writer_wins(lambda: _merge_once(tenant, uid, patches, expected_version))


def _merge_once(
    tenant: Tenant, uid: str, patches: dict[str, dict[str, Any] | None], expected_version: int | None
) -> User:
    user = store.get(tenant.id, uid)
    if user is None:
        raise errors.user_not_found()
    pending_deletion_refused(user)
    if expected_version is not None and user.version != expected_version:
        raise errors.precondition_failed()
    values: dict[str, Any] = {}
    issues: list[FieldIssue] = []
    for name, patch in patches.items():
        merged = mergepatch.merge_object(getattr(user, name), patch)
        try:
            values[name] = check_metadata(merged)
        except ValueError as exc:  # PydanticCustomError: too large after the merge
            issues.append(FieldIssue(name, str(exc)))
    if issues:
        raise errors.validation_failed(issues)
    if changes.unchanged(user, values):
        return user
    guards = [store.metadata_is(name, getattr(user, name)) for name in values]
    if expected_version is not None:
        guards.append(store.version_is(expected_version))
    try:
        return store.update(tenant.id, uid, store.changes_to_update(values, guards), _now())
    except store.ConditionFailed as exc:
        current = exc.current
        if current is None or current.deletion_requested_at is not None:
            raise refusal(exc, expected_version, None) from None
        if expected_version is not None:
            raise errors.precondition_failed() from None
        if any(getattr(current, name) != getattr(user, name) for name in values):
            raise Raced from None
        raise errors.conflict() from None


def unlock(tenant: Tenant, uid: str, expected_version: int | None) -> User:
    """Clear the wrong-password lock: one UpdateItem REMOVING the counters (absent = never counted)."""
    guards = [store.version_is(expected_version)] if expected_version is not None else []
    return _write(tenant, uid, dict.fromkeys(throttle.COUNTERS), guards, expected_version)


def _write(
    tenant: Tenant,
    uid: str,
    values: dict[str, Any],
    guards: list[store.Condition],
    expected_version: int | None,
) -> User:
    """One UpdateItem of `values`, conditioned on `guards` only (nothing was read): no race to
    lose without If-Match; a write that would change nothing answers the user as it is."""
    if not ids.is_id(uid, "usr"):
        raise errors.user_not_found()
    try:
        return store.update(tenant.id, uid, store.changes_to_update(values, guards), _now())
    except store.ConditionFailed as exc:
        return _settled(exc, values, expected_version, None)
