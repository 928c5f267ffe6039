"""A signed-in user's own account, and the sign-in / refresh / sign-out flows.

Revocation is decided here, in the request's own read or conditional write: a session is live
while its id is in the user item's `sessions` map. Revoking removes it; nothing is cached.
"""

import contextlib
import functools
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from hellojohn import errors, ids, signals, throttle
from hellojohn.config import settings
from hellojohn.fields import email_key
from hellojohn.models import ChangePassword, Reauthenticate, Session, SignIn
from hellojohn.records import TEMPORARY_PASSWORD, Device, Tenant, User
from hellojohn.rules import changes, opaque, passwords, tokens
from hellojohn.rules.tokens import AccessClaims
from hellojohn.rules.users import patch, refusal
from hellojohn.store import guesses, keys
from hellojohn.store import sessions as session_store
from hellojohn.store import users as store
from hellojohn.timeutil import now as _now
from hellojohn.timeutil import rfc3339


@dataclass(frozen=True)
class SignedIn:
    user: User
    session: Session


def me(claims: AccessClaims) -> User:
    """The signed-in user, if the session is still live (one GetItem)."""
    user = store.get(claims.tenant_id, claims.user_id)
    if user is None or claims.session_id not in user.sessions:
        raise errors.session_revoked()
    return user


def update_me(
    tenant: Tenant, claims: AccessClaims, sent: dict[str, Any], expected_version: int | None
) -> User:
    return patch(tenant, claims.user_id, sent, expected_version, session_id=claims.session_id)


WRONG_CURRENT_PASSWORD = "The current password is incorrect"  # the caller typed no email: say so


def _failure(reservation: guesses.Reservation, now: int, message: str | None = None) -> errors.ApiError:
    """The answer to a wrong password, once its reservation is counted as a failure: 401 (with
    `message`, else sign-in's "Invalid email or password"), or 429 when it set the lock."""
    wrong = errors.invalid_credentials(message) if message else errors.invalid_credentials()
    try:
        state = guesses.fail(reservation, now)
    except guesses.Contended:  # its mark stays in flight and counts as a failure once stale
        return wrong
    if state.locked_until:
        return errors.too_many_attempts(throttle.retry_after(state.locked_until, now))
    return wrong


def _reserve(
    key: dict[str, Any], now: int, must_exist: bool, session_id: str | None = None
) -> guesses.Reservation:
    """Admit the guess before the password is checked (hellojohn.store.guesses)."""
    conditions = (store.session_active(session_id),) if session_id else ()
    try:
        return guesses.reserve(
            key,
            now,
            must_exist,
            conditions,
            usable=lambda item: item is not None and session_id in (item.get("sessions") or {}),
        )
    except guesses.Locked as exc:
        raise errors.too_many_attempts(exc.retry_after) from None
    except guesses.Busy:
        raise errors.too_many_attempts(1) from None
    except guesses.Gone:
        raise errors.session_revoked() if session_id else errors.invalid_credentials() from None
    except guesses.Contended:
        raise errors.service_unavailable() from None


@contextlib.contextmanager
def _released_if_refused(user: User, now: int) -> Iterator[None]:
    """The password was right but the request is refused after all: the guess it reserved is no
    failure, so the count is cleared (as a success clears it)."""
    try:
        yield
    except errors.ApiError:
        update = store.Update(remove=list(throttle.STATE), touch=False, pending_deletion_ok=True)
        with contextlib.suppress(store.ConditionFailed):
            store.update(user.tenant_id, user.id, update, now)
        raise


def change_password(
    tenant: Tenant, claims: AccessClaims, body: ChangePassword, expected_version: int | None
) -> User:
    """Reserve the guess (one conditional write, which reads the user), check the current password
    (Argon2id), apply the policy, write conditionally: two round trips."""
    now = _now()
    key = keys.user(tenant.id, claims.user_id)
    reservation = _reserve(key, now, must_exist=True, session_id=claims.session_id)
    user = User.from_item(reservation.item)
    if not passwords.verify(user.password_hash, body.current_password):
        raise _failure(reservation, now, WRONG_CURRENT_PASSWORD)
    with _released_if_refused(user, now):
        _refuse_expired_temporary(user, now)
        return _change(tenant, claims, user, body, expected_version, now)


