"""Origins: what a tenant's `allowed_origins` entry may be, and whether a request's origin matches one.

Each entry is an origin, `scheme://host[:port]` (http or https, no path, no trailing slash; the
default port may be left out), or the same with `*` as the port, meaning any port of that host:
`http://localhost:*` for dev servers. Hosts are never wildcarded.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

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
