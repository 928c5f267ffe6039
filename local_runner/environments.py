"""Execution environments, as Lambda has them: per function, separate processes, each serving one
invocation at a time and reused for the next, sharing no module state with any other.

An invocation takes an idle environment of its function (the one used last: Lambda, too, reuses
warm environments) or, when there is none or every one is busy, a new one: a cold start, which
imports the handler from its CodeUri and runs the SnapStart hooks (`functions.handler`), up to
`limit` environments per function. So the first request of each function is a cold start, as
after a deploy; `check` imports every handler once at the runner's start (in a process of its
own, thrown away), so that a broken one fails the start, not a request.

At the limit a request waits for an environment to come free (the template reserves no
concurrency, so the deployed function would have started another; locally the limit caps the
machine's load), up to API Gateway's integration timeout, then `Unavailable`.

The processes come from a multiprocessing 'forkserver' with the heavy imports preloaded: the
runner's own process has threads (moto's server, HTTP), which a fork must not copy, and a fork of
the preloaded server is several times cheaper than a fresh interpreter ('spawn'; docs/LOCAL.md has
the numbers). Each child gets its function's environment variables, reaches moto over HTTP
(`AWS_ENDPOINT_URL`), and hands the emails SES accepted during an invocation back with its result
(`mail.Outbox`). A child ends when the runner closes the pool, and by itself when its pipe to the
runner closes (the runner died): no orphans.
"""

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.connection import wait as _wait
from pathlib import Path
from typing import Any

from local_runner.template import Function

DEFAULT_LIMIT = 10
WAIT_SECONDS = 29.0  # API Gateway's integration timeout
COLD_START_TIMEOUT = 120.0
PRELOAD = [
    "boto3",
    "botocore.session",
    "pydantic",
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.logging",
    "aws_lambda_powertools.metrics",
    "hellojohn.edge.resolver",
    "hellojohn.edge.snapstart",
    "local_runner.environments",
]
Emails = list[dict[str, Any]]


class FunctionError(Exception):
    """The handler raised; its traceback was printed by its environment. The message is its last line."""


class EnvironmentDied(Exception):
    """The environment's process ended during the invocation (killed, crashed); it is replaced."""


class Unavailable(Exception):
    """No environment came free within WAIT_SECONDS, or the runner is stopping."""


# -- the child ---------------------------------------------------------------------------------------


def _log_to(path: Path | None) -> None:
    """This process's stdout and stderr (the function's log lines, metrics, tracebacks) appended to
    `path`; None: left as they are (the runner's console)."""
    if path is None:
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def _check(functions: list[Function], conn: Connection, log: Path | None = None) -> None:
    """Every handler imported and its SnapStart hooks run, in this one process; then it ends."""
    from local_runner import functions as loader

    _log_to(log)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for function in functions:
            loader.handler(function)
    except BaseException:
        conn.send(("failed", traceback.format_exc()))
        return
    conn.send(("ready", time.process_time()))


def _child(function: Function, conn: Connection, env: dict[str, str], log: Path | None = None) -> None:
    """One execution environment: init (cold start), then invocations until told to stop or the
    runner is gone. Messages in: an event, or None (stop). Out: ("ready", CPU seconds) or ("failed", text)
    once, then per event ("ok", result, emails) or ("error", last line, emails)."""
    import boto3

    from local_runner import functions, invoke, mail

    _log_to(log)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the runner decides
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    os.environ.clear()
    os.environ.update(env)
    boto3.setup_default_session()
    outbox = mail.Outbox(echo=False)
    outbox.install(boto3.DEFAULT_SESSION)  # type: ignore[arg-type]
    try:
        functions.handler(function)
    except BaseException:
        conn.send(("failed", traceback.format_exc()))
        return
    conn.send(("ready", time.process_time()))
    while True:
        try:
            event = conn.recv()
        except (EOFError, OSError):  # the runner is gone
            event = None
        if event is None:  # ended at once, as Lambda ends an environment: nothing to wait for
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
        reply: tuple[str, Any, Emails]
        try:
            reply = ("ok", invoke.invoke(function, event), outbox.drain())
        except Exception as exc:
            traceback.print_exc()
            reply = ("error", f"{type(exc).__name__}: {exc}", outbox.drain())
        try:
            conn.send(reply)
        except (EOFError, OSError):
            os._exit(0)
        except Exception as exc:  # a result pickle cannot carry: the invocation failed
            conn.send(("error", f"unsendable result: {exc}", reply[2]))


