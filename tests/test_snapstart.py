"""SnapStart's hooks (hellojohn/edge/snapstart.py), run in fresh interpreters as Lambda runs them: the
function's import, the before-snapshot hooks, then, in each restored copy, the after-restore hooks."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from local_runner import template

ROOT = Path(__file__).resolve().parent.parent

RESTORED_TWICE = """
import json, os, random, sys
import app
from hellojohn import ids
from hellojohn.edge import snapstart
from hellojohn.rules import passwords
snapstart.run_before_snapshot()
restore = sys.argv[1] == "restore"
out = []
for _ in range(2):  # two copies of one snapshot
    read, write = os.pipe()
    if os.fork() == 0:
        if restore:
            snapstart.run_after_restore()
        made = {"id": ids.new_id("usr"), "salt": passwords.hash_password("Correct-Horse-42").split("$")[4],
                "random": random.random()}
        os.write(write, json.dumps(made).encode())
        os._exit(0)
    os.close(write)
    out.append(json.loads(os.read(read, 4096)))
    os.wait()
print(json.dumps(out))
"""

NO_AWS_CALL = """
import json, os, sys, threading
from urllib.parse import urlsplit
from botocore.httpsession import URLLib3Session
sent = []
_send = URLLib3Session.send
def _record(self, request):
    sent.append(urlsplit(request.url).hostname)
    return _send(self, request)
URLLib3Session.send = _record
import app
from hellojohn.edge import snapstart
snapstart.run_before_snapshot()
held = []  # what priming left in a data cache (before the after-restore hook empties them anyway)
tenancy = sys.modules.get("hellojohn.rules.tenancy")
if tenancy is not None and (tenancy._tenants or tenancy._keys):
    held.append("tenancy")
tokens = sys.modules.get("hellojohn.rules.tokens")
if tokens is not None and tokens._derived:
    held.append("signing key")
if tokens is not None and tokens._verified:
    held.append("verified tokens")
constants = sys.modules.get("aws_lambda_powertools.utilities.parameters.constants")
if constants is not None and any(p.store for p in constants.DEFAULT_PROVIDERS.values()):
    held.append("parameters")
passwords = sys.modules.get("hellojohn.rules.passwords")
if passwords is not None and passwords._dummy_hash.cache_info().currsize:
    held.append("dummy hash")
primed = snapstart.primed
snapstart.run_after_restore()
import socket
from aws_xray_sdk.core import xray_recorder
sockets, datagrams = [], []
for fd in os.listdir("/proc/self/fd"):
    try:
        link = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:  # the directory's own descriptor, gone once listed
        continue
    if link.startswith("socket:"):
        probe = socket.socket(fileno=int(fd))
        (datagrams if probe.type == socket.SOCK_DGRAM else sockets).append(int(fd))
        probe.detach()
xray = [xray_recorder.emitter._socket.fileno()]
print(json.dumps({"sent": sent, "loaded": sorted(sys.modules), "threads": threading.active_count(),
                  "held": held, "primed": primed,
                  "sockets": sockets, "datagrams": datagrams, "xray": xray}))
"""


AFTER_THE_HOOKS = """
import json, resource
import app
from hellojohn.edge import snapstart
from hellojohn.rules import passwords
snapstart.run_before_snapshot()
dummy = passwords._dummy_hash.cache_info().currsize  # before the after-restore hook empties it anyway
snapstart.run_after_restore()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
made = passwords.hash_password("Correct-Horse-42")
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
print(json.dumps({"cost": made.split("$")[3], "faults": faults,
                  "dummy": dummy}))
