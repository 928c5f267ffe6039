"""`make fuzz`: the long schemathesis run against the local runner; prints the counts.

    python -m tests.fuzz [--per-operation 50] [--stateful-runs 40] [--seed N] [--url URL --credentials FILE]

Without --url it starts the local runner on a free port with a fresh state directory, and stops
it at the end. Exit status 1 when any check failed or fewer than --min-requests were sent.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.fuzz import clients, core


@contextmanager
def local_runner() -> Iterator[dict[str, Any]]:
    """The local runner on a free port; yields its credentials.json."""
    with tempfile.TemporaryDirectory(prefix="hellojohn-fuzz-") as state:
        creds_file = Path(state) / "credentials.json"
        log = (Path(state) / "runner.log").open("w")
        proc = subprocess.Popen(
            [sys.executable, "-m", "local_runner", "--port", "0", "--state-dir", state],
            cwd=core.ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "POWERTOOLS_LOG_LEVEL": "WARNING"},
        )
        try:
            deadline = time.monotonic() + 120
            while not creds_file.exists():
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.close()
                    raise SystemExit(
                        "the local runner did not start:\n" + (Path(state) / "runner.log").read_text()
                    )
                time.sleep(0.2)
            time.sleep(0.1)  # written last, in one go; let the writer close it
            yield json.loads(creds_file.read_text())
        finally:
            proc.send_signal(signal.SIGINT)  # the runner's own stop (Ctrl-C)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.split("\n")[0])
    parser.add_argument("--per-operation", type=int, default=50, help="examples per operation and mode")
    parser.add_argument(
        "--stateful-runs", type=int, default=40, help="stateful sequences (up to 8 steps each)"
    )
    parser.add_argument("--seed", type=int, default=None, help="fixed seed (default: random)")
    parser.add_argument("--min-requests", type=int, default=1000)
    parser.add_argument("--url", help="an API already running (with --credentials)")
    parser.add_argument("--credentials", help="its credentials.json")
    args = parser.parse_args(argv)

    def run(creds: dict[str, Any]) -> core.Report:
        client = clients.Http(creds["api_url"])
        credentials = core.Credentials(
            client, creds["tenant_id"], creds["secret_key"], creds["publishable_key"]
        )
        return core.run_all(
            core.document(),
            client,
            credentials,
            per_operation=args.per_operation,
            stateful_runs=args.stateful_runs,
            seed=args.seed,
        )

    started = time.monotonic()
    if args.url:
        report = run({**json.loads(Path(args.credentials).read_text()), "api_url": args.url})
    else:
        with local_runner() as creds:
            report = run(creds)
    out = sys.stdout
    out.write(f"{report.summary()}\n{time.monotonic() - started:.0f} s\n")
    if report.failures or report.requests < args.min_requests:
        out.write(
            f"FAILED: {len(report.failures)} failures, {report.requests} requests (min {args.min_requests})\n"
        )
        return 1
    out.write("fuzz: 1 passed, 0 failed\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
