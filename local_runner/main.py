"""`python -m local_runner [--port 3000] [--state-dir .local]`: the API of template.yaml on loopback.

template.yaml -> moto (table, queues, secret; with `--dynamodb local`, the table on DynamoDB Local)
-> every function's environment -> the routes on http://127.0.0.1:PORT -> the stream and queue
triggers -> a demo tenant and user. See docs/LOCAL.md.
"""

import argparse
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

from local_runner import bus, environments, esm, pages, provision, seed, template, ttl
from local_runner.aws import DynamoDBLocal, Moto, Unavailable, use_safe_environment
from local_runner.invoke import REGION
from local_runner.mail import Outbox
from local_runner.server import Gateway, Server


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("at least 1")
    return value


LOOPBACK_SETTING = "WEBHOOK_ALLOW_LOOPBACK"  # the runner's alone: tests/unit/test_ssrf.py checks the template
FUNCTION_LOG = "functions.log"  # in the state dir: what the functions print (`--function-logs file`)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m local_runner", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=3000, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--state-dir", default=".local", help="where credentials.json and stack.json go")
    parser.add_argument("--log-level", help="the functions' POWERTOOLS_LOG_LEVEL (default: the template's)")
    parser.add_argument(
        "--max-environments",
        type=_positive,
        default=environments.DEFAULT_LIMIT,
        help="execution environments per function at most; a request that finds them all busy waits "
        f"(default {environments.DEFAULT_LIMIT})",
    )
    parser.add_argument(
        "--dynamodb",
        choices=("moto", "local"),
        default="moto",
        help="where DynamoDB and its streams run: moto (default) or AWS's DynamoDB Local (`make ddblocal`)",
    )
    parser.add_argument(
        "--function-logs",
        choices=("file", "console"),
        default="file",
        help=f"where the functions' log lines go: STATE_DIR/{FUNCTION_LOG} (default), or this console",
    )
    parser.add_argument(
        "--stop-on-stdin-eof",
        action="store_true",
        help="also stop when stdin closes (a parent that pipes stdin takes the runner with it when it dies)",
    )
    return parser.parse_args(argv)


def _banner(creds: dict[str, Any], aws: str, state_dir: Path, logs_in_file: bool) -> str:
    api, sk, pk, tid = creds["api_url"], creds["secret_key"], creds["publishable_key"], creds["tenant_id"]
    user = creds["demo_user"]
    admin = f'-H "Authorization: Bearer {sk}" -H "X-Tenant-ID: {tid}"'
    public = f'-H "Authorization: Bearer {pk}" -H "X-Tenant-ID: {tid}"'
    sign_in = f'{{"email": "{user["email"]}", "password": "{user["password"]}"}}'
    logs = (
        f"Function logs (their JSON lines, metrics, tracebacks): {state_dir / FUNCTION_LOG}"
        if logs_in_file
        else "Function logs: in this console"
    )
    return f"""
HelloJohn Users, local: {api}   (AWS: {aws})
  tenant           {tid}
  secret key       {sk}
  publishable key  {pk}
  demo user        {user["email"]} / {user["password"]}   ({user["id"]})
  saved in         {state_dir / seed.CREDENTIALS}   (eval "$(.venv/bin/python -m local_runner.env)")

Try:
  curl -s {api}/v1/users/{user["id"]} {admin}
  curl -s -X POST {api}/v1/auth/sign-in {public} -H "Content-Type: application/json" -d '{sign_in}'
  curl -s -X PATCH {api}/v1/users/{user["id"]} {admin} -H "Content-Type: application/json" \\
       -d '{{"email": "demo.new@example.com"}}'
  curl -s {api}/_local/emails     # the verification email (its link opens {api}/verify-email), and
                                  # the notice to the old address (its link: /cancel-email-change)
  curl -s {api}/_local/events     # the change events the EventBridge bus delivered

The React example app (sdk/js/example; sign in as the demo user), in another shell:
  cd sdk/js && npm ci && VITE_HJ_API_URL={api} VITE_HJ_TENANT_ID={tid} \\
       VITE_HJ_PUBLISHABLE_KEY={pk} npm run example:dev
{logs}
Ctrl-C stops.
"""