def _ended(processes: list[Any], timeout: float) -> None:
    """Wait until every one of `processes` has ended, or `timeout` (all together, not each)."""
    deadline = time.monotonic() + timeout
    pending = [p for p in processes if p.is_alive()]
    while pending and (remaining := deadline - time.monotonic()) > 0:
        _wait([p.sentinel for p in pending], remaining)
        pending = [p for p in pending if p.is_alive()]


# -- the runner's side ---------------------------------------------------------------------------------


@dataclass
class Environment:
    function: str
    number: int
    process: Any  # multiprocessing's Process of the forkserver context
    conn: Connection
    cold_start_ms: float
    cold_start_cpu_ms: float
    busy: bool = False
    invocations: int = 0
    started_at: float = field(default_factory=time.time)

    def view(self) -> dict[str, Any]:
        return {
            "id": self.number,
            "pid": self.process.pid,
            "busy": self.busy,
            "invocations": self.invocations,
            "cold_start_ms": round(self.cold_start_ms),
            "cold_start_cpu_ms": round(self.cold_start_cpu_ms),
        }


class Pool:
    """Every function's execution environments; `invoke` is thread-safe and blocks its caller only."""

    def __init__(
        self,
        functions: list[Function],
        environments: dict[str, dict[str, str]],
        limit: int = DEFAULT_LIMIT,
        on_emails: Callable[[Emails], None] | None = None,
        start_method: str = "forkserver",
        log: Path | None = None,
    ) -> None:
        """`log`: where the environments write their output (None: the runner's console)."""
        if limit < 1:
            raise ValueError("the limit of environments is at least 1")
        self.functions = {f.logical_id: f for f in functions}
        self.environments = environments
        self.limit = limit
        self.on_emails = on_emails
        self.log = log
        self._ctx = multiprocessing.get_context(start_method)
        if start_method == "forkserver":
            self._ctx.set_forkserver_preload(PRELOAD)
        self._cond = threading.Condition()
        self._all: dict[str, list[Environment]] = {f: [] for f in self.functions}
        self._idle: dict[str, list[Environment]] = {f: [] for f in self.functions}
        self._starting: dict[str, int] = dict.fromkeys(self.functions, 0)
        self._numbers = 0
        self._closed = False

    def check(self) -> float:
        """Every handler imported and its SnapStart hooks run, in one throwaway process (which also
        starts the forkserver); RuntimeError with the traceback if one fails. Its CPU seconds."""
        ours, theirs = self._ctx.Pipe()
        process = self._ctx.Process(  # type: ignore[attr-defined]
            target=_check,
            args=(list(self.functions.values()), theirs, self.log),
            name="env-check",
            daemon=True,
        )
        process.start()
        theirs.close()
        try:
            status, detail = ours.recv() if ours.poll(COLD_START_TIMEOUT) else ("failed", "no answer")
        except (EOFError, OSError) as exc:
            status, detail = "failed", f"the process ended ({exc})"
        finally:
            ours.close()
            process.join(5)
            if process.is_alive():
                process.kill()
                process.join()
        if status != "ready":
            raise RuntimeError(f"a function failed to load:\n{detail}")
        return float(detail)

    def invoke(self, function: Function, event: dict[str, Any]) -> Any:
        """The handler's result in one of the function's environments. Raises FunctionError (the
        handler raised), EnvironmentDied (its process ended meanwhile) or Unavailable."""
        env = self._acquire(function)
        try:
            env.conn.send(event)
            status, value, emails = env.conn.recv()
        except BaseException as exc:  # died, or this thread interrupted: its state is unknown
            self._discard(env)
            if isinstance(exc, (EOFError, OSError)):
                raise EnvironmentDied(
                    f"{function.logical_id}'s environment {env.number} (pid {env.process.pid}) ended "
                    f"during the invocation (exit code {env.process.exitcode})"
                ) from exc
            raise
        env.invocations += 1
        self._release(env)
        if emails and self.on_emails:
            self.on_emails(emails)
        if status == "error":
            raise FunctionError(value)
        return value

    def stats(self) -> dict[str, Any]:
        """Per function: its environments, how many are busy, the invocations they served."""
        with self._cond:
            return {
                "limit": self.limit,
                "functions": {
                    name: {
                        "environments": len(envs),
                        "busy": sum(e.busy for e in envs),
                        "starting": self._starting[name],
                        "invocations": sum(e.invocations for e in envs),
                        "instances": [e.view() for e in envs],
                    }
                    for name, envs in self._all.items()
                },
            }

    def pids(self) -> list[int]:
        with self._cond:
            return [e.process.pid for envs in self._all.values() for e in envs]

    def close(self, grace: float = 2.0) -> None:
        """Every environment ended: idle ones told to stop, busy ones given `grace` to finish, then
        terminated, and killed if they still live."""
        deadline = time.monotonic() + grace
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            while any(e.busy for envs in self._all.values() for e in envs):
                if not self._cond.wait(max(0.0, deadline - time.monotonic())):
                    break
            every = [e for envs in self._all.values() for e in envs]
        for env in every:
            if not env.busy:
                with contextlib.suppress(OSError):
                    env.conn.send(None)
        processes = [e.process for e in every]
        _ended(processes, max(0.5, deadline - time.monotonic()))
        for process in processes:
            if process.is_alive():
                process.terminate()
        _ended(processes, 1.0)
        for process in processes:
            if process.is_alive():
                process.kill()
        _ended(processes, 1.0)
        for env in every:
            env.process.join(0.1)
            env.conn.close()

    # -- internals

    def _begin(self, function: Function) -> tuple[Any, Connection, float]:
        ours, theirs = self._ctx.Pipe()
        process = self._ctx.Process(  # type: ignore[attr-defined]
            target=_child,
            args=(function, theirs, self.environments[function.logical_id], self.log),
            name=f"env-{function.logical_id}",
            daemon=True,
        )
        began = time.monotonic()
        process.start()
        theirs.close()
        return process, ours, began

    def _ready(self, function: Function, process: Any, conn: Connection, began: float) -> Environment:
        """The environment once its init is done (RuntimeError if it failed or took too long)."""
        try:
            if not conn.poll(COLD_START_TIMEOUT):
                raise RuntimeError(f"{function.logical_id}: no environment after {COLD_START_TIMEOUT} s")
            status, detail = conn.recv()
        except (EOFError, OSError, RuntimeError) as exc:
            process.kill()
            process.join()
            conn.close()
            raise RuntimeError(f"{function.logical_id}: its environment failed to start ({exc})") from exc
        if status != "ready":
            process.join()
            conn.close()
            raise RuntimeError(f"{function.logical_id} failed to load:\n{detail}")
        with self._cond:
            self._numbers += 1
            number = self._numbers
        took = (time.monotonic() - began) * 1000
        return Environment(function.logical_id, number, process, conn, took, float(detail) * 1000)

    def _acquire(self, function: Function) -> Environment:
        name = function.logical_id
        deadline = time.monotonic() + WAIT_SECONDS
        with self._cond:
            while True:
                if self._closed:
                    raise Unavailable("the runner is stopping")
                idle = self._idle[name]
                while idle and not idle[-1].process.is_alive():  # ended while idle (killed): dropped
                    dead = idle.pop()
                    self._all[name].remove(dead)
                    dead.conn.close()
                if idle:
                    env = idle.pop()  # the one used last: warm
                    env.busy = True
                    return env
                if len(self._all[name]) + self._starting[name] < self.limit:
                    self._starting[name] += 1
                    break
                if not self._cond.wait(max(0.0, deadline - time.monotonic())):
                    raise Unavailable(f"{name}: {self.limit} environments busy for {WAIT_SECONDS} s")
        print(f"~ {name}: cold start of another environment", flush=True)
        try:
            env = self._ready(function, *self._begin(function))
        except BaseException:
            with self._cond:
                self._starting[name] -= 1
                self._cond.notify_all()
            raise
        with self._cond:
            self._starting[name] -= 1
            env.busy = True
            self._all[name].append(env)
            if self._closed:
                self._cond.notify_all()
        return env

    def _release(self, env: Environment) -> None:
        with self._cond:
            env.busy = False
            if env in self._all[env.function]:
                self._idle[env.function].append(env)
            self._cond.notify_all()

    def _discard(self, env: Environment) -> None:
        """An environment whose process ended (or whose state is unknown): gone; the next request
        that needs one makes a new one."""
        with self._cond:
            env.busy = False
            if env in self._all[env.function]:
                self._all[env.function].remove(env)
            self._cond.notify_all()
        if env.process.is_alive():
            env.process.kill()
        env.process.join(1)
        env.conn.close()
        print(f"! {env.function}: environment {env.number} ended; the next one needed is new", flush=True)
