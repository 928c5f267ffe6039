"""A configuration that cannot work fails the function's cold start (the import of its handler
module, in a fresh interpreter as Lambda's init), with one structured log line naming it."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from local_runner.aws import safe_environment

ROOT = Path(__file__).resolve().parents[2]
GOOD = {"TABLE_NAME": "hellojohn-test", "SIGNING_KEY_SECRET": "hellojohn-signing-key"}


def cold_start(function: str, **env: str | None) -> subprocess.CompletedProcess[str]:
    base = safe_environment({k: v for k, v in os.environ.items() if k not in GOOD})
    merged: dict[str, str | None] = {**base, **GOOD, **env}
    merged.update(
        POWERTOOLS_DEV="false",
        PYTHONPATH=os.pathsep.join([str(ROOT / "functions" / function), str(ROOT / "layers" / "shared")]),
    )
    return subprocess.run(
        [sys.executable, "-c", "import app"],
        cwd=ROOT / "functions" / function,
        env={k: v for k, v in merged.items() if v is not None},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def log_lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


@pytest.mark.parametrize("function", ["users_get", "auth_sign_in", "stream_router", "email_worker"])
def test_a_missing_variable_fails_the_cold_start_with_one_line_naming_it(function: str) -> None:
    started = cold_start(function, TABLE_NAME=None)
    assert started.returncode != 0
    assert "ConfigurationError" in started.stderr
    [line] = [entry for entry in log_lines(started.stdout) if entry.get("level") == "CRITICAL"]
    assert line["invalid_variables"] == ["TABLE_NAME"]
    assert "TABLE_NAME" in line["message"] and "Field required" in line["message"]


def test_a_malformed_variable_is_named_and_its_value_not_logged() -> None:
    started = cold_start("users_get", ACCESS_TOKEN_TTL_SECONDS="ninety-s3cr3t", SIGNING_KEY_SECRET="")
    assert started.returncode != 0
    [line] = [entry for entry in log_lines(started.stdout) if entry.get("level") == "CRITICAL"]
    assert line["invalid_variables"] == ["ACCESS_TOKEN_TTL_SECONDS", "SIGNING_KEY_SECRET"]
    assert "ninety-s3cr3t" not in started.stdout + started.stderr


@pytest.mark.parametrize("function", ["users_get", "stream_router"])
def test_a_working_configuration_imports_quietly(function: str) -> None:
    started = cold_start(function)
    assert started.returncode == 0, started.stderr
    assert [e for e in log_lines(started.stdout) if e.get("level") == "CRITICAL"] == []
