"""A restored copy's first request makes at most 1.5x the function calls of the same request warm
(docs/DECISIONS.md, "SnapStart").

bench/first.py's counting process, for four functions that between them use every kind of need:
a fresh interpreter imports the function, runs its before-snapshot and after-restore hooks, serves
a first request against a moto server, empties its caches as a restore does, and serves the same
kind of request again (the same AWS calls). The function calls (Python and C) of the two are
counted: an import, a pydantic model built late or a client created on the first request adds
far more than a warm request's own work, so this fails when the hook stops building what a route
needs. Time is `make bench`'s (docs/PERFORMANCE.md)."""

import json
import subprocess
import sys
from pathlib import Path

from bench import report

ROOT = Path(__file__).resolve().parents[2]
# between them every need: an admin read (the store), an admin update (email_validator,
# phonenumbers, ULIDs), a sign-in (argon2, PyJWT, the signing seed) and a verification (the profile
# rules); and the JWKS (one Secrets Manager call, the smallest request: botocore's first use of a
# client weighs most there) and an unlock (an error response: the client's error classes); a
# webhook endpoint's creation (KMS) and test delivery (SQS)
FUNCTIONS = [
    "UsersGetFunction",
    "UsersUpdateFunction",
    "AuthSignInFunction",
    "AuthEmailVerifyFunction",
    "JwksFunction",
    "UsersUnlockFunction",
    "WebhooksCreateFunction",
    "WebhooksTestFunction",
]
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


PAIRS = """
import contextlib, json, os
from bench import cold, first
with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
    with cold.moto_stack("first-pairs") as stack:
        pairs = first._pairs(stack.world, 0)
print(json.dumps(sorted(pairs)))
"""


def test_every_api_function_has_its_pair_of_first_request_events() -> None:
    """`make bench` makes a first request of every function with routes: a new route without its
    pair in bench/first.py fails here, not minutes into a bench run."""
    from local_runner import template

    out = subprocess.run([sys.executable, "-c", PAIRS], cwd=ROOT, capture_output=True, text=True, check=True)
    paired = json.loads(out.stdout.splitlines()[-1])
    assert paired == sorted(f.logical_id for f in template.functions() if f.routes)
