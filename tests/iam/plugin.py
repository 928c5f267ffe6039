"""The IAM check as pytest sees it: per test, and over the whole run.

- Every test runs inside `tests.iam.check.watching()` (an autouse fixture): a call a function's
  role would refuse fails the test that made it.
- With `--iam-coverage` (`make pytest` passes it; a partial run cannot use every grant), the run
  fails when a grant of the template's policies was never used by any call of any test. Under
  pytest-xdist each worker writes what it used to a file; the controller adds them up.
"""

import json
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_DIR = "HELLOJOHN_IAM_USED_DIR"
_state: dict[str, Any] = {"used": set(), "exercised": set()}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--iam-coverage",
        action="store_true",
        help="fail the run when a grant of template.yaml's roles is used by no test (whole-suite runs)",
    )


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput") and _DIR not in os.environ:  # the controller (or the only process)
        os.environ[_DIR] = tempfile.mkdtemp(prefix="iam-used-")


@pytest.fixture(autouse=True)
def iam_checked() -> Iterator[None]:
    from tests.iam.check import watching

    with watching() as watch:
        yield
    _state["used"] |= watch.used
    _state["exercised"] |= watch.exercised
    if watch.refused:
        lines = "\n  ".join(f"{r.function}: {r}" for r in watch.refused)
        pytest.fail(
            f"AWS would refuse {len(watch.refused)} call(s) of the functions:\n  {lines}", pytrace=False
        )


def _rows(grants: set[Any]) -> list[list[Any]]:
    return sorted([g.function, g.policy, g.statement, g.action, g.resource, g.key_pattern] for g in grants)


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    folder = Path(os.environ.get(_DIR, tempfile.gettempdir()))
    worker = getattr(config, "workerinput", {}).get("workerid", "main")
    (folder / f"{worker}.json").write_text(
        json.dumps({"used": _rows(_state["used"]), "exercised": sorted(_state["exercised"])})
    )
    if hasattr(config, "workerinput") or not config.getoption("--iam-coverage"):
        return
    from tests.iam.roles import Grant, grants

    used: set[Grant] = set()
    exercised: set[tuple[str, ...]] = set()
    for path in folder.glob("*.json"):
        data = json.loads(path.read_text())
        used |= {Grant(*row) for row in data["used"]}
        exercised |= {tuple(row) for row in data["exercised"]}
    unused = sorted(grants() - used, key=str)
    report = _report(grants(), used, exercised)
    (Path(config.rootpath) / ".aws-sam").mkdir(exist_ok=True)
    (Path(config.rootpath) / ".aws-sam" / "iam-coverage.txt").write_text(report)
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    if unused:
        text = "\n  ".join(str(g) for g in unused)
        if terminal:
            terminal.write_line(
                f"IAM: {len(unused)} grant(s) no test ever used (least privilege):\n  {text}", red=True
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    elif terminal:
        terminal.write_line(
            f"IAM: all {len(grants())} grants used; per function in .aws-sam/iam-coverage.txt"
        )


def _report(granted: frozenset[Any], used: set[Any], exercised: set[tuple[str, ...]]) -> str:
    lines = [
        "# Per function: the grants of its role (action, resource, LeadingKeys scope), used or not",
        "# by the suite, then what the suite's calls exercised (action, resource, item kind).",
        "",
    ]
    by_function: dict[str, list[str]] = defaultdict(list)
    for g in sorted(granted, key=str):
        mark = "used  " if g in used else "UNUSED"
        scope = f" keys {g.key_pattern}" if g.key_pattern else ""
        by_function[g.function].append(f"  {mark} {g.action} {g.resource.rsplit(':', 1)[-1]}{scope}")
    calls: dict[str, list[str]] = defaultdict(list)
    for function, action, resource, kind in sorted(exercised):
        calls[function].append(f"    {action} {resource.rsplit(':', 1)[-1]}{' ' + kind if kind else ''}")
    for function in sorted(set(by_function) | set(calls)):
        lines += [function, *by_function[function], "  exercised:", *calls[function], ""]
    return "\n".join(lines)
