"""The runner runs concurrent requests concurrently, as Lambda does: execution environments per
function (separate processes, reused, a new one when all are busy, up to a limit), a listen
backlog that takes a burst, and no process left behind when it stops (docs/LOCAL.md)."""

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from local_runner.aws import safe_environment
from tests.conftest import Tenant
from tests.e2e.conftest import (
    ROOT,
    Http,
    Reply,
    Runner,
    UserFactory,
    alive,
    assert_error,
    descendants,
    gone,
    launch,
    ready,
    unique_email,
)

pytestmark = pytest.mark.e2e
SIGN_IN = "AuthSignInFunction"


def parallel(calls: list[Callable[[], Any]]) -> tuple[list[Any], float]:
    """Each call in a thread of its own, released together; the results (an exception stands for
    its call) and the wall time from the release to the last one's end."""
    results: list[Any] = [None] * len(calls)
    gate = threading.Barrier(len(calls) + 1)

    def run(i: int) -> None:
        gate.wait()
        try:
            results[i] = calls[i]()
        except Exception as exc:  # recorded: the test asserts on it
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    gate.wait()
    started = time.monotonic()
    for thread in threads:
        thread.join()
    return results, time.monotonic() - started


def environments(api: Http, function: str) -> dict[str, Any]:
    reply = api("GET", "/_local/environments")
    assert reply.status == 200, reply.body
    return dict(reply.body["functions"][function])


def refused_sign_in(api: Http, tenant: Tenant) -> Callable[[], Reply]:
    """A sign-in of an email nobody has: refused, and not before the refusal floor (an Argon2
    verification and SIGN_IN_REFUSAL_FLOOR_MS, 300 ms)."""
    body = {"email": unique_email("nobody"), "password": "Not-Anyones-42"}
    return lambda: api("POST", "/v1/auth/sign-in", body, tenant.public())


def test_two_requests_to_one_function_overlap(
    api: Http, demo: Tenant, record_property: Callable[[str, object], None]
) -> None:
    parallel([refused_sign_in(api, demo) for _ in range(2)])  # two environments, warm
    assert environments(api, SIGN_IN)["environments"] >= 2
    sequential_times, parallel_times = [], []
    for _ in range(3):  # the best of three of each: a noisy machine only slows a run down
        started = time.monotonic()
        for _ in range(2):
            assert_error(refused_sign_in(api, demo)(), 401, "invalid_credentials")
        sequential_times.append(time.monotonic() - started)
        replies, took = parallel([refused_sign_in(api, demo) for _ in range(2)])
        for reply in replies:
            assert_error(reply, 401, "invalid_credentials")
        parallel_times.append(took)
    one_after_another, together = min(sequential_times), min(parallel_times)
    record_property("one_after_another_s", sequential_times)
    record_property("together_s", parallel_times)
    assert one_after_another >= 0.6  # the floor, twice
    assert together < 0.75 * one_after_another, (sequential_times, parallel_times)


def test_a_burst_of_50_connections_is_answered(
    api: Http, demo: Tenant, create_user: UserFactory, record_property: Callable[[str, object], None]
) -> None:
    """No connection reset (the listen backlog), every request answered 200; the function's
    environments grow with the burst, never past the limit (10), and the rest wait for one."""
    user = create_user(demo)

    def get() -> int:
        return api("GET", f"/v1/users/{user['id']}", headers=demo.admin()).status

    results, took = parallel([get] * 50)
    outcomes = Counter(r if isinstance(r, int) else type(r).__name__ for r in results)
    stats = environments(api, "UsersGetFunction")
    record_property("burst", {"outcomes": dict(outcomes), "s": took, "environments": stats["environments"]})
    assert outcomes == {200: 50}
    limit = api("GET", "/_local/environments").body["limit"]
    assert 1 < stats["environments"] <= limit == 10


def test_sequential_requests_reuse_one_warm_environment(api: Http) -> None:
    path = "/v1/.well-known/jwks.json"
    assert api("GET", path).status == 200  # at least one environment, warm
    before = environments(api, "JwksFunction")
    for _ in range(5):
        assert api("GET", path).status == 200
    after = environments(api, "JwksFunction")
    assert after["environments"] == before["environments"]  # no cold start
    served = {i["id"]: i["invocations"] for i in before["instances"]}
    grew = [i["invocations"] - served[i["id"]] for i in after["instances"]]
    grew = [n for n in grew if n]
    assert grew == [5]  # one environment served all five


