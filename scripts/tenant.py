"""`make tenant NAME=Acme [STACK=name]`: create a tenant and its keys; the LAST line printed is JSON.

    python -m scripts.tenant --name Acme                       # the running local runner (.local/stack.json)
    python -m scripts.tenant --name Acme --stack hellojohn-users-prod \\
        --email-from no-reply@acme.com --verify-url-base https://app.acme.com/verify-email \\
        --allowed-origin https://app.acme.com

The keys are shown once, here: only their hashes are stored. A deployed stack is found through
its CloudFormation outputs (TableName, SigningKeySecretArn, ApiUrl) and its Stage parameter (prod
issues sk_live_/pk_live_ keys), with the normal AWS credentials. Its sender address (or domain)
must be verified in SES; locally, the runner's moto verifies it here.
"""

import argparse
import os
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from hellojohn.records import (
    DELETION_GRACE_DAYS,
    DELETION_GRACE_MAX_DAYS,
    NOTICES,
    REVERIFICATION_MAX_AGE_SECONDS,
)
from hellojohn.rules import origins as origin_rules
from hellojohn.rules import provisioning

from scripts import local_stack
from scripts.local_stack import Refused

LOCAL_ORIGINS = ("http://127.0.0.1:*", "http://localhost:*")
LOCAL_SENDER = "no-reply@example.com"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scripts.tenant", description=__doc__.split("\n")[0])
    parser.add_argument("--name", required=True, help="the tenant's display name (in emails)")
    parser.add_argument("--stack", help="a deployed stack's name (default: the running local runner)")
    parser.add_argument("--state-dir", default=".local", help="the local runner's state directory")
    parser.add_argument("--email-from", help=f"sender of the tenant's emails (local default {LOCAL_SENDER})")
    parser.add_argument("--verify-url-base", help="the page the verification link opens (gets ?token=…)")
    parser.add_argument(
        "--allowed-origin",
        action="append",
        default=None,
        help="a browser origin allowed to call the API (repeatable); scheme://host[:port], port * = any "
        f"(local default {' '.join(LOCAL_ORIGINS)})",
    )
    parser.add_argument(
        "--roles", default="admin,member", help="the system roles, comma-separated (with member)"
    )
    parser.add_argument(
        "--audit-retention-days",
        type=int,
        choices=range(1, 3651),
        metavar="DAYS",
        default=90,
        help="how long each user's change history is kept, 1-3650 days (default 90)",
    )
    parser.add_argument(
        "--cancel-url-base",
        help="the page the 'email change requested' notice's cancel link opens (default: cancel-email-change "
        "next to the verify page)",
    )
    parser.add_argument(
        "--restore-url-base",
        help="the page the 'email changed' notice's restore link opens (default: restore-email next to the "
        "verify page)",
    )
    parser.add_argument(
        "--no-notice",
        action="append",
        default=[],
        choices=NOTICES,
        help="a security notice not to send (repeatable; every one is sent by default)",
    )
    parser.add_argument(
        "--allow-international-emails",
        action="store_true",
        help="accept addresses whose part before the @ is not ASCII, e.g. josé@example.com (off by "
        "default; SES cannot send to them: docs/SECURITY.md)",
    )
    parser.add_argument(
        "--reverification-max-age",
        type=int,
        choices=range(0, 86401),
        metavar="SECONDS",
        default=REVERIFICATION_MAX_AGE_SECONDS,
        help="how recent a session's proof of the password must be to change its email or phone, "
        f"0-86400 seconds; 0: never asked (default {REVERIFICATION_MAX_AGE_SECONDS}; docs/SECURITY.md)",
    )
    parser.add_argument(
        "--deletion-grace-days",
        type=int,
        choices=range(DELETION_GRACE_MAX_DAYS + 1),
        metavar="DAYS",
        default=DELETION_GRACE_DAYS,
        help=f"how long a deleted user can be restored before the purge, 0-{DELETION_GRACE_MAX_DAYS} days "
        f"(default {DELETION_GRACE_DAYS}; 0: deleted at once)",
    )
    return parser.parse_args(argv)


