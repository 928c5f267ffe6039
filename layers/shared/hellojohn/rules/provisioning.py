"""Creating a tenant and its first keys (used by `make tenant` and the local runner's seed)."""

from dataclasses import dataclass

from hellojohn import ids
from hellojohn.records import (
    AUDIT_RETENTION_DAYS,
    DEFAULT_ROLES,
    DELETION_GRACE_DAYS,
    DELETION_GRACE_MAX_DAYS,
    NOTICES,
    REVERIFICATION_MAX_AGE_SECONDS,
    ApiKey,
    Tenant,
)
from hellojohn.rules import opaque, origins
from hellojohn.store import tenants as store
from hellojohn.timeutil import now


@dataclass(frozen=True)
class NewTenant:
    tenant: Tenant
    secret_key: str
    publishable_key: str


def create_tenant(
    name: str,
    *,
    live: bool,
    email_from: str,
    verify_url_base: str,
    allowed_origins: tuple[str, ...] = (),
    roles: tuple[str, ...] = DEFAULT_ROLES,
    audit_retention_days: int = AUDIT_RETENTION_DAYS,
    cancel_url_base: str = "",
    restore_url_base: str = "",
    notices: tuple[str, ...] = NOTICES,
    allow_international_emails: bool = False,
    reverification_max_age_seconds: int = REVERIFICATION_MAX_AGE_SECONDS,
    deletion_grace_days: int = DELETION_GRACE_DAYS,
) -> NewTenant:
    """The tenant and one secret and one publishable key; the keys are shown here, once.

    ValueError when an allowed origin is not an origin (see `hellojohn.rules.origins`), or a
    notice is not one of `records.NOTICES`. The notices' link pages default to the verify page's
    siblings: `cancel-email-change` and `restore-email` next to it (docs/NOTICES.md).
    """
    if reverification_max_age_seconds < 0:
        raise ValueError("reverification_max_age_seconds is 0 (off) or more")
    if not 0 <= deletion_grace_days <= DELETION_GRACE_MAX_DAYS:
        raise ValueError(f"deletion_grace_days must be 0 to {DELETION_GRACE_MAX_DAYS}")
    unknown = sorted(set(notices) - set(NOTICES))
    if unknown:
        raise ValueError(f"unknown notices: {', '.join(unknown)} (known: {', '.join(NOTICES)})")
    sibling = verify_url_base.split("?", 1)[0].rsplit("/", 1)[0]
    allowed_origins = origins.check_allowed_origins(allowed_origins)
    tenant = Tenant(
        id=ids.new_id("tnt"),
        name=name,
        roles=roles,
        email_from=email_from,
        verify_url_base=verify_url_base,
        allowed_origins=allowed_origins,
        audit_retention_days=audit_retention_days,
        cancel_url_base=cancel_url_base or f"{sibling}/cancel-email-change",
        restore_url_base=restore_url_base or f"{sibling}/restore-email",
        notices=tuple(n for n in NOTICES if n in notices),
        allow_international_emails=allow_international_emails,
        reverification_max_age_seconds=reverification_max_age_seconds,
        deletion_grace_days=deletion_grace_days,
        created_at=now(),
    )
    secret_key = opaque.new_api_key("secret", live)
    publishable_key = opaque.new_api_key("publishable", live)
    store.create(
        tenant,
        [
            (opaque.digest(secret_key), ApiKey(ids.new_id("key"), tenant.id, "secret")),
            (opaque.digest(publishable_key), ApiKey(ids.new_id("key"), tenant.id, "publishable")),
        ],
    )
    return NewTenant(tenant, secret_key, publishable_key)
