"""A signed-in user's own account, and the sign-in / refresh / sign-out flows.

Revocation is decided here, in the request's own read or conditional write: a session is live
while its id is in the user item's `sessions` map. Revoking removes it; nothing is cached.
"""

import contextlib
from dataclasses import dataclass
from typing import Any

from hellojohn import errors, ids, passwords, profile, secrets, throttle, tokens
from hellojohn.config import settings
from hellojohn.fields import email_key
from hellojohn.models import ChangePassword, Session, SignIn
from hellojohn.records import Tenant, User
from hellojohn.store import sessions as session_store
from hellojohn.store import users as store
from hellojohn.timeutil import now as _now
from hellojohn.timeutil import rfc3339
from hellojohn.tokens import AccessClaims
from hellojohn.users import patch, refusal

MAX_COUNT_ATTEMPTS = 10  # conditional writes of the failure count that lost a race, retried


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


def _locked(user: User, now: int) -> None:
    wait = throttle.retry_after(user.locked_until, now)
    if wait:
        raise errors.too_many_attempts(wait)


def _failures_unchanged(user: User) -> store.Condition:
    return store.Condition(
        "(attribute_not_exists(#fa) OR #fa = :fa) AND (attribute_not_exists(#ffa) OR #ffa = :ffa)",
        {"#fa": "failed_attempts", "#ffa": "first_failed_at"},
        {":fa": user.failed_attempts, ":ffa": user.first_failed_at},
    )


def _next(user: User, now: int) -> throttle.FailureState:
    return throttle.after_failure(user.failed_attempts, user.first_failed_at, now, user.locked_until)


def _record_failure(user: User, now: int) -> errors.ApiError:
    """Count a wrong password on the user's item; the answer is 401, or 429 once locked.

    The count is written on condition that it is still the one read, so a burst of parallel
    guesses is counted in full: a write that lost the race retries from the item it got back.
    """
    current: User | None = user
    state = _next(user, now)
    for _ in range(MAX_COUNT_ATTEMPTS):
        if current is None:
            break  # the user vanished meanwhile: nothing to count
        state = _next(current, now)
        update = store.Update(
            set={
                "failed_attempts": state.failed_attempts,
                "first_failed_at": state.first_failed_at,
                "locked_until": state.locked_until,
            },
            conditions=[_failures_unchanged(current)],
            touch=False,
        )
        try:
            store.update(user.tenant_id, user.id, update, now)
            break
        except store.ConditionFailed as exc:
            current = exc.current
    if state.locked_until:
        return errors.too_many_attempts(throttle.retry_after(state.locked_until, now))
    return errors.invalid_credentials()


def change_password(
    tenant: Tenant, claims: AccessClaims, body: ChangePassword, expected_version: int | None
) -> User:
    """Check the current password (Argon2id), apply the policy, write conditionally: two round trips."""
    user = me(claims)
    now = _now()
    _locked(user, now)
    if not passwords.verify(user.password_hash, body.current_password):
        raise _record_failure(user, now)
    reason = passwords.weakness(body.new_password, tenant.password_policy, user.email)
    if reason:
        raise errors.password_too_weak(reason, "new_password")
    if expected_version is not None and user.version != expected_version:
        raise errors.precondition_failed()
    values: dict[str, Any] = {"password_hash": passwords.hash_password(body.new_password)}
    if user.failed_attempts or user.locked_until:
        values.update(failed_attempts=0, first_failed_at=0, locked_until=0)
    if body.sign_out_other_sessions:
        values["sessions"] = {claims.session_id: user.sessions[claims.session_id]}
    # Conditioned on the password that was checked, not on the version: a concurrent sign-in
    # (which bumps the version) must not turn a correct password change into a 412.
    guards = [store.password_hash_is(user.password_hash), store.session_active(claims.session_id)]
    if expected_version is not None:
        guards.append(store.version_is(expected_version))
    try:
        return store.update(tenant.id, user.id, store.changes_to_update(values, guards), now)
    except store.ConditionFailed as exc:
        raise refusal(exc, expected_version, claims.session_id) from None


def _session(user: User, sid: str, refresh_token: str, refresh_expires: int, now: int) -> Session:
    access, access_expires = tokens.issue(user.id, user.tenant_id, sid, user.role, now)
    return Session(
        id=sid,
        access_token=access,
        refresh_token=refresh_token,
        access_token_expires_at=rfc3339(access_expires) or "",
        refresh_token_expires_at=rfc3339(refresh_expires) or "",
    )


