"""The verification email, written and sent through SES."""

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


def verification_link(tenant: Tenant, token: str) -> str:
    base = tenant.verify_url_base or "http://127.0.0.1:3000/verify-email"
    return f"{base}{'&' if '?' in base else '?'}{urlencode({'token': token})}"


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
