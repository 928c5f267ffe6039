"""End-to-end fixtures: the real local runner (`python -m local_runner`) as a subprocess, over HTTP.

One runner per test session: under pytest-xdist, one per worker, each on its own free port (the
runner is started with `--port 0` and reports its URL in credentials.json) and its own state dir.
Tests share it, so each uses its own users (unique emails) or its own tenant (`new_tenant`).

`pytest tests/e2e --dynamodb local` runs the same tests with DynamoDB and its streams on AWS's
DynamoDB Local (`--dynamodb local` of the runner; `make pytest` runs both).
"""

import http.client
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from local_runner.aws import safe_environment
from tests.conftest import PASSWORD, Tenant

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 180  # seconds; two runners starting at once on two cores take ~10 s (a busy machine: more)


@dataclass
class Reply:
    status: int
    headers: Message
    body: Any

    @property
    def error(self) -> str | None:
        return self.body["error"]["code"] if isinstance(self.body, dict) and "error" in self.body else None

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


class Http:
    """A tiny client: every request is a fresh connection; every reply must carry X-Request-ID."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.base_url = base_url

    def __call__(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        raw: str | bytes | None = None,
    ) -> Reply:
        hdrs = dict(headers or {})
        payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
        if payload is not None:
            hdrs.setdefault("Content-Type", "application/json")
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request(method, path, body=payload, headers=hdrs)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        assert response.headers.get("X-Request-ID"), f"{method} {path}: no X-Request-ID"
        text = data.decode()
        is_json = (response.headers.get("Content-Type") or "").startswith("application/json")
        return Reply(
            response.status, response.headers, json.loads(text) if text and is_json else text or None
        )


@dataclass
class Runner:
    api_url: str
    state_dir: Path
    credentials: dict[str, Any]

    @property
    def demo(self) -> Tenant:
        c = self.credentials
        return Tenant(c["tenant_id"], c["secret_key"], c["publishable_key"])


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--dynamodb",
        choices=("moto", "local"),
        default="moto",
        help="the e2e runner's DynamoDB: moto (default) or DynamoDB Local (`make ddblocal` installs it)",
    )


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    """Where the runner's DynamoDB runs: "moto" or "local" (DynamoDB Local)."""
    return str(request.config.getoption("dynamodb"))


def launch(state: Path, *args: str) -> subprocess.Popen[bytes]:
    """`python -m local_runner --port 0 --state-dir STATE --stop-on-stdin-eof ARGS`, its output in
    STATE/runner.log; `ready` waits for it."""
    with (state / "runner.log").open("w") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "local_runner",
                "--port",
                "0",
                "--state-dir",
                str(state),
                "--stop-on-stdin-eof",
                *args,
            ],
            cwd=ROOT,
            env=safe_environment(os.environ),
            stdin=subprocess.PIPE,  # if this process dies, the pipe closes and the runner stops
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def ready(proc: subprocess.Popen[bytes], state: Path) -> Runner:
    """The launched runner once credentials.json is written (the test fails if it exits first)."""
    credentials = state / "credentials.json"
    deadline = time.monotonic() + START_TIMEOUT
    while not credentials.exists():
        if proc.poll() is not None:
            pytest.fail(f"the local runner exited with {proc.returncode}:\n{_tail(state / 'runner.log')}")
        if time.monotonic() > deadline:
            pytest.fail(
                f"the local runner was not ready in {START_TIMEOUT} s:\n{_tail(state / 'runner.log')}"
            )
        time.sleep(0.1)
    creds = json.loads(credentials.read_text())
    return Runner(creds["api_url"], state, creds)


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (its children, theirs, …), from /proc."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        for task in Path(f"/proc/{todo.pop()}/task").glob("*"):
            try:
                children = {int(c) for c in (task / "children").read_text().split()}
            except OSError:
                continue
            todo += children - found
            found |= children
    return found


def alive(pids: set[int]) -> set[int]:
    """Those of `pids` still running (a zombie has ended: only its exit status is left)."""
    running = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state not in ("Z", "X"):
            running.add(pid)
    return running


