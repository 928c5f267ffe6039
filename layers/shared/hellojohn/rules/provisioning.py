"""Creating a tenant and its first keys (used by `make tenant` and the local runner's seed)."""

from dataclasses import dataclass

from hellojohn import ids
from hellojohn.records import ApiKey, Tenant
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
    roles: tuple[str, ...] = ("admin", "member"),
    audit_retention_days: int = 90,
) -> NewTenant:
    """The tenant and one secret and one publishable key; the keys are shown here, once.

    ValueError when an allowed origin is not an origin (see `hellojohn.rules.origins`).
    """
    allowed_origins = origins.check_allowed_origins(allowed_origins)
    tenant = Tenant(
        id=ids.new_id("tnt"),
        name=name,
        roles=roles,
        email_from=email_from,
        verify_url_base=verify_url_base,
        allowed_origins=allowed_origins,
        audit_retention_days=audit_retention_days,
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
