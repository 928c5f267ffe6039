"""Security notices (docs/NOTICES.md): an email change asked for, an email changed, a password
changed, a deletion requested (with its restore deadline).

The email worker sends them from the outbox's jobs (`rules.outbox`), never the request that made
the change. The tenant's switches are read here, in the worker, so switching a notice off applies
to jobs already queued. Each notice's sending is recorded (a marker per change and kind), so a
redelivered job sends nothing; if that mark fails after SES accepted the email, the retry sends it
again: at least once, never none.

Two notices carry a link, a random token stored only as its SHA-256 (`store.links`):
- `cancel` (48 h, like the verification link): clears the pending change it was sent for, while
  it is still the user's pending change;
- `restore` (7 days): puts back the address it was sent to, verified, whatever changes followed
  it; revokes every session, clears any pending change and the temporary state a thief could set
  (the guess lock, the verification emails counted this hour), and voids the restore links of the
  changes after its own (they went to addresses that came after it). Every restore link of a
  user stays usable for its whole lifetime otherwise; refused with 409 `email_taken`, changing
  nothing, when another user claimed the address meanwhile.
While any restore link of a user is live, every further email change is told to each address
holding one, as well as to the address it replaced (the owner hears of every step).
A link is spent in the transaction that acts on it. An unknown, spent, voided, expired or other
tenant's token is the same 400 `invalid_request`.
"""

import dataclasses
from typing import Any

from hellojohn import actors, errors, ids, signals, throttle
from hellojohn.adapters import mail
from hellojohn.config import settings
from hellojohn.fields import email_key, masked_email
from hellojohn.records import (
    DELETION_REQUESTED,
    EMAIL_CHANGE_REQUESTED,
    EMAIL_CHANGED,
    EMAIL_RESTORED,
    PASSWORD_CHANGED,
    PENDING_FIELDS,
    Tenant,
)
from hellojohn.rules import opaque, tenancy
from hellojohn.store import links, users
from hellojohn.timeutil import DAY
from hellojohn.timeutil import now as _now

RESTORE_TTL_SECONDS = 7 * DAY


MAX_ATTEMPTS = 3  # a restore link's write, or a restore, that raced another write of the links


def deliver(job: dict[str, Any]) -> str:
    """Send the notice a job asks for (or nothing); what happened, for the log."""
    tid, kind, change_id = job["tenant_id"], job["kind"], job["change_id"]
    tenant = tenancy.tenant(tid)
    if tenant is None:
        return "tenant gone"
    switch = EMAIL_CHANGED if kind == EMAIL_RESTORED else kind
    if switch not in tenant.notices:
        return "switched off"
    outcome = "already sent" if links.was_sent(tid, change_id, kind) else _send(tenant, job)
    if kind in (EMAIL_CHANGED, EMAIL_RESTORED):
        _tell_live_links(tenant, job)
    return outcome


def _send(tenant: Tenant, job: dict[str, Any]) -> str:
    tid, uid, kind, change_id = tenant.id, job["user_id"], job["kind"], job["change_id"]
    now = _now()
    to: str = job["to"]
    if kind == EMAIL_CHANGE_REQUESTED:
        user = users.get(tid, uid)
        if user is None or user.pending_change_id != change_id or not user.pending_email:
            return "superseded"
        expires = now + settings().verification_ttl_seconds
        token, token_hash = opaque.new_verification_token()
        cancel_link = links.Link(tid, uid, links.CANCEL, change_id, to, user.pending_email, expires)
        links.put_link(token_hash, cancel_link)
        email = mail.change_requested_email(tenant, masked_email(user.pending_email), token, expires)
    elif kind == EMAIL_CHANGED:
        expires = now + RESTORE_TTL_SECONDS
        restore_link = links.Link(tid, uid, links.RESTORE, change_id, to, job["new_email"], expires)
        link = _issue_restore_link(restore_link, now)
        email = mail.email_changed_email(tenant, masked_email(job["new_email"]), link, expires)
    elif kind == EMAIL_RESTORED:
        email = mail.email_restored_email(tenant, masked_email(job["new_email"]))
    elif kind == PASSWORD_CHANGED:
        email = mail.password_changed_email(tenant, int(job["at"]))
    elif kind == DELETION_REQUESTED:
        email = mail.deletion_requested_email(tenant, int(job["purge_at"]))
    else:
        return "unknown kind"
    with signals.sending(signals.NOTICES, kind=kind):
        mail.send(tenant, to, *email)
    links.mark_sent(tid, change_id, kind, _now())
    return "sent"