WRONG_PASSWORD = "The password is incorrect"


def reauthenticate(tenant: Tenant, claims: AccessClaims, body: Reauthenticate) -> Session:
    """A fresh proof of the password in this session (RFC 9470's step-up): the same session with a
    new `auth_time` and a rotated refresh token. The guess is reserved and counted exactly as
    sign-in's (`_reserve`, `_failure`: the same lockout), so a stolen access token cannot guess the
    password faster than the sign-in form. Two round trips: the reservation (which reads the user)
    and one transaction (the guess count cleared on the user, the session item's new hash and
    `auth_time`), conditioned on the session live, the user enabled, the password still the one
    checked."""
    now = _now()
    key = keys.user(tenant.id, claims.user_id)
    reservation = _reserve(key, now, must_exist=True, session_id=claims.session_id)
    user = User.from_item(reservation.item)
    if not passwords.verify(user.password_hash, body.password):
        raise _failure(reservation, now, WRONG_PASSWORD)
    with _released_if_refused(user, now):
        if user.disabled:
            raise errors.user_disabled()
        _refuse_expired_temporary(user, now)
        return _reauthenticated(tenant, claims, user, now)


def _reauthenticated(tenant: Tenant, claims: AccessClaims, user: User, now: int) -> Session:
    sid = claims.session_id
    refresh_token, refresh_hash = opaque.new_refresh_token(user.id, sid)
    guards = [store.session_active(sid), store.not_disabled(), store.password_hash_is(user.password_hash)]
    update = store.Update(remove=list(throttle.STATE), conditions=guards, touch=False)
    proved = session_store.reverified(tenant.id, user.id, sid, now, refresh_hash)
    _transact(tenant.id, user.id, update, now, proved, _reauthentication_refused(sid))
    return _session(user, sid, refresh_token, int(user.sessions[sid]), now, auth_time=now)


def _reauthentication_refused(sid: str) -> Callable[[store.ConditionFailed], errors.ApiError]:
    """Why the reauthentication's write was refused, from the user as it was: the session revoked,
    the user disabled, or the password changed since it was checked (so it was not proved)."""

    def refuse(exc: store.ConditionFailed) -> errors.ApiError:
        current = exc.current
        if current is not None and sid in current.sessions and current.disabled:
            return errors.user_disabled()
        if current is not None and sid in current.sessions:
            return errors.invalid_credentials(WRONG_PASSWORD)
        return refusal(exc, None, sid)

    return refuse


def _change(
    tenant: Tenant,
    claims: AccessClaims,
    user: User,
    body: ChangePassword,
    expected_version: int | None,
    now: int,
) -> User:
    if passwords.same(body.new_password, body.current_password):  # the current one, just verified
        raise errors.password_too_weak(passwords.MUST_DIFFER, "new_password")
    reason = passwords.weakness(body.new_password, tenant.password_policy, user.email)
    if reason:
        raise errors.password_too_weak(reason, "new_password")
    if expected_version is not None and user.version != expected_version:
        raise errors.precondition_failed()
    values: dict[str, Any] = {"password_hash": passwords.hash_password(body.new_password)}
    values.update(dict.fromkeys(throttle.STATE))  # None: removed, the count is cleared
    values.update(dict.fromkeys(TEMPORARY_PASSWORD))  # a password of the user's own: the gate lifts
    if body.sign_out_other_sessions:
        values["sessions"] = {claims.session_id: user.sessions[claims.session_id]}
    # Conditioned on the password that was checked, not on the version: a concurrent sign-in
    # (which bumps the version) must not turn a correct password change into a 412.
    guards = [store.password_hash_is(user.password_hash), store.session_active(claims.session_id)]
    if expected_version is not None:
        guards.append(store.version_is(expected_version))
    # The current password is a proof: the session's auth_time moves in the same transaction, so
    # the session's next access token (from refresh) carries it.
    proved = session_store.reverified(tenant.id, user.id, claims.session_id, now)
    update = store.changes_to_update(values, guards)
    refuse = functools.partial(refusal, expected_version=expected_version, session_id=claims.session_id)
    _transact(tenant.id, user.id, update, now, proved, refuse)
    return changes.applied(user, values, now)