"""


def run(function: str, code: str, *args: str) -> Any:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "TABLE_NAME": "hellojohn-test",
        "SIGNING_KEY_SECRET": "test-secret",
        "ARGON2_MEMORY_KIB": "19456",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "functions" / function), str(ROOT / "layers" / "shared")]),
    }
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT / "functions" / function,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.splitlines()[-1])


def test_two_copies_restored_from_one_snapshot_make_different_ids_salts_and_random_numbers() -> None:
    one, two = run("users_create", RESTORED_TWICE, "restore")
    assert one["id"] != two["id"] and one["salt"] != two["salt"]
    assert one["random"] != two["random"]


def test_the_after_restore_hook_reseeds_random_and_starts_a_fresh_ulid_generator() -> None:
    """(A fork reseeds `random` by itself, a restore does not: this is the hook's own doing.)"""
    import random

    import ulid
    from hellojohn.edge import snapstart

    state, generator = random.getstate(), ulid.default_generator
    snapstart.refresh()
    assert random.getstate() != state and ulid.default_generator is not generator


@pytest.mark.parametrize(
    ("function", "expected"),
    [
        ("users_create", {"argon2", "email_validator", "phonenumbers", "ulid"}),
        (
            "auth_sign_in",
            {"argon2", "jwt", "hellojohn.rules.tokens", "aws_lambda_powertools.utilities.parameters"},
        ),
        ("auth_me", {"jwt", "hellojohn.rules.tokens"}),
        ("jwks", {"jwt", "hellojohn.rules.tokens"}),
        ("users_get", set()),
        ("cors_preflight", set()),
    ],
)
def test_priming_loads_what_the_first_request_needs_and_calls_only_its_loopback(
    function: str, expected: set[str]
) -> None:
    """Priming's AWS calls reach only its own loopback server, and leave no connection or thread behind."""
    found = run(function, NO_AWS_CALL)
    assert set(found["sent"]) <= {"127.0.0.1"}
    if function != "cors_preflight":
        assert found["sent"], "the AWS calls were primed over a connection"
    assert found["sockets"] == [] and found["threads"] == 1
    # the one datagram socket is X-Ray's emitter to its daemon (aws_xray_sdk makes it at import, as in
    # every traced function's snapshot): unconnected UDP, nothing to lose on a restore
    assert found["datagrams"] == found["xray"]
    assert expected <= set(found["loaded"])
    if function in ("users_get", "cors_preflight"):
        assert not {"argon2", "jwt", "email_validator", "ulid"} & set(found["loaded"])


API_FUNCTIONS = [f for f in template.functions() if f.routes]


@pytest.mark.parametrize("function", API_FUNCTIONS, ids=[f.logical_id for f in API_FUNCTIONS])
def test_priming_succeeds_on_every_route_of_the_function_and_keeps_none_of_its_made_up_data(
    function: template.Function,
) -> None:
    """Each route the template gives the function answered one of its priming requests with
    success (hellojohn/edge/priming.py: the route's handler ran to its response), and none failed
    (5xx); only the loopback server was called; and no cache holds anything priming read, even
    before the after-restore hook empties them."""
    found = run(function.code_dir.name, NO_AWS_CALL)
    assert set(found["sent"]) <= {"127.0.0.1"}
    assert found["sockets"] == [] and found["threads"] == 1
    assert found["held"] == []
    primed = {route: statuses for route, statuses in found["primed"].items()}
    for route in function.routes:
        if route.method == "OPTIONS":  # the preflight function's one route, any path
            statuses = primed["OPTIONS /v1/prime"]
        else:
            statuses = primed[f"{route.method} {route.path.replace('{', '<').replace('}', '>')}"]
        assert any(200 <= s < 300 for s in statuses), (route, statuses)
    assert all(s < 500 for statuses in primed.values() for s in statuses)


def test_the_local_runner_runs_the_hooks_when_it_loads_a_function(aws: dict[str, str]) -> None:
    """Loading a handler runs its before-snapshot hook (the DynamoDB client exists, primed), then
    its after-restore hook (the key and tenant caches are empty)."""
    from hellojohn.rules import tenancy
    from hellojohn.store import client

    from local_runner import functions

    [users_list] = [f for f in template.functions() if f.logical_id == "UsersListFunction"]
    tenancy._caches()[0]["tnt_x"] = None
    client.dynamodb.cache_clear()
    functions._loaded.pop(users_list.logical_id, None)
    functions.handler(users_list)
    assert client.dynamodb.cache_info().currsize == 1
    assert len(tenancy._caches()[0]) == 0


@pytest.mark.parametrize("function", ["users_create", "auth_sign_in", "auth_password_change"])
def test_priming_hashes_at_a_trivial_cost_and_leaves_the_configured_cost_and_argon2s_memory(
    function: str,
) -> None:
    """Priming's own hashes are at passwords.trivial_cost (dropped, so none spends the configured
    cost); after the hooks the first hash is at the configured cost and finds Argon2's 19 MiB
    already in the heap (about 4,900 page faults when it is not), and priming keeps no dummy hash
    (the one that answers for unknown users) into the snapshot."""
    found = run(function, AFTER_THE_HOOKS)
    assert found["cost"] == "m=19456,t=2,p=1"
    assert found["faults"] < 500, found
    assert found["dummy"] == 0