def _issue_restore_link(link: links.Link, now: int) -> str | None:
    """A new restore token, added to the user's links beside the live ones; None when a restore
    since voided this change (a late job: the notice tells, without a link)."""
    for _ in range(MAX_ATTEMPTS):
        token, token_hash = opaque.new_verification_token()
        try:
            known = links.get_restore_links(link.tenant_id, link.user_id)
            links.add_restore_link(token_hash, link, known, now)
        except links.Raced:
            continue
        except links.Voided:
            return None
        return token
    raise links.Raced  # the job is retried (SQS), nothing was sent


def _tell_live_links(tenant: Tenant, job: dict[str, Any]) -> None:
    """The change told to every other address holding a live restore link of the user, once per
    address (a marker each: a redelivered job tells no one twice), with no link of its own: the
    one that address already has still works, until the date given."""
    now = _now()
    told = {email_key(job["to"]), email_key(job["new_email"])}
    live = links.get_restore_links(tenant.id, job["user_id"]).live(now).values()
    for to, expires in sorted(live, key=lambda entry: -entry[1]):  # an address's latest link first
        if not to:  # a link made before issue 24: its address is on its token only
            continue
        key = email_key(to)
        if key in told:
            continue
        told.add(key)
        marker = f"{job['kind']}#also#{opaque.digest(key)}"  # no address in a key
        if links.was_sent(tenant.id, job["change_id"], marker):
            continue
        email = mail.email_changed_again_email(tenant, masked_email(job["new_email"]), expires)
        with signals.sending(signals.NOTICES, kind=job["kind"]):
            mail.send(tenant, to, *email)
        links.mark_sent(tenant.id, job["change_id"], marker, _now())


def _invalid() -> errors.ApiError:
    return errors.invalid_request("The link is invalid, already used, voided or expired")


def _link(tid: str, token: str, kind: str) -> tuple[str, links.Link]:
    token_hash = opaque.digest(token)
    link = links.get_link(token_hash, kind)
    if link is None or not opaque.same(link.tenant_id, tid) or link.expires_at <= _now():
        raise _invalid()
    return token_hash, link


def cancel(tid: str, token: str) -> None:
    """`POST /v1/auth/email/cancel`: the pending change the link was sent for ends (its
    verification link with it); the token is spent in the same transaction."""
    token_hash, link = _link(tid, token, links.CANCEL)
    update = users.changes_to_update(dict.fromkeys(PENDING_FIELDS), [users.pending_change_is(link.change_id)])
    try:
        users.transact_with(tid, link.user_id, update, _now(), links.spend_link(token_hash, link.kind))
    except (users.ConditionFailed, users.ClaimTaken):  # no claim moves: a failed spend lands as either
        raise _invalid() from None


def restore(tid: str, token: str) -> None:
    """`POST /v1/auth/email/restore`: the address the link was sent to back, verified; every
    session revoked; the pending change and the thief's temporary state cleared; the claims moved
    (the current address's released); the token spent and the links of later changes voided: one
    transaction, on the user and the links as read (read again when either changed meanwhile)."""
    token_hash, link = _link(tid, token, links.RESTORE)
    for attempt in range(MAX_ATTEMPTS):
        raw, held = links.get_user_and_restore_links(tid, link.user_id)
        if raw is None or link.change_id not in held.links:
            raise _invalid()  # the user is gone, or a restore of an earlier change voided this link
        current = str(raw.get("email_key") or "")
        values: dict[str, Any] = {
            "email": link.email,
            "email_verified": True,
            "sessions": {},
            **dict.fromkeys(PENDING_FIELDS),
            **dict.fromkeys(THIEFS_STATE),
        }
        update = users.changes_to_update(values, [users.email_key_is(current)])
        claims = users.ClaimMove(tid, link.user_id, put_key=email_key(link.email), delete_key=current or None)
        now = _now()
        spend = [
            links.spend_link(token_hash, link.kind),
            links.spend_restore_links(
                tid, link.user_id, link.change_id, held, ids.new_id("chg"), now + RESTORE_TTL_SECONDS
            ),
        ]
        # the link's holder acts for the account (actor `user`); `via` tells the outbox not to offer
        # a restore of the address this replaces (EMAIL_RESTORED)
        with actors.acting(dataclasses.replace(actors.current(), via=actors.VIA_RESTORE)):
            try:
                users.transact(tid, link.user_id, update, claims, now, extra=spend)
            except users.ClaimTaken:
                raise errors.email_taken() from None
            except users.ConditionFailed:
                if attempt + 1 < MAX_ATTEMPTS:
                    continue  # the address or the links changed since the read: judge again
                raise _invalid() from None
        return
    raise _invalid()  # pragma: no cover - the loop returns or raises


THIEFS_STATE = (*throttle.STATE, "mail_hour", "mail_count")
"""What someone holding a session could have set that would keep the owner out after a restore:
the wrong-password lock, and the verification emails counted this hour."""