def test_an_environment_that_dies_is_replaced(api: Http, demo: Tenant) -> None:
    """Killed in the middle of an invocation: that request is 500 `internal_error` in the
    contract's shape; the next one gets a new environment and succeeds."""
    results: list[Reply] = []
    asking = threading.Thread(target=lambda: results.append(refused_sign_in(api, demo)()))
    asking.start()
    deadline = time.monotonic() + 10
    busy: list[dict[str, Any]] = []
    while not busy and time.monotonic() < deadline:
        busy = [i for i in environments(api, SIGN_IN)["instances"] if i["busy"]]
    assert busy, "no environment was seen busy"
    os.kill(busy[0]["pid"], signal.SIGKILL)
    asking.join()
    assert_error(results[0], 500, "internal_error")
    assert busy[0]["pid"] not in {i["pid"] for i in environments(api, SIGN_IN)["instances"]}
    assert_error(refused_sign_in(api, demo)(), 401, "invalid_credentials")


# -- runners of the tests' own ----------------------------------------------------------------------


def test_the_limit_holds_and_stopping_leaves_no_process(tmp_path: Path) -> None:
    """With `--max-environments 2`, six parallel sign-ins are all answered by two environments
    (the others wait for one); SIGTERM ends the runner and every process it started."""
    proc = launch(tmp_path, "--max-environments", "2")
    try:
        runner = ready(proc, tmp_path)
        api = Http(runner.api_url)
        replies, took = parallel([refused_sign_in(api, runner.demo) for _ in range(6)])
        for reply in replies:
            assert_error(reply, 401, "invalid_credentials")
        stats = environments(api, SIGN_IN)
        assert stats["environments"] == 2 and stats["invocations"] == 6
        assert took >= 3 * 0.3  # three rounds of two, each held to the floor
        children = descendants(proc.pid)
        assert {i["pid"] for i in stats["instances"]} <= children
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not gone(children), f"left after SIGTERM: {alive(children)}"
    assert not (tmp_path / "credentials.json").exists()


def test_a_killed_runner_leaves_no_process(tmp_path: Path) -> None:
    """SIGKILL gives the runner no chance to clean up: its environments see their pipe close and
    end by themselves, and so does the forkserver."""
    proc = launch(tmp_path)
    try:
        runner = ready(proc, tmp_path)
        api = Http(runner.api_url)
        parallel([refused_sign_in(api, runner.demo) for _ in range(2)])
        children = descendants(proc.pid)
        assert len(children) >= 3  # the forkserver, the seed's environment, the sign-in ones
        proc.kill()
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not gone(children), f"left after SIGKILL: {alive(children)}"


def test_a_second_runner_on_a_taken_port_leaves_the_first_alone(api: Http, runner: Runner) -> None:
    """`make run` twice: the second fails on the port before it touches the state directory."""
    state = {name: (runner.state_dir / name).read_text() for name in ("credentials.json", "stack.json")}
    port = str(api.port)
    second = subprocess.run(
        [sys.executable, "-m", "local_runner", "--port", port, "--state-dir", str(runner.state_dir)],
        cwd=ROOT,
        env=safe_environment(os.environ),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert second.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in second.stderr
    for name, text in state.items():
        assert (runner.state_dir / name).read_text() == text
    assert json.loads(state["credentials.json"])["api_url"] == runner.api_url
    assert api("GET", "/_local/health").status == 200


def test_a_burst_of_connections_is_not_reset(api: Http) -> None:
    """The listen backlog alone: 50 connections opened at once, before any is answered."""
    conns = [http.client.HTTPConnection(api.host, api.port, timeout=30) for _ in range(50)]
    results, _ = parallel([c.connect for c in conns])
    assert [r for r in results if r is not None] == []
    try:
        for conn in conns:
            conn.request("GET", "/_local/health")
        assert Counter(conn.getresponse().status for conn in conns) == {200: 50}
    finally:
        for conn in conns:
            conn.close()
