"""`make invoke` (`python -m scripts.invoke`): one function with a sample event from events/, against
the running local runner's stack, without Docker."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, Http, Runner, UserFactory

pytestmark = pytest.mark.e2e


def _invoke(runner: Runner, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scripts.invoke", *args, "--state-dir", str(runner.state_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _result(out: subprocess.CompletedProcess[str]) -> dict[str, object]:
    assert out.returncode == 0, out.stderr
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_an_admin_sample_reads_the_demo_user(runner: Runner) -> None:
    result = _result(_invoke(runner, "UsersGetFunction", "events/users_get.json"))
    assert result["statusCode"] == 200
    assert json.loads(str(result["body"]))["id"] == runner.credentials["demo_user"]["id"]


def test_a_sample_that_needs_a_session_signs_the_demo_user_in(runner: Runner, api: Http) -> None:
    result = _result(_invoke(runner, "auth_me", "events/auth_me.json"))
    assert result["statusCode"] == 200
    assert json.loads(str(result["body"]))["email"] == runner.credentials["demo_user"]["email"]


def test_what_it_writes_is_in_the_running_stack(runner: Runner, api: Http, create_user: UserFactory) -> None:
    """The sample's PATCH (the seed's) changes, in the runner's stack, the user `--set` names."""
    user = create_user(runner.demo, name="Alice")
    result = _result(
        _invoke(runner, "UsersUpdateFunction", "events/users_update.json", "--set", f"user_id={user['id']}")
    )
    assert result["statusCode"] == 200
    after = api("GET", f"/v1/users/{user['id']}", headers=runner.demo.admin())
    assert (after.body["name"], after.body["pending_email"]) == ("Alice J. Smith", "alice.new@example.com")


def test_a_placeholder_it_cannot_fill_is_a_clear_error(runner: Runner) -> None:
    out = _invoke(runner, "auth_email_verify", "events/auth_email_verify.json")
    assert out.returncode == 1
    assert "--set verification_token=" in out.stderr


def test_unknown_function_or_event_file(runner: Runner, tmp_path: Path) -> None:
    assert "no function" in _invoke(runner, "NoSuchFunction", "events/users_get.json").stderr
    assert "no event file" in _invoke(runner, "users_get", str(tmp_path / "none.json")).stderr