def sign_in(tenant: Tenant, body: SignIn) -> SignedIn:
    """Three round trips: the email claim, the user, and one transaction writing the session."""
    uid = store.id_for_email(tenant.id, email_key(body.email))
    user = store.get(tenant.id, uid) if uid else None
    now = _now()
    if user is not None:
        _locked(user, now)
    if not passwords.verify(user.password_hash if user else None, body.password) or user is None:
        raise _record_failure(user, now) if user is not None else errors.invalid_credentials()
    if user.disabled:
        raise errors.user_disabled()
    sid = ids.new_id("ses")
    refresh_token, refresh_hash = secrets.new_refresh_token(user.id, sid)
    expires = now + settings().refresh_token_ttl_seconds
    live = {s: exp for s, exp in user.sessions.items() if exp > now}
    values: dict[str, Any] = {"last_sign_in_at": now}
    update = store.changes_to_update(values, [store.version_is(user.version), store.not_disabled()])
    update.set[("sessions", sid)] = expires
    for stale in [s for s in user.sessions if s not in live]:
        update.remove.append(("sessions", stale))
    for oldest in sorted(live, key=live.__getitem__)[
        : max(0, len(live) + 1 - settings().max_sessions_per_user)
    ]:
        update.remove.append(("sessions", oldest))
    if user.failed_attempts or user.locked_until:
        update.set.update(failed_attempts=0, first_failed_at=0, locked_until=0)
    if user.password_hash and passwords.needs_rehash(user.password_hash):
        update.set["password_hash"] = passwords.hash_password(body.password)
    put = session_store.put_session(tenant.id, user.id, sid, refresh_hash, now, expires)
    try:
        store.transact(tenant.id, user.id, update, store.ClaimMove(tenant.id, user.id), now, extra=[put])
    except store.ConditionFailed:
        raise errors.conflict("The user changed during sign-in; retry") from None
    signed_in = profile.applied(user, {"last_sign_in_at": now}, now)
    return SignedIn(signed_in, _session(signed_in, sid, refresh_token, expires, now))


def refresh(tenant: Tenant, token: str) -> Session:
    """Rotate: the presented refresh token dies, a new one is issued. Reuse of an old one revokes."""
    parsed = secrets.parse_refresh_token(token)
    if parsed is None:
        raise errors.invalid_token("The refresh token is invalid")
    uid, sid, presented = parsed
    user, session = session_store.get_user_and_session(tenant.id, uid, sid)
    now = _now()
    if user is None:
        raise errors.invalid_token("The refresh token is invalid")
    if sid not in user.sessions:
        raise errors.session_revoked()
    if session is None:
        raise errors.session_revoked()
    if not secrets.same(presented, session.refresh_hash):
        if session.previous_refresh_hash and secrets.same(presented, session.previous_refresh_hash):
            _revoke(user, sid, now)  # a stolen, already-rotated token: end the session (RFC 9700)
            raise errors.session_revoked()
        raise errors.invalid_token("The refresh token is invalid")
    if session.expires_at <= now:
        raise errors.token_expired()
    if user.disabled:
        raise errors.user_disabled()
    new_token, new_hash = secrets.new_refresh_token(uid, sid)
    try:
        session_store.rotate(tenant.id, uid, sid, presented, new_hash, session.expires_at)
    except session_store.RotationLost as exc:
        if exc.reasons[:1] == ["ConditionalCheckFailed"]:
            raise errors.invalid_token("The refresh token was already used") from None
        raise errors.session_revoked() from None
    return _session(user, sid, new_token, session.expires_at, now)


def _revoke(user: User, sid: str, now: int) -> None:
    update = store.Update(remove=[("sessions", sid)], touch=False)
    with contextlib.suppress(store.ConditionFailed):  # already gone
        store.transact(
            user.tenant_id,
            user.id,
            update,
            store.ClaimMove(user.tenant_id, user.id),
            now,
            extra=[session_store.delete_session(user.tenant_id, user.id, sid)],
        )


def sign_out(claims: AccessClaims) -> None:
    """End this session: its access and refresh tokens fail from the next request on."""
    now = _now()
    update = store.Update(
        remove=[("sessions", claims.session_id)],
        conditions=[store.session_active(claims.session_id)],
        touch=False,
    )
    try:
        store.transact(
            claims.tenant_id,
            claims.user_id,
            update,
            store.ClaimMove(claims.tenant_id, claims.user_id),
            now,
            extra=[session_store.delete_session(claims.tenant_id, claims.user_id, claims.session_id)],
        )
    except store.ConditionFailed:
        raise errors.session_revoked() from None
