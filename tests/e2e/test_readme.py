"""The README's walkthrough, run as written: every ```bash block of "Try it", in order, in one
bash, against a fresh runner, each request's answer checked.

The blocks run unchanged. Around them the test only (1) makes `.venv` and `.local` of the
script's working directory those of the repo and of this test's runner, (2) wraps `curl` so that
each request also reports its status on stderr (`--write-out '%{stderr}…'`, which leaves the
command's output, and so every `$(curl …)`, as it is), and (3) runs bash with `set -euo pipefail`.
"""

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, Http, Runner, started_runner

pytestmark = pytest.mark.e2e

README = ROOT / "README.md"
STEP = re.compile(r"^HJSTEP (\d{3}) (\w+) (\S+)$", re.MULTILINE)
PRELUDE = """set -euo pipefail
curl() { command curl --write-out '%{stderr}HJSTEP %{http_code} %{method} %{url_effective}\\n' "$@"; }
"""

# (status, method, path) of every request the walkthrough makes, in order: what a reader should see
EXPECTED = [
    (201, "POST", "/v1/users"),
    (200, "POST", "/v1/auth/sign-in"),
    (200, "GET", "/v1/auth/me"),
    (200, "POST", "/v1/auth/refresh"),
    # the seed page's admin PATCH, the local pages, the history, the verification
    (200, "PATCH", "/v1/users/{user}"),
    (200, "GET", "/_local/emails"),
    (200, "GET", "/_local/events"),
    (200, "GET", "/v1/users/{user}/events"),
    (200, "GET", "/_local/emails"),
    (200, "POST", "/v1/auth/email/verify"),
    # sessions: one's own, then an admin's
    (200, "GET", "/v1/auth/sessions"),
    (200, "POST", "/v1/auth/sign-in"),
    (204, "POST", "/v1/auth/sessions/{session}/revoke"),
    (200, "POST", "/v1/auth/sign-in"),
    (200, "GET", "/v1/users/{user}/sessions"),
    (204, "POST", "/v1/users/{user}/sessions/{session}/revoke"),
    (204, "POST", "/v1/users/{user}/sessions/revoke"),
    (401, "GET", "/v1/auth/me"),
    # passwords
    (200, "POST", "/v1/auth/sign-in"),
    (200, "POST", "/v1/auth/password/change"),
    (200, "POST", "/v1/users/{user}/password"),
    (200, "POST", "/v1/users/{user}/password"),
    # disable, enable, disable with revocation; merge; unlock
    (200, "POST", "/v1/users/{user}/disable"),
    (200, "POST", "/v1/users/{user}/enable"),
    (200, "POST", "/v1/users/{user}/disable"),
    (200, "PATCH", "/v1/users/{user}/metadata"),
    (200, "POST", "/v1/users/{user}/unlock"),
    # delete, restore, delete for good
    (200, "DELETE", "/v1/users/{user}"),
    (200, "POST", "/v1/users/{user}/restore"),
    (204, "DELETE", "/v1/users/{user}"),
    (404, "GET", "/v1/users/{user}"),
]


def walkthrough() -> str:
    """The ```bash blocks of the README's "Try it" section, in order."""
    text = README.read_text()
    section = text[text.index("## Try it") : text.index("## Self-service from React")]
    return "\n".join(re.findall(r"^```bash\n(.*?)^```", section, flags=re.MULTILINE | re.DOTALL))


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[Runner]:
    with started_runner(tmp_path_factory.mktemp("readme-runner"), "--dynamodb", backend) as runner:
        yield runner


def _shape(path: str) -> str:
    path = re.sub(r"/usr_\w+", "/{user}", path)
    return re.sub(r"/ses_\w+", "/{session}", path)


def test_the_walkthrough_runs_as_written(fresh: Runner, tmp_path: Path) -> None:
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    (tmp_path / ".local").symlink_to(fresh.state_dir)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | {"PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        ["bash", "-c", PRELUDE + walkthrough()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, f"the walkthrough stopped ({out.returncode}):\n{out.stderr[-3000:]}"
    steps = [
        (int(status), method, _shape(url.removeprefix(fresh.api_url).split("?")[0]))
        for status, method, url in STEP.findall(out.stderr)
    ]
    assert steps == EXPECTED
    # what it printed is what the API answered, e.g. the seed's PATCH (curl adds no newline: the
    # next answer follows on the same line)
    patched = out.stdout[out.stdout.rindex('{"id":"usr_', 0, out.stdout.index('"Alice J. Smith"')) :]
    user, _ = json.JSONDecoder().raw_decode(patched)
    assert (user["name"], user["pending_email"]) == ("Alice J. Smith", "alice.new@example.com")


def test_the_demo_user_still_signs_in_afterwards(fresh: Runner) -> None:
    """The walkthrough leaves the demo credentials of the banner (and the example app) working;
    run after the walkthrough in this module's runner."""
    api = Http(fresh.api_url)
    demo = fresh.credentials["demo_user"]
    reply = api(
        "POST",
        "/v1/auth/sign-in",
        {"email": demo["email"], "password": demo["password"]},
        fresh.demo.public(),
    )
    assert reply.status == 200, reply.body
    assert reply.body["user"]["email"] == demo["email"]
