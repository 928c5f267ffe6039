"""What a function loads when Lambda imports it: only what it uses (docs/PERFORMANCE.md).

Each case imports one function's handler in a fresh interpreter, as Lambda's init does, and looks
at what got loaded: the pydantic models it built and the heavy packages it imported.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from local_runner.aws import safe_environment

ROOT = Path(__file__).resolve().parent.parent

REPORT = """
import json, sys
import app
if HOOKS:
    from hellojohn.edge import snapstart
    snapstart.run_before_snapshot()
from pydantic import BaseModel
from hellojohn import models
built = sorted(
    name for name, c in vars(models).items()
    if isinstance(c, type) and issubclass(c, BaseModel) and c.__module__ == models.__name__
    and c.__pydantic_complete__
)
print(json.dumps({"built": built, "modules": sorted(sys.modules)}))
"""


def loaded(function: str, hooks: bool = False) -> dict[str, list[str]]:
    """What importing the function loads (with `hooks`, then its before-snapshot hook: its init)."""
    env = {
        **safe_environment(os.environ),
        "TABLE_NAME": "hellojohn-test",
        "SIGNING_KEY_SECRET": "test-secret",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "functions" / function), str(ROOT / "layers" / "shared")]),
    }
    out = subprocess.run(
        [sys.executable, "-c", f"HOOKS = {hooks}\n{REPORT}"],
        cwd=ROOT / "functions" / function,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    report: dict[str, list[str]] = json.loads(out.stdout.splitlines()[-1])
    return report


@pytest.mark.parametrize(
    ("function", "models"),
    [
        ("users_get", ["AdminUser"]),
        ("users_list", ["AdminUser", "Pagination", "UserList"]),
        ("users_create", ["AdminUser", "CreateUser"]),
        ("auth_sign_in", ["SelfUser", "Session", "SignIn", "SignInResult"]),
        ("auth_refresh", ["Refresh", "RefreshResult", "Session"]),
        ("auth_me_update", ["SelfUser", "SelfUserUpdate"]),
        ("jwks", ["Jwk", "Jwks"]),
    ],
)
def test_a_function_builds_the_models_of_its_routes_and_no_others(function: str, models: list[str]) -> None:
    assert loaded(function)["built"] == models


def test_secret_key_functions_load_no_token_code_and_token_functions_load_pyjwt() -> None:
    admin = loaded("users_update", hooks=True)["modules"]
    # (cryptography itself may be there in the venv: pyOpenSSL, a test tool, loads it with boto3)
    assert not {"hellojohn.rules.tokens", "jwt"} & set(admin)
    token = loaded("auth_me", hooks=True)["modules"]
    assert {"hellojohn.rules.tokens", "jwt", "jwt.algorithms"} <= set(token)


def test_the_jwks_function_loads_the_signing_key_code_and_no_pyjwt() -> None:
    """It publishes the public key and signs or verifies no token: PyJWT (and the X.509, RSA and EC
    parts of cryptography it imports) is ~0.1 of the boto3 floor of init it would not use."""
    keys = loaded("jwks", hooks=True)["modules"]
    assert "hellojohn.rules.tokens" in keys
    assert not {m for m in keys if m == "jwt" or m.startswith("jwt.")}
