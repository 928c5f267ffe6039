"""The emails (verification, and the security notices: docs/NOTICES.md), written and sent through SES.

Every value that is not ours (the tenant's name, addresses, links) is HTML-escaped in the HTML part."""

import html
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from hellojohn.fields import sendable
from hellojohn.records import Tenant
from hellojohn.timeutil import rfc3339

if TYPE_CHECKING:
    from mypy_boto3_ses.client import SESClient


@cache
def ses() -> "SESClient":
    import boto3
    from botocore.config import Config

    return boto3.client("ses", config=Config(retries={"mode": "standard", "max_attempts": 3}))


def _link(base: str, token: str) -> str:
    return f"{base}{'&' if '?' in base else '?'}{urlencode({'token': token})}"


def verification_link(tenant: Tenant, token: str) -> str:
    return _link(tenant.verify_url_base or "http://127.0.0.1:3000/verify-email", token)


def cancel_link(tenant: Tenant, token: str) -> str:
    return _link(tenant.cancel_url_base or "http://127.0.0.1:3000/cancel-email-change", token)


def restore_link(tenant: Tenant, token: str) -> str:
    return _link(tenant.restore_url_base or "http://127.0.0.1:3000/restore-email", token)


Email = tuple[str, str, str]  # (subject, text, html)


@dataclass(frozen=True)
class _Bold:
    text: str


@dataclass(frozen=True)
class _Link:
    label: str
    url: str


def _compose(subject: str, *paragraphs: list[str | _Bold | _Link]) -> Email:
    """A notice's text and HTML from one list of paragraphs: every value escaped in the HTML, a
    link's URL on a line of its own in the text."""
    texts: list[str] = []
    parts: list[str] = []
    for paragraph in paragraphs:
        text, body = "", ""
        for part in paragraph:
            if isinstance(part, _Bold):
                text, body = text + part.text, body + f"<b>{html.escape(part.text)}</b>"
            elif isinstance(part, _Link):
                text += f"{part.label}:\n{part.url}\n"
                body += f'<a href="{html.escape(part.url)}">{html.escape(part.label)}</a>'
            else:  # after a link's line, the text goes on without the space the HTML has
                text += part.lstrip() if text.endswith("\n") else part
                body += html.escape(part)
        texts.append(text)
        parts.append(f"<p>{body}</p>")
    return subject, "\n\n".join(texts), "".join(parts)


def _offer(link: str | None, label: str, expires_at: int) -> list[list[str | _Bold | _Link]]:
    if link is None:
        return []
    return [["If this was not you, ", _Link(label, link), f" (valid until {rfc3339(expires_at)})."]]


def change_requested_email(tenant: Tenant, masked_new: str, token: str | None, expires_at: int) -> Email:
    """To the current address: a change to `masked_new` was asked for; the link cancels it."""
    name = tenant.name
    return _compose(
        f"A change of your {name} email address was requested",
        [f"Someone asked to change the email address of your {name} account to ", _Bold(masked_new), "."],
        *_offer(cancel_link(tenant, token) if token else None, "cancel the change", expires_at),
        ["If it was you, confirm the new address from the email sent to it."],
    )


def email_changed_email(tenant: Tenant, masked_new: str, token: str | None, expires_at: int) -> Email:
    """To the old address: the address changed; the link (if any) restores this one and signs
    every session out."""
    name = tenant.name
    return _compose(
        f"The email address of your {name} account changed",
        [f"The email address of your {name} account was changed to ", _Bold(masked_new), "."],
        *_offer(
            restore_link(tenant, token) if token else None,
            "put this address back and sign every session out",
            expires_at,
        ),
        ["If it was you, there is nothing to do."],
    )


def email_changed_again_email(tenant: Tenant, masked_new: str, link_expires_at: int) -> Email:
    """To an address holding a live restore link: the address changed again. No new link: the one
    this address already has still works until it expires."""
    name = tenant.name
    return _compose(
        f"The email address of your {name} account changed again",
        [f"The email address of your {name} account was changed again, now to ", _Bold(masked_new), "."],
        [
            "If this was not you, the restore link we sent to this address earlier still puts it back "
            f"and signs every session out, until {rfc3339(link_expires_at)}."
        ],
        ["If it was you, there is nothing to do."],
    )


def email_restored_email(tenant: Tenant, masked_restored: str) -> Email:
    """To the address a restore link replaced: the account's address is the earlier one again."""
    name = tenant.name
    return _compose(
        f"The email address of your {name} account was put back",
        [
            "The restore link sent to ",
            _Bold(masked_restored),
            f" was used: it is the address of your {name} account again, and every session was signed out.",
        ],
        [f"If this was not you, contact the support of {name}."],
    )


def password_changed_email(tenant: Tenant, at: int) -> Email:
    """To the user's address: the password changed, when, and what to do if it was not them."""
    name = tenant.name
    return _compose(
        f"The password of your {name} account changed",
        [f"The password of your {name} account was changed at {rfc3339(at)}."],
        [
            "If this was not you, reset your password now and contact the support of "
            f"{name}: someone else may be using your account."
        ],
    )


def deletion_requested_email(tenant: Tenant, purge_at: int) -> Email:
    """To the user's address: the account was deleted, and until when it can be restored."""
    name = tenant.name
    return _compose(
        f"Your {name} account was deleted",
        [f"Your {name} account was deleted, and every session signed out."],
        [
            "It can still be restored until ",
            _Bold(rfc3339(purge_at) or ""),
            f": if this was not you, or you changed your mind, contact the support of {name} before then. "
            "After that it is erased for good.",
        ],
    )


def verification_email(tenant: Tenant, to: str, token: str, expires_at: int) -> Email:
    """To the new address: the link confirms it."""
    name = tenant.name
    return _compose(
        f"Confirm your new email address for {name}",
        [f"Someone asked to change the email address of your {name} account to ", _Bold(to), "."],
        [
            _Link("Confirm your new email address", verification_link(tenant, token)),
            f" (valid until {rfc3339(expires_at)}).",
        ],
        ["If this was not you, ignore this email: your address stays as it is."],
    )


def send(tenant: Tenant, to: str, subject: str, text: str, body_html: str) -> None:
    ses().send_email(
        Source=tenant.email_from,
        Destination={"ToAddresses": [sendable(to)]},  # the domain in punycode: SES has no SMTPUTF8
        Message={
            "Subject": {"Data": subject, "Charset": "UTF-8"},
            "Body": {
                "Text": {"Data": text, "Charset": "UTF-8"},
                "Html": {"Data": body_html, "Charset": "UTF-8"},
            },
        },
    )
