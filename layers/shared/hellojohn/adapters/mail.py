"""The emails (verification, and the security notices: docs/NOTICES.md), written and sent through SES.

Every value that is not ours (the tenant's name, addresses, links) is HTML-escaped in the HTML part."""

import html
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import urlencode

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


def change_requested_email(tenant: Tenant, masked_new: str, token: str | None, expires_at: int) -> Email:
    """To the current address: a change to `masked_new` was asked for; the link cancels it."""
    name = tenant.name
    subject = f"A change of your {name} email address was requested"
    lines = [f"Someone asked to change the email address of your {name} account to {masked_new}."]
    parts = [
        f"<p>Someone asked to change the email address of your {html.escape(name)} account to "
        f"<b>{html.escape(masked_new)}</b>.</p>"
    ]
    if token is not None:
        link = cancel_link(tenant, token)
        lines.append(
            f"If this was not you, cancel it with this link (valid until {rfc3339(expires_at)}):\n{link}"
        )
        parts.append(
            f'<p>If this was not you, <a href="{html.escape(link)}">cancel the change</a> '
            f"(valid until {rfc3339(expires_at)}).</p>"
        )
    lines.append("If it was you, there is nothing to do: confirm the new address from the email sent to it.")
    parts.append("<p>If it was you, confirm the new address from the email sent to it.</p>")
    return subject, "\n\n".join(lines), "".join(parts)


def email_changed_email(tenant: Tenant, new: str, token: str | None, expires_at: int) -> Email:
    """To the old address: the address changed; the link (if any) restores this one."""
    name = tenant.name
    subject = f"The email address of your {name} account changed"
    lines = [f"The email address of your {name} account was changed to {new}."]
    parts = [
        f"<p>The email address of your {html.escape(name)} account was changed to "
        f"<b>{html.escape(new)}</b>.</p>"
    ]
    if token is not None:
        link = restore_link(tenant, token)
        lines.append(
            "If this was not you, this link puts this address back and signs every session out "
            f"(valid until {rfc3339(expires_at)}):\n{link}"
        )
        parts.append(
            f'<p>If this was not you, <a href="{html.escape(link)}">put this address back</a>: every '
            f"session is signed out (valid until {rfc3339(expires_at)}).</p>"
        )
    lines.append("If it was you, there is nothing to do.")
    parts.append("<p>If it was you, there is nothing to do.</p>")
    return subject, "\n\n".join(lines), "".join(parts)


def email_restored_email(tenant: Tenant, restored: str) -> Email:
    """To the address a restore link replaced: the account's address is the earlier one again."""
    name = tenant.name
    subject = f"The email address of your {name} account was put back"
    text = (
        f"The restore link sent to {restored} was used: it is the address of your {name} account again, "
        "and every session was signed out.\n\nIf this was not you, contact the support of "
        f"{name}."
    )
    body = (
        f"<p>The restore link sent to <b>{html.escape(restored)}</b> was used: it is the address of your "
        f"{html.escape(name)} account again, and every session was signed out.</p>"
        f"<p>If this was not you, contact the support of {html.escape(name)}.</p>"
    )
    return subject, text, body


def password_changed_email(tenant: Tenant, at: int) -> Email:
    """To the user's address: the password changed, when, and what to do if it was not them."""
    name = tenant.name
    when = rfc3339(at)
    subject = f"The password of your {name} account changed"
    text = (
        f"The password of your {name} account was changed at {when}.\n\n"
        "If this was not you, reset your password now and contact the support of "
        f"{name}: someone else may be using your account."
    )
    body = (
        f"<p>The password of your {html.escape(name)} account was changed at {when}.</p>"
        "<p>If this was not you, reset your password now and contact the support of "
        f"{html.escape(name)}: someone else may be using your account.</p>"
    )
    return subject, text, body


def verification_email(tenant: Tenant, to: str, token: str, expires_at: int) -> tuple[str, str, str]:
    """(subject, text, html)."""
    link = verification_link(tenant, token)
    subject = f"Confirm your new email address for {tenant.name}"
    text = (
        f"Someone asked to change the email address of your {tenant.name} account to {to}.\n\n"
        f"To confirm, open this link (valid until {rfc3339(expires_at)}):\n{link}\n\n"
        "If this was not you, ignore this email: your address stays as it is."
    )
    body = (
        f"<p>Someone asked to change the email address of your {html.escape(tenant.name)} account to "
        f'<b>{html.escape(to)}</b>.</p><p><a href="{html.escape(link)}">Confirm your new email address</a> '
        f"(valid until {rfc3339(expires_at)}).</p><p>If this was not you, ignore this email.</p>"
    )
    return subject, text, body


def send(tenant: Tenant, to: str, subject: str, text: str, body_html: str) -> None:
    ses().send_email(
        Source=tenant.email_from,
        Destination={"ToAddresses": [to]},
        Message={
            "Subject": {"Data": subject, "Charset": "UTF-8"},
            "Body": {
                "Text": {"Data": text, "Charset": "UTF-8"},
                "Html": {"Data": body_html, "Charset": "UTF-8"},
            },
        },
    )
