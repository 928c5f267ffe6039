"""Security notices (docs/NOTICES.md): an email change asked for, an email changed, a password changed.

The email worker sends them from the outbox's jobs (`adapters.jobs`), never the request that made
the change. The tenant's switches are read here, in the worker, so switching a notice off applies
to jobs already queued. Each notice's sending is recorded (a marker per change and kind), so a
redelivered job sends nothing; if that mark fails after SES accepted the email, the retry sends it
again: at least once, never none.

Two notices carry a link, a random token stored only as its SHA-256 (`store.notices`):
- `cancel` (48 h, like the verification link): clears the pending change it was sent for, while
  it is still the user's pending change;
- `restore` (7 days): puts the old address back, verified, revokes every session and clears any
  pending change, while the user's address is still the one it changed to and the link is still
  the user's live restore link (a newer email change supersedes it); refused with 409
  `email_taken`, changing nothing, when another user claimed the old address meanwhile.
A link is spent in the transaction that acts on it. An unknown, spent, superseded, expired or
other tenant's token is the same 400 `invalid_request`.
"""

import dataclasses
from typing import Any

from hellojohn import actors, errors, signals
from hellojohn.adapters import jobs, mail
from hellojohn.config import settings
from hellojohn.fields import email_key, masked_email
from hellojohn.records import PENDING_FIELDS
from hellojohn.rules import opaque, tenancy
from hellojohn.store import notices as store
from hellojohn.store import users
from hellojohn.timeutil import now as _now

RESTORE_TTL_SECONDS = 7 * 24 * 3600
CANCEL, RESTORE = "cancel", "restore"  # the links' kinds


def deliver(job: dict[str, Any]) -> str:
    """Send the notice a job asks for (or nothing); what happened, for the log."""
    tid, uid, kind, change_id = job["tenant_id"], job["user_id"], job["kind"], job["change_id"]
    tenant = tenancy.tenant(tid)
    if tenant is None:
        return "tenant gone"
    switch = jobs.EMAIL_CHANGED if kind == jobs.EMAIL_RESTORED else kind
    if switch not in tenant.notices:
        if kind == jobs.EMAIL_CHANGED:  # no link for this change: an older one must not outlive it
            store.drop_restore_pointer(tid, uid, change_id, _now() + RESTORE_TTL_SECONDS)
        return "switched off"
    if store.was_sent(tid, change_id, kind):
        return "already sent"
    now = _now()
    to: str = job["to"]
    if kind == jobs.EMAIL_CHANGE_REQUESTED:
        user = users.get(tid, uid)
        if user is None or user.pending_change_id != change_id or not user.pending_email:
            return "superseded"
        expires = now + settings().verification_ttl_seconds
        token, token_hash = opaque.new_verification_token()
        store.put_link(token_hash, store.Link(tid, uid, CANCEL, change_id, to, user.pending_email, expires))
        email = mail.change_requested_email(tenant, masked_email(user.pending_email), token, expires)
    elif kind == jobs.EMAIL_CHANGED:
        expires = now + RESTORE_TTL_SECONDS
        link: str | None
        link, token_hash = opaque.new_verification_token()
        try:
            store.put_restore_link(
                token_hash, store.Link(tid, uid, RESTORE, change_id, to, job["new_email"], expires)
            )
        except store.Superseded:
            link = None  # a newer change holds the live restore link: this notice tells, without one
        email = mail.email_changed_email(tenant, masked_email(job["new_email"]), link, expires)
    elif kind == jobs.EMAIL_RESTORED:
        email = mail.email_restored_email(tenant, masked_email(job["new_email"]))
    elif kind == jobs.PASSWORD_CHANGED:
        email = mail.password_changed_email(tenant, int(job["at"]))
    else:
        return "unknown kind"
    with signals.sending(signals.NOTICES, kind=kind):
        mail.send(tenant, to, *email)
    store.mark_sent(tid, change_id, kind, _now())
    return "sent"


def _invalid() -> errors.ApiError:
    return errors.invalid_request("The link is invalid, already used, superseded or expired")


def _link(tid: str, token: str, kind: str) -> tuple[str, store.Link]:
    token_hash = opaque.digest(token)
    link = store.get_link(token_hash)
    if link is None or not opaque.same(link.tenant_id, tid) or link.kind != kind or link.expires_at <= _now():
        raise _invalid()
    return token_hash, link


def cancel(tid: str, token: str) -> None:
    """`POST /v1/auth/email/cancel`: the pending change the link was sent for ends (its
    verification link with it); the token is spent in the same transaction."""
    token_hash, link = _link(tid, token, CANCEL)
    update = users.changes_to_update(dict.fromkeys(PENDING_FIELDS), [users.pending_change_is(link.change_id)])
    try:
        users.transact(
            tid,
            link.user_id,
            update,
            users.ClaimMove(tid, link.user_id),
            _now(),
            extra=[store.spend_link(token_hash)],
        )
    except (users.ConditionFailed, users.ClaimTaken):  # no claim moves: a failed spend lands as either
        raise _invalid() from None


def restore(tid: str, token: str) -> None:
    """`POST /v1/auth/email/restore`: the old address back, verified; every session revoked; the
    claims moved back; the token and the user's restore pointer spent: one transaction."""
    token_hash, link = _link(tid, token, RESTORE)
    values: dict[str, Any] = {
        "email": link.email,
        "email_verified": True,
        "sessions": {},
        **dict.fromkeys(PENDING_FIELDS),
    }
    update = users.changes_to_update(values, [users.email_key_is(email_key(link.new_email))])
    claims = users.ClaimMove(
        tid, link.user_id, put_key=email_key(link.email), delete_key=email_key(link.new_email)
    )
    spend = [store.spend_link(token_hash), store.spend_restore_pointer(tid, link.user_id, token_hash)]
    # the link's holder acts for the account (actor `user`); `via` tells the outbox not to offer a
    # restore of the address this replaces (jobs.EMAIL_RESTORED)
    with actors.acting(dataclasses.replace(actors.current(), via=jobs.RESTORE)):
        try:
            users.transact(tid, link.user_id, update, claims, _now(), extra=spend)
        except users.ClaimTaken:
            raise errors.email_taken() from None
        except users.ConditionFailed:
            raise _invalid() from None
