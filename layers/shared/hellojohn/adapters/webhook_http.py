"""One webhook POST, to the address that was checked (docs/WEBHOOKS.md, "No SSRF").

The standard library's `http.client` over a socket this module connects: the host is resolved
once, every answer checked (`hellojohn.ssrf`), and the connection made to the checked address,
with TLS's SNI and certificate check and the `Host` header set to the URL's name, so the address
checked is the one used (a library that resolves the name itself would look it up again: a DNS
answer that changes in between, DNS rebinding, would reach whatever it names). No redirect is
followed (http.client follows none). The whole attempt, connect to status line, has one deadline:
a watchdog shuts the socket at `timeout` seconds, so an endpoint that trickles a byte at a time
cannot hold the worker longer than that.
"""

import contextlib
import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from functools import cache

from hellojohn import ssrf


@dataclass(frozen=True)
class Answer:
    status: int | None  # the HTTP status, or None when there was none (`error` says why)
    error: str | None
    duration_ms: int


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def resolve_host(host: str, port: int) -> list[str]:
    """The resolver in use (the tests replace `system_resolver` to play a DNS answer)."""
    return system_resolver(host, port)


@cache
def _tls() -> ssl.SSLContext:
    return ssl.create_default_context()


def post(  # noqa: PLR0911 - one return per way an attempt ends
    url: str,
    headers: dict[str, str],
    body: bytes,
    timeout: float,
    allow_loopback: bool = False,
    resolver: ssrf.Resolver | None = None,
) -> Answer:
    """POSTs `body`; the status, or the error that stopped the attempt (refused address included)."""
    started = time.monotonic()

    def answer(status: int | None, error: str | None = None) -> Answer:
        return Answer(status, error, int((time.monotonic() - started) * 1000))

    try:
        target = ssrf.check_url(url, allow_loopback)
        address = ssrf.resolve(target, resolver or resolve_host, allow_loopback)
    except ssrf.Refused as exc:
        return answer(None, f"refused: {exc}")
    except OSError:
        return answer(None, "dns: the host did not resolve")
    fired = threading.Event()
    sock: socket.socket | None = None
    watchdog: threading.Timer | None = None
    try:
        sock = socket.create_connection((str(address), target.port), timeout=timeout)
        raw = sock

        def expire() -> None:
            fired.set()
            with contextlib.suppress(OSError):
                raw.shutdown(socket.SHUT_RDWR)

        watchdog = threading.Timer(max(0.0, timeout - (time.monotonic() - started)), expire)
        watchdog.daemon = True
        watchdog.start()
        if target.scheme == "https":
            sock = _tls().wrap_socket(sock, server_hostname=target.host)
        connection = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
        connection.sock = sock
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Host": target.host_header, "Connection": "close"},
        )
        response = connection.getresponse()
        status = response.status
        response.close()
        return answer(status)
    except TimeoutError:
        return answer(None, "timeout")
    except ssl.SSLError as exc:
        return answer(None, "timeout" if fired.is_set() else f"tls: {exc.reason or 'handshake failed'}")
    except (OSError, http.client.HTTPException) as exc:
        if fired.is_set():
            return answer(None, "timeout")
        return answer(None, f"connection: {type(exc).__name__}")
    finally:
        if watchdog is not None:
            watchdog.cancel()
        if sock is not None:
            sock.close()
