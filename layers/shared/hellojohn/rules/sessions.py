"""A user's sessions, listed and ended one by one: by an admin (secret key) or by the user.

A session is live while its id is in the user item's `sessions` map with an expiry still ahead,
and its item (`SES#…`, where it was created from and when) is in the same item collection.
Listing reads both with one Query; ending one is one conditional UpdateItem that removes the id
from the map (that is the revocation: hellojohn.rules.account checks the map on every use); the
session's item is deleted later by the stream → SQS → SessionCleanupFunction chain.
"""

import secrets
from typing import TYPE_CHECKING

from hellojohn import errors, ids
from hellojohn.records import User
from hellojohn.store import sessions as session_store
from hellojohn.store import users as store
from hellojohn.store.sessions import SessionItem
from hellojohn.timeutil import now as _now

if TYPE_CHECKING:  # the token module (and cryptography) only loads where tokens are used
    from hellojohn.rules.tokens import AccessClaims


def _live(live: dict[str, int], items: list[SessionItem], now: int) -> list[SessionItem]:
    """The items of sessions still in the map and not expired, newest first."""
    found = [s for s in items if live.get(s.id, 0) > now and s.expires_at > now]
    return sorted(found, key=lambda s: (s.created_at, s.id), reverse=True)


def list_for(tenant_id: str, uid: str) -> list[SessionItem]:
    """A user's live sessions (admin): one Query."""
    if not ids.is_id(uid, "usr"):
        raise errors.user_not_found()
    live, items = session_store.list_sessions(tenant_id, uid)
    if live is None:
        raise errors.user_not_found()
    return _live(live, items, _now())


def list_own(claims: "AccessClaims") -> list[SessionItem]:
    """The caller's live sessions: the same Query is the revocation check of the caller's own."""
    live, items = session_store.list_sessions(claims.tenant_id, claims.user_id)
    now = _now()
    if live is None or live.get(claims.session_id, 0) <= now:
        raise errors.session_revoked()
    return _live(live, items, now)


def _no_session() -> errors.ApiError:
    return errors.not_found("No such session")


def revoke(tenant_id: str, uid: str, sid: str) -> User:
    """End one session of a user (admin): one UpdateItem on the user's own key (the tenant is in
    it), conditioned on the session being in that user's map, so another user's or tenant's
    session id is 404, and nothing is written."""
    if not ids.is_id(uid, "usr"):
        raise errors.user_not_found()
    if not ids.is_id(sid, "ses"):
        raise _no_session()
    update = store.Update(
        remove=[("sessions", sid)], conditions=[store.session_active(sid, "revoked")], touch=False
    )
    try:
        return store.update(tenant_id, uid, update, _now())
    except store.ConditionFailed as exc:
        raise (errors.user_not_found() if exc.current is None else _no_session()) from None


def revoke_own(claims: "AccessClaims", sid: str) -> User:
    """End one of the caller's own sessions (the current one too: that is a sign-out). One
    UpdateItem on the caller's item, conditioned on both the caller's session and the named one
    being in its map: a session id of another user is not in this map (404)."""
    if not ids.is_id(sid, "ses"):
        raise _no_session()
    conditions = [store.session_active(claims.session_id), store.session_active(sid, "revoked")]
    update = store.Update(remove=[("sessions", sid)], conditions=conditions, touch=False)
    try:
        return store.update(claims.tenant_id, claims.user_id, update, _now())
    except store.ConditionFailed as exc:
        if exc.current is None or claims.session_id not in exc.current.sessions:
            raise errors.session_revoked() from None
        raise _no_session() from None


def revoke_all(tenant_id: str, uid: str) -> User:
    """End every session of a user (admin): one UpdateItem emptying the map, and writing a fresh
    revoke-all mark, so that a sign-in that read the user before cannot open a session after."""
    if not ids.is_id(uid, "usr"):
        raise errors.user_not_found()
    cleared = store.Update(set={"sessions": {}, session_store.REVOKED_ALL: secrets.token_hex(8)}, touch=False)
    try:
        return store.update(tenant_id, uid, cleared, _now())
    except store.ConditionFailed as exc:
        current = exc.current
        if current is not None and not current.gone(_now()) and current.deletion_requested_at is not None:
            raise errors.user_pending_deletion() from None  # its sessions ended with the deletion
        raise errors.user_not_found() from None
