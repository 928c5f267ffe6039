"""moto's server, each request applied atomically (as DynamoDB applies each write): for races
between processes, so that it is the service's conditions, not moto, that decide who wins.

    python -m tests.security.moto_server PORT_FILE
"""

import sys
import threading
from pathlib import Path
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server


class Atomic:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        with self.lock:
            return list(self.app(environ, start_response))


def main() -> None:
    server = make_server(
        "127.0.0.1",
        0,
        Atomic(DomainDispatcherApplication(create_backend_app)),
        threaded=True,
        request_handler=MotoRequestHandler,
    )
    Path(sys.argv[1]).write_text(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
