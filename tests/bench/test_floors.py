"""The code `make bench` runs is code that runs, and each warm floor makes its handler's calls.

bench/cold.py times each function's init from a string (the import and the SnapStart hook), which
no import checks: after a module moves, only a bench run would find the stale path. This runs it
for a function in a fresh interpreter on the layer (the venv stands in for the layer's
dependencies).
"""

import os
import subprocess
import sys
from pathlib import Path

from bench.cold import EXIT, INIT
from local_runner.aws import safe_environment

ROOT = Path(__file__).resolve().parents[2]


def test_the_timed_init_code_runs() -> None:
    env = {
        **safe_environment(os.environ),
        "TABLE_NAME": "hellojohn-test",
        "SIGNING_KEY_SECRET": "test-secret",
        "FINGERPRINT_KEY_SECRET": "test-fingerprint",
        "QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/q",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "functions" / "auth_me"), str(ROOT / "layers" / "shared")]),
    }
    done = subprocess.run(
        [sys.executable, "-c", INIT + "\nprint('ran', flush=True)" + EXIT],
        cwd=ROOT / "functions" / "auth_me",
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines()[-1] == "ran"


def test_every_warm_floor_makes_its_handlers_calls() -> None:
    """Each warm scenario once, as `make bench` runs it: `bench.warm.run_one` raises when a floor's
    calls differ from its handler's in name or in shape (bench.warm.shape: the attributes written,
    the conditions). A write that gains an attribute (as every write gained the `change` stamp)
    fails here until its floor writes it too. In a fresh interpreter: the bench sets its own
    environment and in-process moto."""
    code = (
        "from bench import lambdas, warm\n"
        "from bench.scenarios import build_world\n"
        "with lambdas.moto_env():\n"
        "    warm.run(build_world(), iterations=1, hash_iterations=1)\n"
        "print('ran', flush=True)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**safe_environment(os.environ), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.splitlines()[-1] == "ran"
