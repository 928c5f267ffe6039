"""SnapStart's hooks (hellojohn/edge/snapstart.py), run in fresh interpreters as Lambda runs them: the
function's import, the before-snapshot hook, then, in each restored copy, the after-restore hook."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from local_runner import template
from tests.awscalls import CALLS_OF_A_FRESH_INTERPRETER

ROOT = Path(__file__).resolve().parents[2]

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

AFTER_THE_HOOK = (
    CALLS_OF_A_FRESH_INTERPRETER
    + """
import json, sys, threading
import app
from hellojohn.edge import snapstart
snapstart.run_before_snapshot()
passwords = sys.modules.get("hellojohn.rules.passwords")
hashed = passwords is not None and passwords._dummy_hash.cache_info().currsize > 0
print(json.dumps({"calls": calls, "loaded": sorted(sys.modules), "hashed": hashed,
                  "threads": threading.active_count()}))
"""
)


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
        ("auth_sign_in", {"argon2", "jwt", "hellojohn.rules.tokens", "ulid"}),
        ("auth_me", {"hellojohn.rules.tokens", "aws_lambda_powertools.utilities.parameters"}),
        ("jwks", {"hellojohn.rules.tokens"}),
        ("users_get", {"ulid"}),
        ("cors_preflight", set()),
    ],
)
def test_the_before_snapshot_hook_imports_and_builds_what_the_first_request_needs_and_calls_nothing(
    function: str, expected: set[str]
) -> None:
    """The hook imports the function's lazy modules and builds its clients and the Argon2 hasher
    object, and makes no AWS call, hashes nothing and starts no thread."""
    found = run(function, AFTER_THE_HOOK)
    assert found["calls"] == []
    assert found["hashed"] is False
    assert found["threads"] == 1
    assert expected <= set(found["loaded"])
    if function in ("users_get", "cors_preflight"):
        assert not {"argon2", "email_validator", "phonenumbers"} & set(found["loaded"])


def test_the_local_runner_runs_the_hooks_when_it_loads_a_function(aws: dict[str, str]) -> None:
    """Loading a handler runs its before-snapshot hook (the DynamoDB client exists), then its
    after-restore hook (the key and tenant caches are empty)."""
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


def test_every_needs_name_is_known() -> None:
    """A function naming a need the hook does not know fails at import, not silently."""
    from hellojohn.edge import snapstart

    with pytest.raises(ValueError, match="unknown needs"):
        snapstart.install(None, ("dynamodb", "nope"))  # type: ignore[arg-type]