def _transact(
    tid: str,
    uid: str,
    update: store.Update,
    now: int,
    session_item: dict[str, Any],
    refuse: Callable[[store.ConditionFailed], errors.ApiError],
) -> None:
    """The user's write and its session item's in one transaction; DynamoDB's TransactionConflict
    (a refresh of the same session holds its item) is tried again, never answered as a refusal."""
    for attempt in range(CONFLICT_ATTEMPTS):
        try:
            store.transact(tid, uid, update, store.ClaimMove(tid, uid), now, extra=[session_item])
            return
        except store.ConditionFailed as exc:
            conflict = exc.current is None and "TransactionConflict" in exc.reasons
            if conflict and attempt + 1 < CONFLICT_ATTEMPTS:
                _pause(attempt)
                continue
            raise refuse(exc) from None
    raise errors.service_unavailable()  # not reached: the last attempt raised


def _refuse_expired_temporary(user: User, now: int) -> None:
    """The right password, but a temporary one past its days: 403, as a disabled user's is. Only
    the right password gets here, so a wrong one is answered as any wrong one (no enumeration),
    and the guess it reserved is released as a right password's is (the lockout is unchanged)."""
    expires = user.temporary_password_expires_at
    if user.password_change_required and expires is not None and expires <= now:
        raise errors.temporary_password_expired()


def _session(
    user: User, sid: str, refresh_token: str, refresh_expires: int, now: int, auth_time: int
) -> Session:
    access, access_expires = tokens.issue(
        user.id, user.tenant_id, sid, user.role, now, user.password_change_required, auth_time=auth_time
    )
    return Session(
        id=sid,
        access_token=access,
        refresh_token=refresh_token,
        access_token_expires_at=rfc3339(access_expires) or "",
        refresh_token_expires_at=rfc3339(refresh_expires) or "",
    )


def sign_in(tenant: Tenant, body: SignIn, device: Device | None = None) -> SignedIn:
    """Three round trips: the email claim, the guess reserved on the user (which reads it), and one
    transaction writing the session; a wrong password one more instead (its reservation counted
    as a failure). An unknown email makes the same calls (the guess is reserved and counted on a
    stand-in item) and the same Argon2 verification, and is answered the same way, no sooner
    than SIGN_IN_REFUSAL_FLOOR_MS after it began: what is left of a difference in time (a user's
    item is larger than a stand-in) is hidden under the floor."""
    started = time.monotonic()
    try:
        signed_in = _sign_in(tenant, body, device or Device())
    except errors.ApiError as err:
        signals.count(signals.SIGN_INS, outcome=err.code)
        if err.status in (401, 429):
            time.sleep(max(0.0, settings().sign_in_refusal_floor_ms / 1000 - (time.monotonic() - started)))
        raise
    signals.count(signals.SIGN_INS, outcome="success")
    return signed_in


def _sign_in(tenant: Tenant, body: SignIn, device: Device) -> SignedIn:
    key = email_key(body.email)
    uid = store.id_for_email(tenant.id, key)
    now = _now()
    target = keys.user(tenant.id, uid) if uid else keys.guesses(tenant.id, key)
    reservation = _reserve(target, now, must_exist=uid is not None)
    user = User.from_item(reservation.item) if uid else None
    if user is not None and user.gone(now):  # past its purge: as an address no user has
        user = None
    verdict = passwords.verify(user.password_hash if user else None, body.password)
    if user is None or not verdict:
        raise _failure(reservation, now)
    with _released_if_refused(user, now):
        return _open_session(tenant, user, reservation.item, body.password, verdict.rehash, now, device)