def gone(pids: set[int], timeout: float = 10.0) -> set[int]:
    """`alive(pids)` once it is empty or `timeout` has passed."""
    deadline = time.monotonic() + timeout
    while (left := alive(pids)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


@contextmanager
def started_runner(state: Path, *args: str) -> Iterator[Runner]:
    """A runner (`launch`'s ARGS) with `state` as its state dir until the block ends; then SIGINT,
    a clean exit, and no process of its own left (its execution environments, the forkserver)."""
    proc = launch(state, *args)
    credentials = state / "credentials.json"
    children: set[int] = set()
    try:
        yield ready(proc, state)
    finally:
        if proc.poll() is None:
            children = descendants(proc.pid)
            proc.send_signal(signal.SIGINT)
        try:
            code: int | None = proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            code = None
    log = state / "runner.log"
    assert code == 0, f"the local runner did not stop cleanly on SIGINT ({code}):\n{_tail(log)}"
    assert not credentials.exists() and not (state / "stack.json").exists(), "state files left behind"
    assert not gone(children), f"processes of the runner left after it stopped: {alive(children)}"


@pytest.fixture(scope="session")
def runner(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[Runner]:
    """The runner the end-to-end tests share (one per pytest-xdist worker), on `backend`."""
    with started_runner(tmp_path_factory.mktemp("local-runner"), "--dynamodb", backend) as started:
        yield started


@pytest.fixture(scope="session")
def api(runner: Runner) -> Http:
    return Http(runner.api_url)


@pytest.fixture(scope="session")
def demo(runner: Runner) -> Tenant:
    return runner.demo


@dataclass
class NamedTenant(Tenant):
    name: str = ""


def make_tenant(runner: Runner, name: str, *args: str) -> NamedTenant:
    """`python -m scripts.tenant` against the running runner (what `make tenant NAME=…` runs)."""
    out = subprocess.run(
        [sys.executable, "-m", "scripts.tenant", "--name", name, "--state-dir", str(runner.state_dir), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    created = json.loads(out.stdout.strip().splitlines()[-1])
    return NamedTenant(created["tenant_id"], created["secret_key"], created["publishable_key"], name)


@pytest.fixture(scope="session")
def other_tenant(runner: Runner) -> Tenant:
    return make_tenant(runner, "Globex")


@pytest.fixture
def new_tenant(runner: Runner) -> NamedTenant:
    """A tenant of its own, for tests whose fixed addresses (the seed's) must not meet each other."""
    return make_tenant(runner, f"Seed {uuid.uuid4().hex[:8]}")


def unique_email(label: str = "user") -> str:
    return f"{label}.{uuid.uuid4().hex[:12]}@example.com"


UserFactory = Callable[..., dict[str, Any]]


@pytest.fixture
def create_user(api: Http) -> UserFactory:
    def create(
        tenant: Tenant, email: str | None = None, password: str = PASSWORD, **fields: Any
    ) -> dict[str, Any]:
        body = {"email": email or unique_email(), "password": password, **fields}
        reply = api("POST", "/v1/users", body, tenant.admin())
        assert reply.status == 201, reply.body
        return dict(reply.body)

    return create


def sign_in(api: Http, tenant: Tenant, email: str, password: str = PASSWORD) -> dict[str, Any]:
    reply = api("POST", "/v1/auth/sign-in", {"email": email, "password": password}, tenant.public())
    assert reply.status == 200, reply.body
    return dict(reply.body["session"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def emails(api: Http, to: str, about: str = "") -> list[dict[str, Any]]:
    """The emails to `to` (whose subject contains `about`) listed at /_local/emails, oldest first."""
    reply = api("GET", "/_local/emails")
    assert reply.status == 200
    return [e for e in reply.body if e["to"] == to and about in e["subject"]]


def wait_for_email(
    api: Http, to: str, about: str = "", count: int = 1, timeout: float = 10.0
) -> list[dict[str, Any]]:
    """`emails(api, to, about)`, once there are `count` of them."""
    deadline = time.monotonic() + timeout
    while True:
        found = emails(api, to, about)
        if len(found) >= count or time.monotonic() > deadline:
            assert len(found) >= count, f"{len(found)} email(s) to {to} after {timeout} s"
            return found
        time.sleep(0.1)


def assert_error(reply: Reply, status: int, code: str) -> None:
    """The contract's one error shape, with the response's request id."""
    assert reply.status == status, reply.body
    error = reply.body["error"]
    assert error["code"] == code, reply.body
    assert error["status"] == status
    assert error["message"]
    assert error["request_id"] == reply.header("X-Request-ID")
    assert isinstance(error["details"], list)