def local_target(state_dir: Path) -> dict[str, Any]:
    """The running local runner (`scripts.local_stack`), as a target of the scripts."""
    stack = local_stack.attach(state_dir)
    return {"api_url": stack["api_url"], "live": False, "local": True}


def deployed_stack(stack_name: str) -> dict[str, Any]:
    try:
        [stack] = boto3.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"]
    except (BotoCoreError, ClientError) as exc:
        raise Refused(f"cannot read the stack {stack_name!r}: {exc}") from None
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    params = {p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])}
    missing = [k for k in ("TableName", "SigningKeySecretArn") if k not in outputs]
    if missing:
        raise Refused(f"the stack {stack_name!r} has no output {', '.join(missing)}: is it this application?")
    stage = params.get("Stage", "dev")
    os.environ.update(
        {
            "TABLE_NAME": outputs["TableName"],
            "SIGNING_KEY_SECRET": outputs["SigningKeySecretArn"],
            "STAGE": stage,
        }
    )
    return {"api_url": outputs.get("ApiUrl", ""), "live": stage == "prod", "local": False}


def create(args: argparse.Namespace) -> dict[str, Any]:
    if not args.name.strip():
        raise Refused("a tenant needs a name: make tenant NAME=Acme")
    target = deployed_stack(args.stack) if args.stack else local_target(Path(args.state_dir))
    roles = tuple(r.strip() for r in args.roles.split(",") if r.strip())
    if "member" not in roles:
        raise Refused("--roles must include `member`, the role new users get")
    if target["local"]:
        email_from = args.email_from or LOCAL_SENDER
        verify_url_base = args.verify_url_base or f"{target['api_url']}/verify-email"
        origins = tuple(args.allowed_origin if args.allowed_origin is not None else LOCAL_ORIGINS)
    else:
        if not args.email_from or not args.verify_url_base:
            raise Refused(
                "a deployed tenant needs --email-from (an address or domain verified in SES) and "
                "--verify-url-base (the tenant's page that posts the token to /v1/auth/email/verify)"
            )
        email_from, verify_url_base = args.email_from, args.verify_url_base
        origins = tuple(args.allowed_origin or ())

    try:
        origins = origin_rules.check_allowed_origins(origins)
    except ValueError as exc:
        raise Refused(str(exc)) from None
    if target["local"]:
        boto3.client("ses").verify_email_identity(EmailAddress=email_from)
    created = provisioning.create_tenant(
        args.name.strip(),
        live=target["live"],
        email_from=email_from,
        verify_url_base=verify_url_base,
        allowed_origins=origins,
        roles=roles,
        audit_retention_days=args.audit_retention_days,
        cancel_url_base=args.cancel_url_base or "",
        restore_url_base=args.restore_url_base or "",
        notices=tuple(n for n in NOTICES if n not in args.no_notice),
        allow_international_emails=args.allow_international_emails,
        reverification_max_age_seconds=args.reverification_max_age,
        deletion_grace_days=args.deletion_grace_days,
    )
    print(f"tenant {created.tenant.id} ({created.tenant.name}) at {target['api_url'] or 'the stack'}")
    print(f"  sender {email_from}; verification links {verify_url_base}?token=…")
    print(f"  security notices: {', '.join(created.tenant.notices) or 'none'}")
    intl = "accepted" if created.tenant.allow_international_emails else "refused"
    print(f"  addresses not ASCII before the @: {intl}")
    age = created.tenant.reverification_max_age_seconds
    print(f"  reverification: {f'a proof of the password within {age} s' if age else 'off'}")
    print(f"  deleted users restorable for {created.tenant.deletion_grace_days} day(s), then purged")
    print(f"  allowed origins: {', '.join(origins) or 'none (no browser access)'}; roles: {', '.join(roles)}")
    print("  the keys below are shown once: store them now")
    return {
        "tenant_id": created.tenant.id,
        "secret_key": created.secret_key,
        "publishable_key": created.publishable_key,
    }


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    return local_stack.answer("tenant", lambda: create(args))


if __name__ == "__main__":
    raise SystemExit(main())
