"""`make invoke FN=UsersUpdateFunction EVENT=events/users_update.json`: one function, one event, no Docker.

    python -m scripts.invoke UsersUpdateFunction events/users_update.json
    python -m scripts.invoke users_update events/users_update.json --set user_id=usr_01J…

The function runs in this process, as the local runner's own environments run it (its handler
imported from its CodeUri, the SnapStart hooks, a Lambda context), against the running local
stack (`make run`: `.local/stack.json`); what it writes is in that stack, so its stream and queue
work follows there as for any request. The event's `{{placeholder}}`s (events/README.md) are
filled from the runner's demo tenant and user; `session_id`, `access_token` and `refresh_token`
from a sign-in of the demo user, made only when the event asks for one; anything else with
`--set name=value`. The LAST line printed is the function's result, as JSON.
"""

import argparse
import http.client
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scripts import local_stack
from scripts.local_stack import Refused

PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")  # the samples' placeholders (events/README.md)


def fill(text: str, value: Callable[[str], str]) -> dict[str, Any]:
    """A sample's text with each placeholder replaced by `value(name)`, parsed."""
    event: dict[str, Any] = json.loads(PLACEHOLDER.sub(lambda m: value(m.group(1)), text))
    return event


class Values:
    """The placeholders' values for the running stack, each made only when an event asks for it."""

    SESSION = ("session_id", "access_token", "refresh_token")

    def __init__(self, credentials: dict[str, Any], given: dict[str, str]) -> None:
        user = credentials["demo_user"]
        self.credentials = credentials
        self.known: dict[str, str] = {
            "tenant_id": credentials["tenant_id"],
            "secret_key": credentials["secret_key"],
            "publishable_key": credentials["publishable_key"],
            "user_id": user["id"],
            "email": user["email"],
            "password": user["password"],
            **given,
        }

    def __call__(self, name: str) -> str:
        if name not in self.known and name in self.SESSION:
            self.known.update(self._sign_in())
        if name not in self.known:
            raise Refused(
                f"the event needs {{{{{name}}}}}: pass --set {name}=… (events/README.md says where)"
            )
        return self.known[name]

    def _sign_in(self) -> dict[str, str]:
        """A new session of the user the event names (the demo user unless `--set email=…`)."""
        parts = urlsplit(self.credentials["api_url"])
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=30)
        body = json.dumps({"email": self.known["email"], "password": self.known["password"]})
        headers = {
            "Authorization": f"Bearer {self.known['publishable_key']}",
            "X-Tenant-ID": self.known["tenant_id"],
            "Content-Type": "application/json",
        }
        try:
            conn.request("POST", "/v1/auth/sign-in", body=body, headers=headers)
            reply = conn.getresponse()
            payload = json.loads(reply.read() or b"{}")
        finally:
            conn.close()
        if reply.status != 200:
            raise Refused(
                f"signing in {self.known['email']} for the event's session: {reply.status} {payload}"
            )
        session = payload["session"]
        return {
            "session_id": session["id"],
            "access_token": session["access_token"],
            "refresh_token": session["refresh_token"],
        }


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scripts.invoke", description=__doc__.split("\n")[0])
    parser.add_argument(
        "function", help="the function's logical id (UsersUpdateFunction) or folder (users_update)"
    )
    parser.add_argument("event", type=Path, help="the event file, e.g. events/users_update.json")
    parser.add_argument("--state-dir", default=".local", help="the local runner's state directory")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a placeholder's value (repeatable), e.g. --set verification_token=…",
    )
    return parser.parse_args(argv)


def invoke(args: argparse.Namespace) -> Any:
    from local_runner import functions, template
    from local_runner.invoke import LambdaContext

    wanted = [f for f in template.functions() if args.function in (f.logical_id, f.code_dir.name)]
    if not wanted:
        raise Refused(f"no function {args.function!r} in template.yaml")
    if not args.event.is_file():
        raise Refused(f"no event file {args.event}")
    given = dict(item.partition("=")[::2] for item in args.set)
    state_dir = Path(args.state_dir)
    local_stack.attach(state_dir)
    credentials = json.loads((state_dir / "credentials.json").read_text())
    event = fill(args.event.read_text(), Values(credentials, given))
    [function] = wanted
    handler = functions.handler(function)
    return handler(event, LambdaContext.of(function))


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    return local_stack.answer("invoke", lambda: invoke(args))


if __name__ == "__main__":
    raise SystemExit(main())
