"""The demo tenant and user, and the state files other tools read (`credentials.json`, `stack.json`)."""

import json
import os
from pathlib import Path
from typing import Any

import boto3

from local_runner.server import Gateway

DEMO_TENANT = "Demo"
DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "Demo-Password-42"
SENDER = "no-reply@example.com"
# any port of loopback, over http: the SDK's example app and dev servers (see hellojohn.edge.cors)
LOCAL_ORIGINS = ("http://127.0.0.1:*", "http://localhost:*")

CREDENTIALS = "credentials.json"
STACK = "stack.json"


def verify_sender(address: str) -> None:
    """SES refuses unverified senders (moto too); locally, verifying is one call."""
    boto3.client("ses").verify_email_identity(EmailAddress=address)


def seed(gateway: Gateway, api_url: str) -> dict[str, Any]:
    """Create the demo tenant (keys) and its demo user through the API; the credentials."""
    from hellojohn.rules import provisioning

    verify_sender(SENDER)
    created = provisioning.create_tenant(
        DEMO_TENANT,
        live=False,
        email_from=SENDER,
        verify_url_base=f"{api_url}/verify-email",
        allowed_origins=LOCAL_ORIGINS,
    )
    headers = {
        "Authorization": f"Bearer {created.secret_key}",
        "X-Tenant-ID": created.tenant.id,
        "Content-Type": "application/json",
    }
    body = {"email": DEMO_EMAIL, "password": DEMO_PASSWORD, "name": "Demo User", "email_verified": True}
    reply = gateway.handle("POST", "/v1/users", headers, json.dumps(body).encode())
    if reply.status != 201:
        raise RuntimeError(f"could not create the demo user: {reply.status} {reply.body.decode()}")
    user = json.loads(reply.body)
    return {
        "api_url": api_url,
        "tenant_id": created.tenant.id,
        "secret_key": created.secret_key,
        "publishable_key": created.publishable_key,
        "demo_user": {"id": user["id"], "email": DEMO_EMAIL, "password": DEMO_PASSWORD},
    }


def write_json(path: Path, value: dict[str, Any]) -> None:
    """Atomically (a reader sees the whole file or none), readable by its owner only."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(value, fh, indent=2)
        fh.write("\n")
    os.replace(tmp, path)


def clear(state_dir: Path) -> None:
    for name in (CREDENTIALS, STACK):
        (state_dir / name).unlink(missing_ok=True)
