"""CORS: which browser origins may read the API's responses, tenant by tenant.

A tenant lists its origins in `allowed_origins` (what an entry may be: `hellojohn.rules.origins`).

- Preflight (`OPTIONS`) requests carry header names but no values, so the tenant is unknown:
  every well-formed origin gets the preflight answer (the methods and headers below).
- The actual response grants the origin (`Access-Control-Allow-Origin: <origin>`) only when it
  is in the allowed origins of the tenant the request names: `X-Tenant-ID`, else the `tid` of the
  access token. A disallowed origin gets no grant, so the browser hides the response.

Credentials are bearer headers, never ambient cookies, and `Access-Control-Allow-Credentials` is
never sent: a page that passes the preflight can send nothing it could not send from a server.
"""

from collections.abc import Mapping
from typing import Any

from hellojohn.logs import logger
from hellojohn.rules.origins import allowed, parse_origin

ALLOWED_METHODS = ("GET", "POST", "PATCH", "DELETE")  # DELETE: a user, one's own account, a webhook endpoint
ALLOWED_HEADERS = ("Authorization", "Content-Type", "X-Tenant-ID", "Idempotency-Key", "If-Match")
EXPOSED_HEADERS = ("ETag", "X-Request-ID", "Retry-After", "WWW-Authenticate")  # the last: RFC 9470's max_age
MAX_AGE_SECONDS = 7200  # browsers cap it (Chromium at 2 h)


def preflight(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers answering a preflight request: a grant for any well-formed origin."""
    out = {"Vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"}
    origin = _header(headers, "origin")
    if origin is None or parse_origin(origin) is None:
        return out
    out.update(
        {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": ", ".join(ALLOWED_METHODS),
            "Access-Control-Allow-Headers": ", ".join(ALLOWED_HEADERS),
            "Access-Control-Max-Age": str(MAX_AGE_SECONDS),
        }
    )
    return out


def apply(event: dict[str, Any], result: dict[str, Any]) -> None:
    """Grant the request's origin on an actual (non-preflight) proxy response, when its tenant allows it.

    Costs nothing without an `Origin` header (servers, curl); with one, at most the cached tenant read.
    """
    if str(event.get("httpMethod", "")).upper() == "OPTIONS":
        return
    out: dict[str, list[str]] = result.setdefault("multiValueHeaders", {})
    out.setdefault("Vary", []).append("Origin")
    headers = event.get("headers") or {}
    origin = _header(headers, "origin")
    if origin is None or parse_origin(origin) is None:
        return
    tid = _tenant_id(headers)
    if tid is None or not allowed(origin, _allowed_origins(tid)):
        return
    out["Access-Control-Allow-Origin"] = [origin]
    out["Access-Control-Expose-Headers"] = [", ".join(EXPOSED_HEADERS)]


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _tenant_id(headers: Mapping[str, str]) -> str | None:
    """The tenant the request names: `X-Tenant-ID`, else the access token's `tid`.

    The token is not verified here: the tenant only chooses whose origin list to consult, and the
    handler has already authenticated (or refused) the request on its own.
    """
    named = _header(headers, "x-tenant-id")
    if named and named.strip():
        return named.strip()
    scheme, _, token = (_header(headers, "authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or token.count(".") != 2:
        return None
    import jwt

    from hellojohn.rules import tokens

    try:
        claims = tokens.unverified_claims(token.strip())
    except jwt.InvalidTokenError:
        return None
    tid = claims.get("tid")
    return tid if isinstance(tid, str) else None


def _allowed_origins(tid: str) -> tuple[str, ...]:
    from botocore.exceptions import BotoCoreError, ClientError

    from hellojohn.rules import tenancy

    try:
        tenant = tenancy.tenant(tid)
    except (BotoCoreError, ClientError):
        logger.warning("tenant unreadable for CORS; origin not granted", extra={"tenant_id": tid})
        return ()
    return tenant.allowed_origins if tenant else ()
