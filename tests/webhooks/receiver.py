"""A webhook receiver on 127.0.0.1 for the tests: it records every POST (path, headers, body,
when) and answers each path by its script (`answers[path]`: a list of statuses, or "hang" to
say nothing for `hang_seconds`; the last entry repeats), then verifies with `standardwebhooks`."""

import http.server
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from standardwebhooks.webhooks import Webhook


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def verified(self, secret: str) -> dict[str, Any]:
        """The payload, verified by the Standard Webhooks package (raises when the signature fails)."""
        return dict(Webhook(secret).verify(self.body, self.headers))


@dataclass
class Receiver:
    answers: dict[str, list[int | str]] = field(default_factory=dict)
    hang_seconds: float = 1.5
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                got = Received(
                    self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic()
                )
                receiver.received.append(got)
                script = receiver.answers.get(self.path, [200])
                seen = sum(1 for r in receiver.received if r.path == self.path)
                answer = script[min(seen, len(script)) - 1]
                if answer == "hang":
                    time.sleep(receiver.hang_seconds)
                    answer = 200
                self.send_response(int(answer))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
