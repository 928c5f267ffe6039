"""Concurrent requests from separate processes (as concurrent Lambda instances would send them)
against one moto server: each process calls the real handler, released together by a barrier."""

import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.conftest import Api, Reply, _reset_caches

Request = tuple[str, str, Any, dict[str, str]]  # method, path, body, headers


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server on loopback (its own process); yields its endpoint URL."""
    with tempfile.TemporaryDirectory() as tmp:
        port_file = Path(tmp) / "port"
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.security.moto_server", str(port_file)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while not port_file.exists() or not port_file.read_text():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto server did not start")
                time.sleep(0.05)
            yield f"http://127.0.0.1:{port_file.read_text()}"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


@contextmanager
def world() -> Iterator[dict[str, str]]:
    """The template's resources in a fresh moto server, the functions' environment set."""
    from local_runner import provision, template

    with moto_server() as endpoint:
        saved = dict(os.environ)
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        _reset_caches()
        try:
            refs = provision.create_all()
            os.environ.update(provision.environment(template.functions(), refs))
            _reset_caches()
            yield refs
        finally:
            os.environ.clear()
            os.environ.update(saved)
            _reset_caches()


def _one(api: Api, request: Request, barrier: Any, out: Any, index: int, done: Any, wait_for: int) -> None:
    from argon2 import PasswordHasher
    from hellojohn.store import client

    client.dynamodb.cache_clear()  # a client (and its connections) of this process's own
    client.dynamodb()
    verified = [0]
    real = PasswordHasher.verify

    def counting(self: Any, hash: Any, password: Any) -> bool:
        verified[0] += 1
        return real(self, hash, password)

    PasswordHasher.verify = counting  # type: ignore[method-assign,assignment]  # this process's own copy
    barrier.wait()
    deadline = time.monotonic() + 60
    while done.value < wait_for and time.monotonic() < deadline:
        time.sleep(0.001)
    try:
        reply = api(*request)
        out.put((index, reply.status, json.dumps(reply.body), verified[0]))
    except Exception as exc:  # reported, so the parent fails with it
        out.put((index, 599, json.dumps(repr(exc)), verified[0]))
    finally:
        with done.get_lock():
            done.value += 1


def concurrently(api: Api, requests: list[Request], last_after: int = 0) -> list[Reply]:
    """Each request from its own process (forked: the handlers are already loaded), all at once."""
    return run(api, requests, last_after)[0]


def run(api: Api, requests: list[Request], last_after: int = 0) -> tuple[list[Reply], list[int]]:
    """As `concurrently`, and the Argon2 verifications each request made. With `last_after`, the
    last request is sent only once that many of the others have been answered (the rest are
    still in flight)."""
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(len(requests), timeout=60)
    out = ctx.Queue()
    done = ctx.Value("i", 0)
    from local_runner import functions

    for _, function in api.routes:  # load every handler before forking
        functions.handler(function)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads: the children only call out
        procs = [
            ctx.Process(
                target=_one,
                args=(api, r, barrier, out, i, done, last_after if i == len(requests) - 1 else 0),
            )
            for i, r in enumerate(requests)
        ]
        for p in procs:
            p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    replies: list[Reply] = [Reply(0, {}, None)] * len(requests)
    verified = [0] * len(requests)
    for index, status, body, count in results:
        replies[index] = Reply(status, {}, json.loads(body))
        verified[index] = count
    return replies, verified
