"""The code `make bench` times in fresh processes is code that runs.

bench/cold.py builds each measured process from strings (the SnapStart hooks, the service's client
constructors, the late models), which no import checks: after a module moves, only a bench run
would find the stale path. This runs the code of a timed cold start for a function that uses every
client, in a fresh interpreter on the layer, as the bench does (without its layer-only path: the
venv stands in for the layer's dependencies).
"""

import os
import subprocess
import sys
from pathlib import Path

from bench.cold import CLIENT_CODE, EXIT, Probe, cold_code
from local_runner.aws import safe_environment

ROOT = Path(__file__).resolve().parents[2]


def test_the_timed_cold_start_code_runs() -> None:
    probe = Probe("AuthMeFunction", clients=sorted(CLIENT_CODE), late_models=["SelfUser"])
    env = {
        **safe_environment(os.environ),
        "TABLE_NAME": "hellojohn-test",
        "SIGNING_KEY_SECRET": "test-secret",
        "FINGERPRINT_KEY_SECRET": "test-fingerprint",
        "QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/q",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "functions" / "auth_me"), str(ROOT / "layers" / "shared")]),
    }
    done = subprocess.run(
        [sys.executable, "-c", cold_code(probe) + "\nprint('ran', flush=True)" + EXIT],
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
        "from bench.scenarios import build_world, scenarios\n"
        "with lambdas.moto_env(), warm.MotoClock().installed() as clock:\n"
        "    w = build_world()\n"
        "    for s in scenarios(hash_iterations=1, iterations=1):\n"
        "        warm.run_one(w, s, clock)\n"
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
