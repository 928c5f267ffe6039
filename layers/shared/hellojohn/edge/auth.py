"""Who is calling: a secret key, a publishable key, or a signed-in user's access token.

Every path resolves the tenant here, from the credential, never from the body or the path.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from hellojohn import errors
from hellojohn.records import Tenant
from hellojohn.rules import opaque, tenancy

if TYPE_CHECKING:  # the token module (and cryptography) only loads where tokens are used
    from hellojohn.rules.tokens import AccessClaims


class HasHeaders(Protocol):
    @property
    def headers(self) -> Mapping[str, str]: ...


@dataclass(frozen=True)
class KeyCaller:
    tenant: Tenant
    key_id: str
    kind: str


def _bearer(event: HasHeaders) -> str:
    header = event.headers.get("authorization") or ""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise errors.unauthorized("Send Authorization: Bearer <secret key | publishable key | access token>")
    return value.strip()


def _tenant_header(event: HasHeaders) -> str | None:
    value = event.headers.get("x-tenant-id")
    return value.strip() if value else None


def _key_caller(event: HasHeaders, kind: str) -> KeyCaller:
    value = _bearer(event)
    presented_kind = opaque.api_key_kind(value)
    if presented_kind is None:
        raise errors.forbidden(f"This endpoint needs a {kind} key")
    tid = _tenant_header(event)
    if not tid:
        raise errors.invalid_request("X-Tenant-ID is required with an API key")
    key = tenancy.api_key(value)
    if key is None:
        raise errors.unauthorized("Unknown API key")
    if key.kind != kind:
        raise errors.forbidden(f"This endpoint needs a {kind} key")
    if not opaque.same(key.tenant_id, tid):
        raise errors.tenant_mismatch()
    tenant = tenancy.tenant(key.tenant_id)
    if tenant is None:
        raise errors.unauthorized("Unknown API key")
    return KeyCaller(tenant=tenant, key_id=key.id, kind=key.kind)


def secret_key(event: HasHeaders) -> KeyCaller:
    """An admin backend: `Authorization: Bearer sk_…` and its own tenant's `X-Tenant-ID`."""
    return _key_caller(event, "secret")


def publishable_key(event: HasHeaders) -> KeyCaller:
    """A browser before sign-in: `Authorization: Bearer pk_…` and its tenant's `X-Tenant-ID`."""
    return _key_caller(event, "publishable")


def access_token(event: HasHeaders) -> "AccessClaims":
    """A signed-in user. The session itself is checked against the user item in the same request."""
    value = _bearer(event)
    if opaque.api_key_kind(value) is not None:
        raise errors.forbidden("This endpoint needs a user's access token")
    from hellojohn.rules import tokens

    claims = tokens.verify(value)
    tid = _tenant_header(event)
    if tid is not None and not opaque.same(tid, claims.tenant_id):
        raise errors.tenant_mismatch()
    if claims.password_change_required and _route(event) not in WHILE_PASSWORD_TEMPORARY:
        raise errors.password_change_required()
    return claims


WHILE_PASSWORD_TEMPORARY = frozenset(
    {("GET", "/v1/auth/me"), ("POST", "/v1/auth/password/change"), ("POST", "/v1/auth/sign-out")}
)
"""The only routes an access token with `pcr` (a temporary password) may call: every other one,
present or future, answers 403 `password_change_required` here, before its own code runs. The
claim alone suffices because setting a temporary password signs every session out (so no token
issued before it stays live) and sign-in and refresh take the claim from the user item they read."""


def _route(event: HasHeaders) -> tuple[str, str]:
    """The API Gateway route (`resource` is the template's path, e.g. /v1/users/{user_id})."""
    return (str(getattr(event, "http_method", "")).upper(), str(getattr(event, "resource", "")))