def _open_session(
    tenant: Tenant,
    user: User,
    held: dict[str, Any],
    password: str,
    rehash: bool,
    now: int,
    device: Device,
) -> SignedIn:
    """One transaction: the session in the user's map and its item, the guess count cleared.

    Conditioned only on what must not change underneath it (DESIGN.md), read from the item the
    reservation returned (`held`): the user is not disabled, the password is still the one checked,
    the address is still the one signed in with, and no revoke-all came in between. Not on the
    version: concurrent sign-ins (and refreshes, and profile edits) do not conflict with it, and
    it moves no version (a session is not the user's data: an admin's `If-Match` stays good)."""
    if user.deletion_requested_at is not None:
        raise errors.user_deleted()
    if user.disabled:
        raise errors.user_disabled()
    _refuse_expired_temporary(user, now)
    sid = ids.new_id("ses")
    refresh_token, refresh_hash = opaque.new_refresh_token(user.id, sid)
    expires = now + settings().refresh_token_ttl_seconds
    put = session_store.put_session(tenant.id, user.id, sid, refresh_hash, now, expires, device)
    checked = user.password_hash
    new_hash = passwords.hash_password(password) if rehash else None
    for attempt in range(CONFLICT_ATTEMPTS):
        update = session_update(user, held, checked, sid, expires, new_hash, now)
        try:
            store.transact_with(tenant.id, user.id, update, now, put)
            break
        except store.ConditionFailed as exc:
            current = exc.current
            if current is None and "TransactionConflict" in exc.reasons and attempt + 1 < CONFLICT_ATTEMPTS:
                _pause(attempt)
                continue
            if current is not None and current.deletion_requested_at is not None:
                raise errors.user_deleted() from None
            if current is not None and current.disabled:
                raise errors.user_disabled() from None
            if (
                current is not None
                and rehash
                and current.password_hash != checked
                and passwords.verify(current.password_hash, password)
            ):  # another sign-in's rehash of the same password: keep its hash, and go on
                checked, new_hash = current.password_hash, None
                continue
            raise errors.conflict("The user changed during sign-in; retry") from None
    else:
        raise errors.conflict("The user changed during sign-in; retry")
    signed_in = changes.applied(user, {"last_sign_in_at": now}, now, bump=False)
    return SignedIn(signed_in, _session(signed_in, sid, refresh_token, expires, now, auth_time=now))


def session_update(
    user: User,
    held: dict[str, Any],
    checked: str | None,
    sid: str,
    expires: int,
    new_hash: str | None,
    now: int,
) -> store.Update:
    guards = [
        store.not_disabled(),
        store.password_hash_is(checked),
        session_store.revoked_all_is(held.get(session_store.REVOKED_ALL)),
    ]
    if held.get("email_key"):
        guards.append(store.email_key_is(str(held["email_key"])))
    update = store.Update(set={"last_sign_in_at": now}, conditions=guards, touch=False)
    update.set[("sessions", sid)] = expires
    live = {s: exp for s, exp in user.sessions.items() if exp > now}
    for stale in [s for s in user.sessions if s not in live]:
        update.remove.append(("sessions", stale))
    for oldest in sorted(live, key=live.__getitem__)[
        : max(0, len(live) + 1 - settings().max_sessions_per_user)
    ]:
        update.remove.append(("sessions", oldest))
    update.remove.extend(throttle.STATE)  # the guess reserved for this sign-in, and any before it
    if new_hash is not None:
        update.set["password_hash"] = new_hash
    return update


def refresh(tenant: Tenant, token: str) -> Session:
    """Rotate: the presented refresh token is replaced by its successor (derived from it under the
    server's key: `opaque.successor_refresh_token`). The token rotated last, presented again within
    the reuse interval (a lost response, a retry, two tabs), is answered with the same successor
    and changes nothing; later, or when its successor cannot be the current one, it is theft and
    ends the session (RFC 9700). Two round trips; a retry one."""
    parsed = opaque.parse_refresh_token(token)
    if parsed is None:
        raise errors.invalid_token("The refresh token is invalid")
    for attempt in range(CONFLICT_ATTEMPTS):
        try:
            return _refresh(tenant, *parsed)
        except _Conflict:
            if attempt + 1 == CONFLICT_ATTEMPTS:
                raise errors.conflict("The session changed during refresh; retry") from None
            _pause(attempt)
    raise AssertionError("unreachable")


