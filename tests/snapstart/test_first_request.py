"""A restored copy's first request does no work that a warm request does not.

bench/first.py's counting process, for a few functions that between them need every primer: a
fresh interpreter imports the function, runs its before-snapshot and after-restore hooks, serves a
first request against a moto server, empties its caches as a restore does, and serves the same kind
of request again (the same AWS calls). The function calls (Python and C) of the two are counted: an
import, a pydantic model built late or a client created on the first request each adds far more
than the 10% allowed, so this fails when priming stops covering what a route needs. What it cannot
show is time: cold CPU caches and, on Lambda, the snapshot's pages read in on first touch, which
`make bench` measures (docs/PERFORMANCE.md)."""

import json
import subprocess
import sys
from pathlib import Path

from bench import report

ROOT = Path(__file__).resolve().parents[2]
# an admin read (the store), an admin create (argon2, email_validator, ULIDs, TransactWriteItems),
# a user's request (PyJWT, the signing seed from Secrets Manager) and one with no store at all
FUNCTIONS = ["UsersGetFunction", "UsersCreateFunction", "AuthMeUpdateFunction", "JwksFunction"]
# in a process of its own: this one's botocore is patched (tests/awscalls.py holds every call to the
# tests' stack and roles), and the bench provisions a stack of its own; the venv's packages, not the
# layer's requirements installed apart as the bench's are: the same code
COUNT = """
import contextlib, json, os, sys, sysconfig
from pathlib import Path
from bench import first
with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
    found = first.run(0, set(sys.argv[1:]), Path(sysconfig.get_path("purelib")))
print(json.dumps({name: [r.same_calls, r.lazy, *r.made] for name, r in found.items()}))
"""


def test_the_first_request_after_the_hooks_makes_at_most_half_again_the_calls_of_a_warm_one() -> None:
    out = subprocess.run(
        [sys.executable, "-c", COUNT, *FUNCTIONS], cwd=ROOT, capture_output=True, text=True, check=True
    )
    found = json.loads(out.stdout.splitlines()[-1])
    assert sorted(found) == sorted(FUNCTIONS)
    for name, (same_calls, lazy, made_first, made_warm) in found.items():
        assert same_calls, name
        assert lazy == [], (name, lazy)
        assert made_warm > 0
        assert made_first <= report.FIRST_TARGET * made_warm, (name, made_first, made_warm)
