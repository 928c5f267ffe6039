"""CORS: which browser origins may read the API's responses, tenant by tenant.

A tenant lists its origins in `allowed_origins`. Each entry is an origin, `scheme://host[:port]`
(http or https, no path, no trailing slash; the default port may be left out), or the same with
`*` as the port, meaning any port of that host: `http://localhost:*` for dev servers. Hosts are
never wildcarded.

- Preflight (`OPTIONS`) requests carry header names but no values, so the tenant is unknown:
  every well-formed origin gets the preflight answer (the methods and headers below).
- The actual response grants the origin (`Access-Control-Allow-Origin: <origin>`) only when it
  is in the allowed origins of the tenant the request names: `X-Tenant-ID`, else the `tid` of the
  access token. A disallowed origin gets no grant, so the browser hides the response.

Credentials are bearer headers, never ambient cookies, and `Access-Control-Allow-Credentials` is
never sent: a page that passes the preflight can send nothing it could not send from a server.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hellojohn.logs import logger

ALLOWED_METHODS = ("GET", "POST", "PATCH")
ALLOWED_HEADERS = ("Authorization", "Content-Type", "X-Tenant-ID", "Idempotency-Key", "If-Match")
EXPOSED_HEADERS = ("ETag", "X-Request-ID", "Retry-After")
MAX_AGE_SECONDS = 7200  # browsers cap it (Chromium at 2 h)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_ORIGIN = re.compile(
    r"(?P<scheme>https?)://(?P<host>\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)(?::(?P<port>\d{1,5}|\*))?"
)


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int | None  # None: any port (only in an allowed-origins entry)


def _parse(value: str, wildcard: bool) -> Origin | None:
    found = _ORIGIN.fullmatch(value.strip().lower())
    if found is None:
        return None
    scheme, host, port = found.group("scheme"), found.group("host"), found.group("port")
    if port == "*":
        return Origin(scheme, host, None) if wildcard else None
    number = int(port) if port else _DEFAULT_PORTS[scheme]
    return Origin(scheme, host, number) if 0 < number < 65536 else None


def parse_origin(value: str) -> Origin | None:
    """A request's `Origin` header, or None when it is not an http(s) origin (e.g. `null`)."""
    return _parse(value, wildcard=False)


def check_allowed_origins(entries: Iterable[str]) -> tuple[str, ...]:
    """The entries, normalised; ValueError naming the first one that is not an origin or pattern."""
    checked = []
    for entry in entries:
        origin = _parse(entry, wildcard=True)
        if origin is None:
            raise ValueError(
                f"{entry!r} is not an origin: use scheme://host[:port] (http or https, no path), "
                "or scheme://host:* for any port"
            )
        port = "" if origin.port == _DEFAULT_PORTS[origin.scheme] else f":{origin.port or '*'}"
        checked.append(f"{origin.scheme}://{origin.host}{port}")
    return tuple(checked)


def allowed(origin: str, entries: Iterable[str]) -> bool:
    parsed = parse_origin(origin)
    if parsed is None:
        return False
    for entry in entries:
        pattern = _parse(entry, wildcard=True)
        if (
            pattern is not None
            and (pattern.scheme, pattern.host) == (parsed.scheme, parsed.host)
            and pattern.port in (None, parsed.port)
        ):
            return True
    return False


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

    from hellojohn import tokens

    try:
        claims = tokens.unverified_claims(token.strip())
    except jwt.InvalidTokenError:
        return None
    tid = claims.get("tid")
    return tid if isinstance(tid, str) else None


def _allowed_origins(tid: str) -> tuple[str, ...]:
    from botocore.exceptions import BotoCoreError, ClientError

    from hellojohn import tenancy

    try:
        tenant = tenancy.tenant(tid)
    except (BotoCoreError, ClientError):
        logger.warning("tenant unreadable for CORS; origin not granted", extra={"tenant_id": tid})
        return ()
    return tenant.allowed_origins if tenant else ()
