"""The HTTP side: every route template.yaml declares, served on loopback as API Gateway serves it.

Each request becomes an API Gateway proxy event (REST API, as `sam local start-api` builds it)
for the function that declares the route; the function's proxy result becomes the response. A
path or method the template does not declare is 404 `not_found` in the contract's error shape
(the template's gateway response for MISSING_AUTHENTICATION_TOKEN). The standard library's
ThreadingHTTPServer (a thread per connection, a listen backlog of REQUEST_QUEUE_SIZE) adds no
dependency to the runner; the runner's `Gateway` invokes through the functions' execution
environments (`environments.Pool`), so requests run concurrently as on Lambda. Without a pool
(the fuzzer's in-process gateway) it invokes in this process (`invoke.invoke`).
"""

import base64
import json
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from local_runner import events
from local_runner.environments import EnvironmentDied, FunctionError, Unavailable
from local_runner.invoke import invoke
from local_runner.template import Function, Route

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
REQUEST_QUEUE_SIZE = 1024  # the listen backlog (the standard library's default, 5, resets a burst)
Invoke = Callable[[Function, dict[str, Any]], Any]
JSON = "application/json"


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


LocalPage = Callable[[dict[str, list[str]]], Reply]


def error_reply(status: int, code: str, message: str, request_id: str) -> Reply:
    """The runner's own refusals (no route, a body too large, a crashed function), in the API's shape."""
    from hellojohn.errors import ApiError

    payload = ApiError(status, code, message).payload(request_id)
    return Reply(status, [("Content-Type", JSON), ("X-Request-ID", request_id)], json.dumps(payload).encode())


def json_reply(value: Any) -> Reply:
    request_id = str(uuid.uuid4())
    return Reply(
        200, [("Content-Type", JSON), ("X-Request-ID", request_id)], json.dumps(value, indent=2).encode()
    )


class Gateway:
    """Routes as API Gateway does: the template's routes (static segments before parameters)."""

    def __init__(
        self,
        functions: list[Function],
        local_pages: dict[str, LocalPage] | None = None,
        invoker: Invoke = invoke,
    ) -> None:
        self.routes: list[tuple[Route, Function]] = events.route_table(functions)
        self.local_pages = dict(local_pages or {})
        self.invoke = invoker

    def handle(
        self,
        method: str,
        target: str,
        headers: events.Headers,
        body: bytes,
        source_ip: str = "127.0.0.1",
    ) -> Reply:
        """The reply to one request. The path is routed as sent, not URL-decoded (API Gateway REST
        does not decode `%2F` into a separator); the body goes on as bytes, for `events.api_event`
        to hand over as API Gateway does."""
        parts = urlsplit(target)
        path = parts.path or "/"
        query = parse_qs(parts.query, keep_blank_values=True)
        page = self.local_pages.get(path)
        if page is not None and method in ("GET", "HEAD"):
            return page(query)
        found = events.find_route(self.routes, method, path)
        if found is None:
            return error_reply(404, "not_found", "No such route", str(uuid.uuid4()))
        route, function, params = found
        event = events.api_event(
            route,
            path,
            headers=headers,
            body=body,
            query=query,
            path_params=params,
            source_ip=source_ip,
        )
        request_id = event["requestContext"]["requestId"]
        try:
            return _proxy_reply(self.invoke(function, event), request_id)
        except Exception as exc:
            return _failure(exc, request_id)


def _failure(exc: Exception, request_id: str) -> Reply:
    """What the runner answers when the invocation did not return: a handler that raised (its
    environment printed the traceback; in process, it is printed here) or an environment that died
    is 500 `internal_error` (API Gateway would say 502); no environment free in time is 503
    `service_unavailable` with Retry-After."""
    if isinstance(exc, Unavailable):
        print(f"! {exc}", flush=True)
        reply = error_reply(503, "service_unavailable", "No environment of the function is free", request_id)
        reply.headers.append(("Retry-After", "1"))
        return reply
    if isinstance(exc, EnvironmentDied):
        print(f"! {exc}", flush=True)
        message = "The function's environment ended; see the function logs"
    else:
        if not isinstance(exc, FunctionError):
            traceback.print_exception(exc)
        message = "The function failed; see the function logs"
    return error_reply(500, "internal_error", message, request_id)


def _proxy_reply(result: dict[str, Any], request_id: str) -> Reply:
    """A Lambda proxy result as API Gateway sends it (single- and multi-value headers merged)."""
    headers: list[tuple[str, str]] = []
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers += [(name, str(v)) for v in values]
    seen = {name.lower() for name, _ in headers}
    headers += [(k, str(v)) for k, v in (result.get("headers") or {}).items() if k.lower() not in seen]
    if not any(name.lower() == "x-request-id" for name, _ in headers):
        headers.append(("X-Request-ID", request_id))
    text = result.get("body") or ""
    body = base64.b64decode(text) if result.get("isBase64Encoded") else str(text).encode()
    return Reply(int(result.get("statusCode", 200)), headers, body)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hellojohn-local"
    server: "Server"

    def _serve(self) -> None:
        started = time.monotonic()
        body = self._body()
        if body is None:
            reply = error_reply(413, "payload_too_large", "The request body is too large", str(uuid.uuid4()))
        else:
            headers = list(self.headers.items())  # every line: a repeated header is multi-valued
            reply = self.server.gateway.handle(self.command, self.path, headers, body, self.client_address[0])
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)
        if not self.path.startswith("/_local/"):
            elapsed = (time.monotonic() - started) * 1000
            print(
                f"{self.command} {urlsplit(self.path).path} -> {reply.status} ({elapsed:.0f} ms)", flush=True
            )

    def _body(self) -> bytes | None:
        """The request body (chunked or sized); None when it is over the limit."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            total = 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > MAX_BODY_BYTES:
                    self.close_connection = True
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            return None
        return self.rfile.read(length) if length > 0 else b""

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_OPTIONS = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: `_serve` prints one line per request."""


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = REQUEST_QUEUE_SIZE

    def __init__(self, port: int, gateway: Gateway) -> None:
        self.gateway = gateway
        super().__init__(("127.0.0.1", port), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"
