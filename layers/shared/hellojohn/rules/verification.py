"""Email re-verification: a single-use token, created when the email is sent, stored as a hash.

The request that changes the email only records `pending_email` and a change id. The email
worker, fed by the table's stream, creates the token, stores its hash on the user (only if that
change is still the latest) and sends the link; so the plain token exists only in the email, and
a newer change supersedes an older link.
"""

from dataclasses import dataclass

from hellojohn import errors
from hellojohn.config import settings
from hellojohn.fields import email_key
from hellojohn.records import PENDING_FIELDS, User
from hellojohn.rules import opaque
from hellojohn.store import links
from hellojohn.store import users as store
from hellojohn.timeutil import now as _now


@dataclass(frozen=True)
class Issued:
    user: User
    to: str
    token: str
    expires_at: int


def issue(tid: str, uid: str, change_id: str) -> Issued | None:
    """A fresh token for the pending change, or None when the change is gone or superseded, or its
    email already went out (SQS and the stream deliver at least once: a duplicate job must not
    send a second link that would supersede the first)."""
    user = store.get(tid, uid)
    if user is None or user.pending_change_id != change_id or not user.pending_email:
        return None
    if user.pending_sent_at is not None:
        return None
    now = _now()
    token, token_hash = opaque.new_verification_token()
    expires = now + settings().verification_ttl_seconds
    update = store.Update(
        set={"pending_token_hash": token_hash, "pending_expires_at": expires},
        conditions=[store.pending_change_is(change_id)],
        touch=False,
    )
    link = links.Link(tid, uid, links.VERIFY, change_id, user.pending_email, user.pending_email, expires)
    try:
        store.transact_with(tid, uid, update, now, links.new_link(token_hash, link))
    except store.ConditionFailed:
        return None
    return Issued(user, user.pending_email, token, expires)


def mark_sent(tid: str, uid: str, change_id: str) -> None:
    """Record that the change's email was handed to SES; nothing when a newer change replaced it.
    If this write fails after SES accepted the email, the job is retried and sends a second link:
    at least once, never none."""
    update = store.Update(
        set={"pending_sent_at": _now()}, conditions=[store.pending_change_is(change_id)], touch=False
    )
    try:
        store.update(tid, uid, update, _now())
    except store.ConditionFailed:
        return


def _invalid() -> errors.ApiError:
    return errors.invalid_request("The verification token is invalid, already used, superseded or expired")


def verify(tid: str, token: str) -> User:
    """Switch to the pending email: the claim moves, the token is consumed, all in one transaction."""
    token_hash = opaque.digest(token)
    record = links.get_link(token_hash, links.VERIFY)
    now = _now()
    if record is None or not opaque.same(record.tenant_id, tid) or record.expires_at <= now:
        raise _invalid()
    user = store.get(tid, record.user_id)
    if (
        user is None
        or user.pending_token_hash is None
        or not opaque.same(user.pending_token_hash, token_hash)
        or user.pending_change_id != record.change_id
        or user.pending_email != record.email
    ):
        raise _invalid()
    values = {"email": record.email, "email_verified": True, **dict.fromkeys(PENDING_FIELDS)}
    # Conditioned on what it read and depends on (the pending change, the address whose claim it
    # deletes), not on the version: a concurrent PATCH of the name must not void the link.
    update = store.changes_to_update(
        values, [store.pending_token_is(token_hash), store.email_key_is(email_key(user.email))]
    )
    claims = store.ClaimMove(tid, user.id, put_key=email_key(record.email), delete_key=email_key(user.email))
    try:
        store.transact(tid, user.id, update, claims, now, extra=[links.spend_link(token_hash, links.VERIFY)])
    except store.ClaimTaken:
        raise errors.email_taken() from None
    except store.ConditionFailed:
        raise _invalid() from None
    from hellojohn.rules import changes

    return changes.applied(user, values, now)
