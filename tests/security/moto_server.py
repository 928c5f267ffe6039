"""moto's server, each request applied atomically (as DynamoDB applies each write): for races
between processes, so that it is the service's conditions, not moto, that decide who wins.

    python -m tests.security.moto_server PORT_FILE
"""

import sys
from pathlib import Path

from local_runner.aws import moto_wsgi_server


def main() -> None:
    server = moto_wsgi_server()
    Path(sys.argv[1]).write_text(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