CONFLICT_ATTEMPTS = 4  # a transaction cancelled by DynamoDB's TransactionConflict, tried again


class _Conflict(Exception):
    """DynamoDB cancelled a transaction because another one held one of its items: try again."""


def _pause(attempt: int) -> None:
    time.sleep(random.uniform(0.005, 0.02 * (attempt + 1)))  # noqa: S311 (jitter, no secret)


def _refresh(tenant: Tenant, uid: str, sid: str, secret: str) -> Session:
    presented = opaque.digest(secret)
    user, session = session_store.get_user_and_session(tenant.id, uid, sid)
    now = _now()
    if user is None or user.gone(now):
        raise errors.invalid_token("The refresh token is invalid")
    if user.deletion_requested_at is not None:
        raise errors.user_deleted()
    if sid not in user.sessions:
        raise errors.session_revoked()
    if session is None:
        raise errors.session_revoked()
    rotated = not opaque.same(presented, session.refresh_hash)
    previous = session.previous_refresh_hash
    if rotated and not (previous and opaque.same(presented, previous)):
        raise errors.invalid_token("The refresh token is invalid")
    if session.expires_at <= now:
        raise errors.token_expired()
    if user.disabled:
        raise errors.user_disabled()
    new_token, new_hash = opaque.successor_refresh_token(uid, sid, secret, tokens.refresh_key())
    if rotated:
        return _reuse(user, session, new_token, new_hash, now)
    try:
        session_store.rotate(tenant.id, uid, sid, presented, new_hash, session.expires_at, now)
    except session_store.RotationLost as exc:
        if exc.reasons[1:2] == ["ConditionalCheckFailed"]:  # revoked, or the user disabled
            raise errors.session_revoked() from None
        if exc.reasons[:1] == ["ConditionalCheckFailed"] and exc.session is not None:
            return _reuse(user, exc.session, new_token, new_hash, now)  # a concurrent refresh won
        if "TransactionConflict" in exc.reasons:  # a concurrent transaction held an item
            raise _Conflict from None
        raise errors.session_revoked() from None
    return _session(user, sid, new_token, session.expires_at, now, session.auth_time)


def _reuse(user: User, session: session_store.SessionItem, token: str, token_hash: str, now: int) -> Session:
    """The token rotated last, presented again: within the reuse interval of that rotation, and
    when the current token is this one's successor, the same successor again; else theft."""
    rotated_at = session.last_refreshed_at
    interval = settings().refresh_token_reuse_interval_seconds
    if (
        rotated_at is not None
        and now - rotated_at < interval
        and opaque.same(token_hash, session.refresh_hash)
    ):
        return _session(user, session.id, token, session.expires_at, now, session.auth_time)
    _revoke(user, session.id, now)  # a stolen, already-rotated token: end the session (RFC 9700)
    raise errors.session_revoked()


def _revoke(user: User, sid: str, now: int) -> None:
    _end_session(user.tenant_id, user.id, sid, now)  # False: already gone, as wanted


def _end_session(
    tid: str, uid: str, sid: str, now: int, conditions: tuple[store.Condition, ...] = ()
) -> bool:
    """One transaction: the session out of the user's map and its item deleted. False when a
    condition failed (the session already gone); DynamoDB's TransactionConflict (another
    transaction on the user, e.g. a refresh) is retried, never answered as a refusal."""
    update = store.Update(remove=[("sessions", sid)], conditions=list(conditions), touch=False)
    for attempt in range(CONFLICT_ATTEMPTS):
        try:
            store.transact_with(tid, uid, update, now, session_store.delete_session(tid, uid, sid))
            return True
        except store.ConditionFailed as exc:
            if "TransactionConflict" not in exc.reasons:
                return False
            _pause(attempt)
    raise errors.service_unavailable()  # never answered as if the session had ended


def sign_out(claims: AccessClaims) -> None:
    """End this session: its access and refresh tokens fail from the next request on."""
    ended = _end_session(
        claims.tenant_id,
        claims.user_id,
        claims.session_id,
        _now(),
        (store.session_active(claims.session_id),),
    )
    if not ended:
        raise errors.session_revoked()
