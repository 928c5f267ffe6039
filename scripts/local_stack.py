"""The running local runner's stack, for the scripts that act on it (`make tenant`, `make invoke`),
and how they answer."""

import json
import os
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


class Refused(Exception):
    """A reason to stop, for the person at the terminal."""


def answer(target: str, act: Callable[[], Any]) -> int:
    """The end of `make <target>`: what `act` returns, as JSON on stdout (exit 0), or the reason it
    refused, on stderr (exit 1)."""
    try:
        result = act()
    except Refused as exc:
        print(f"make {target}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


def _reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=1):
            return True
    except OSError:
        return False


def attach(state_dir: Path) -> dict[str, Any]:
    """boto3 pointed at the running runner's AWS, the functions' environment set; its stack.json."""
    path = state_dir / "stack.json"
    if not path.exists():
        raise Refused(f"the local runner is not running ({path} not found): start it with `make run`")
    stack: dict[str, Any] = json.loads(path.read_text())
    if not _reachable(stack["endpoint_url"]):
        raise Refused(
            f"the local runner is not running ({stack['endpoint_url']} unreachable): start `make run`"
        )
    from local_runner.aws import use_safe_environment

    os.environ.update(stack["environment"])
    use_safe_environment(stack["endpoint_url"], stack["region"], stack.get("dynamodb_endpoint_url"))
    return stack
