"""Which webhook URLs and addresses the service may connect to (docs/WEBHOOKS.md, "No SSRF").

Pure: no network. A URL is checked when an endpoint is created or changed (`check_url`), and its
host's addresses again at every delivery (`check_address`, on the answer `resolve` got), so a
DNS answer that moved to a private address fails that attempt; the delivery then connects to the
address that was checked, never to a second lookup's.

Allowed: `https://` to a public address (IPv4 or IPv6, by name or literal), no credentials in the
URL. Refused: every address Python's `ipaddress` does not call global (private, loopback,
link-local with the metadata service 169.254.169.254, shared and reserved ranges, 0.0.0.0 and
`::`), multicast, and an IPv6 address that embeds an IPv4 one (mapped `::ffff:a.b.c.d`, NAT64,
6to4, Teredo) whose IPv4 address is refused. `allow_loopback` (the local runner's setting, which
the template never sets) also allows `http://` and `https://` to 127.0.0.1, ::1 and localhost, and
nothing else that is not public.
"""

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

LOCAL_NAMES = frozenset({"localhost"})
MAX_URL_LENGTH = 2048
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Refused(ValueError):
    """The URL or address may not be called; the message says why (no secret in it)."""


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect and what to ask for."""

    scheme: str
    host: str  # the name (or literal) as written, lower case, IPv6 without brackets
    port: int
    path: str  # with the query

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == default else f"{name}:{self.port}"


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo's client, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in ipaddress.IPv6Network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def check_address(address: IPAddress, allow_loopback: bool = False) -> None:
    """Refused unless the address is public (or loopback, when allowed)."""
    mapped = isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None
    if allow_loopback and address.is_loopback and not mapped:
        return
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_v4(address)
        if inner is not None:
            check_address(inner, allow_loopback=False)
    if address.is_multicast or not address.is_global or address.is_unspecified:
        raise Refused(f"{address} is not a public address")


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def check_url(url: str, allow_loopback: bool = False) -> Target:
    """The URL's target, or Refused: the scheme, credentials, host and (for a literal) address."""
    if len(url) > MAX_URL_LENGTH:
        raise Refused(f"is longer than {MAX_URL_LENGTH} characters")
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        raise Refused("has whitespace or control characters")
    try:
        parts: SplitResult = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Refused("is not a URL") from exc
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    local = allow_loopback and (host in LOCAL_NAMES or bool((a := _literal(host)) and a.is_loopback))
    if scheme != "https" and not (scheme == "http" and local):
        raise Refused("must be an https:// URL")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise Refused("must not hold credentials")
    if not host:
        raise Refused("has no host")
    if parts.fragment:
        raise Refused("must not have a fragment")
    if host in LOCAL_NAMES and not local:
        raise Refused(f"{host} is not a public address")
    address = _literal(host)
    if address is not None:
        check_address(address, allow_loopback)
    elif not (local or _is_dns_name(host)):
        raise Refused("has a host that is neither a DNS name nor an IP address")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme, host, port or (443 if scheme == "https" else 80), path)


def _is_dns_name(host: str) -> bool:
    """Letters, digits and hyphens in dot-separated labels (an IDN in its punycode form), with a
    dot: a bare word would be resolved against the search domains of wherever it runs."""
    labels = host.rstrip(".").split(".")
    if len(labels) < 2 or len(host) > 253:
        return False
    allowed = set("abcdefghijklmnopqrstuvwxyz0123456789-")
    return all(0 < len(x) <= 63 and set(x) <= allowed and x[0] != "-" and x[-1] != "-" for x in labels)


Resolver = Callable[[str, int], list[str]]  # host, port -> the addresses, as text


def resolve(target: Target, resolver: Resolver, allow_loopback: bool = False) -> IPAddress:
    """The address to connect to: the first of the host's answer, every one of which must pass
    (a name with one private address among public ones is refused whole)."""
    literal = _literal(target.host)
    if literal is not None:
        check_address(literal, allow_loopback)
        return literal
    answers = [ipaddress.ip_address(a.split("%", 1)[0]) for a in resolver(target.host, target.port)]
    if not answers:
        raise Refused(f"{target.host} has no address")
    if allow_loopback and target.host in LOCAL_NAMES:
        answers = [a for a in answers if a.is_loopback] or answers
    for address in answers:
        check_address(address, allow_loopback)
    return answers[0]