class Runner:
    """The stack of one run: moto, the resources, the HTTP server, the triggers; `close` undoes it."""

    def __init__(self, port: int, state_dir: Path, stop: threading.Event, dynamodb: str = "moto") -> None:
        self.fns = template.functions()
        self.gateway = Gateway([f for f in self.fns if f.routes])
        self.server = Server(port, self.gateway)  # first: a taken port fails before any work
        self.state_dir = state_dir
        self.stop = stop
        self.moto = Moto()
        self.pool: environments.Pool | None = None
        self.check_failed = ""
        self.dynamodb_local = DynamoDBLocal() if dynamodb == "local" else None
        self.pollers: list[esm.Poller] = []
        self.serving: threading.Thread | None = None

    def start(
        self, log_level: str | None, limit: int = environments.DEFAULT_LIMIT, function_logs: str = "file"
    ) -> dict[str, Any]:
        """Everything up and serving; the credentials (also written to credentials.json)."""
        if self.dynamodb_local is not None:
            self.dynamodb_local.launch()  # the JVM starts while moto does
        moto_url = self.moto.start()
        use_safe_environment(moto_url)
        aws = f"moto at {moto_url}"
        dynamodb_url = None
        if self.dynamodb_local is not None:  # DynamoDB and its streams there, the rest on moto
            dynamodb_url = self.dynamodb_local.ready()
            use_safe_environment(moto_url, dynamodb=dynamodb_url)
            aws = f"DynamoDB Local at {dynamodb_url}, the rest on moto at {moto_url}"
        outbox = Outbox()
        refs = provision.create_all()
        overrides = {"POWERTOOLS_LOG_LEVEL": log_level} if log_level else {}
        overrides[LOOPBACK_SETTING] = (
            "true"  # webhooks to http://127.0.0.1 (docs/WEBHOOKS.md); never deployed
        )
        env = {**provision.environment(self.fns, refs), **overrides}
        os.environ.update(env)  # this process's (the seed's), and the forkserver's the environments come from
        base = {k: v for k, v in os.environ.items() if k not in env}
        own = {
            f.logical_id: {**base, **provision.function_environment(f, refs), **overrides} for f in self.fns
        }
        log = self.state_dir / FUNCTION_LOG if function_logs == "file" else None
        if log is not None:
            log.write_text("")  # this run's: every start is a fresh stack
        self.pool = environments.Pool(self.fns, own, limit, on_emails=outbox.add, log=log)
        self.gateway.invoke = self.pool.invoke
        checked = threading.Thread(target=self._check, name="check", daemon=True)
        checked.start()  # meanwhile the seed's request is the first cold start
        creds = seed.seed(self.gateway, self.server.url)
        checked.join()
        if self.check_failed:  # a broken handler fails the start, not a request
            raise RuntimeError(self.check_failed)
        [bus_id] = template.resources("AWS::Events::EventBus")
        self.gateway.local_pages.update(
            {
                "/_local/emails": pages.json_page(outbox.all),
                "/_local/events": pages.json_page(bus.Tap(refs[bus_id]).all),
                "/_local/environments": pages.json_page(self.pool.stats),
                "/_local/health": pages.json_page(lambda: {"status": "ok"}),
                **{
                    path: pages.token_page(path, creds["tenant_id"], creds["publishable_key"])
                    for path in pages.TOKEN_PAGES
                },
            }
        )
        self.pollers = esm.start_all(self.fns, refs, self.stop, self.pool.invoke)
        [table_id] = template.resources("AWS::DynamoDB::Table")
        ttl.Sweeper(refs[table_id], self.stop).start()  # DynamoDB's TTL, emulated (local_runner.ttl)
        self.serving = threading.Thread(
            target=self.server.serve_forever, args=(0.1,), name="http", daemon=True
        )
        self.serving.start()
        stack = {
            "api_url": self.server.url,
            "endpoint_url": moto_url,
            "dynamodb_endpoint_url": dynamodb_url,  # None: DynamoDB is moto's too
            "region": REGION,
            "pid": os.getpid(),
            "resources": refs,
            "environment": env,
        }
        seed.write_json(self.state_dir / seed.STACK, stack)
        seed.write_json(self.state_dir / seed.CREDENTIALS, creds)  # last: its presence means "ready"
        print(_banner(creds, aws, self.state_dir, function_logs == "file"))
        return creds

    def _check(self) -> None:
        try:
            if self.pool is not None:
                self.pool.check()
        except RuntimeError as exc:
            self.check_failed = str(exc)

    def close(self) -> None:
        self.stop.set()
        if self.serving is not None:
            self.server.shutdown()
        self.server.server_close()
        if self.pool is not None:
            self.pool.close()
        for poller in self.pollers:
            poller.join(timeout=5)
        self.moto.stop()
        if self.dynamodb_local is not None:
            self.dynamodb_local.stop()
        seed.clear(self.state_dir)


def _stop_on_eof(stop: threading.Event) -> None:
    # os.read, not sys.stdin: a buffered reader's lock held by a daemon thread aborts the interpreter's exit
    while os.read(sys.stdin.fileno(), 4096):
        pass
    stop.set()


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    state_dir = Path(args.state_dir)
    stop = threading.Event()

    def on_signal(signum: int, _: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    if args.stop_on_stdin_eof:
        threading.Thread(target=_stop_on_eof, args=(stop,), name="stdin", daemon=True).start()
    started = time.monotonic()
    try:
        runner = Runner(args.port, state_dir, stop, args.dynamodb)
    except OSError as exc:  # another runner's state, if any, is left as it is
        print(f"cannot listen on 127.0.0.1:{args.port}: {exc} (is another runner using it?)", file=sys.stderr)
        return 1
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        seed.clear(state_dir)  # only now that the port is ours
        try:
            runner.start(args.log_level, args.max_environments, args.function_logs)
        except Unavailable as exc:
            print(f"cannot start: {exc}", file=sys.stderr)
            return 1
        print(f"ready in {time.monotonic() - started:.1f} s")
        # with a timeout: a signal delivered to another thread runs its handler only when the main
        # thread next executes Python code, which an untimed wait would never do
        while not stop.wait(0.2):
            pass
        print("stopping")
        return 0
    finally:
        runner.close()
