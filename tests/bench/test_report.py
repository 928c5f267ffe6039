"""docs/PERFORMANCE.md carries no number that a run did not measure or the code does not name.

The page is rendered twice from two synthetic runs: the second with every measured value moved
(ratios too, not only scale) and every named constant the page may use changed (the targets and
bench settings, bench/cost.py's prices and limits, the service's defaults). The two pages must be
the same text number for number, and no number may be the same in both: a number typed into the
prose ("1.88x -> 1.70x", "60 s") stays the same and fails, wherever it stands.
"""

import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hellojohn.adapters import jobs

from bench import __main__ as bench_main
from bench import cold, cost, report, warm
from bench import first as firstreq
from bench.cold import PYJWT_NAME, STACK_NAME, ColdResult, Probe, Runs
from bench.first import First
from bench.hashing import HashResult
from bench.report import Run, document
from bench.scale import ScaleResult, Seeding, WorkerResult
from bench.scenarios import Scenario
from bench.warm import WarmResult

# whose UPPER_CASE constants the page may show; a constant anywhere else would not move and fail
CONSTANTS: tuple[ModuleType, ...] = (report, cost, cold, firstreq, warm, jobs)
# a number, not a digit inside a name (boto3, GSI1, p50, x86_64, SHA-256, us-east-1)
NUMBER = re.compile(r"(?<![\w.])(?<![A-Za-z]-)\d+(?:[.,]\d+)*")
FUNCTIONS = ("UsersGetFunction", "AuthSignInFunction")
ENDPOINTS = (("GET /v1/users/{id}", "UsersGetFunction", ""), ("POST /v1/auth/sign-in", "Auth", "verify"))


def _samples(base: float, n: int, step: float) -> list[float]:
    return [base * (1 + step * i) for i in range(n)]


def synthetic(k: int) -> Run:
    """A run whose every value depends on k (0 or 1), ratios included (numerator and floor apart)."""
    n = 3 + 2 * k  # samples per measurement
    up = 1 + 0.37 * k  # absolute values
    more = 0.013 + 0.2 * k  # ratios over their floor
    floor = Runs(wall=_samples(0.20 * up, n, 0.01), cpu=_samples(0.15 * up, n, 0.01))
    results = []
    for j, name in enumerate((STACK_NAME, PYJWT_NAME, *FUNCTIONS)):
        ratio = 1.3 + (0.02 + 0.005 * k) * j + more  # within the stack + INIT_OVER_STACK
        runs = Runs(
            wall=_samples(0.25 * up * (1 + j / 10), n, 0.02),
            cpu=_samples(0.15 * up * ratio, n, 0.02),
            cpu_ratio=_samples(ratio, n, 0.003),
            wall_ratio=_samples(ratio + 0.1, n, 0.003),
        )
        results.append(ColdResult(name, runs, Probe(name, clients=["dynamodb"], lazy=[], late_models=[])))
    firsts = {
        f: First(
            f,
            first=_samples(0.0039 * up * (1.03 + more), n, 0.01),
            warm=_samples(0.0039 * up, n, 0.01),
            hot=_samples(0.0036 * up, n, 0.01),
            first_freeze=_samples(0.004 * up * (1.02 + more), n - 1, 0.01),
            warm_freeze=_samples(0.004 * up, n - 1, 0.01),
            calls=["GetItem"],
            made=(round((10_000 + 1000 * k) * (1.01 + more / 10)), 10_000 + 1000 * k),
            faults_first=[3 + 2 * k + i for i in range(n)],
            faults_warm=[1 + 3 * k + i for i in range(n)],
        )
        for f in FUNCTIONS
    }
    warms = []
    units = {}
    for j, (name, function, argon2) in enumerate(ENDPOINTS):
        scenario = Scenario(name, function, None, lambda w, i: ("GET", "/", None, {}), lambda w, i: None)
        scenario.argon2 = argon2
        base = 0.002 * up * (1 + 20 * j)
        warms.append(
            WarmResult(
                scenario,
                handler=_samples(base * (1.05 + more / 2), n, 0.02),
                floor=_samples(base, n, 0.02),
                moto=_samples(base / 3, n, 0.02),
                calls=["dynamodb.GetItem"] * (1 + j),
                memory_mb=(256, 1024)[j] + 512 * k,
            )
        )
        units[name] = cost.Units(rru=1 + j + k, wru=0.5 + j + 3 * k, detail="measured")
    seeding = Seeding(
        users=round(1000 * up),
        sample_users=50 + k,
        sample_seconds=0.5 * up,
        backend_seconds=3 * up,
        api_users=4 + k,
    )
    scale = [
        ScaleResult(
            name,
            small=_samples(0.003 * up * (1 + j), n, 0.01),
            big=_samples(0.003 * up * (1 + j) * (1.01 + more / 3), n, 0.01),
            calls_small={1 + j + k},
            calls_big={1 + j + k, 2 + j + 2 * k},
        )
        for j, name in enumerate(("GET one", "PATCH one"))
    ]
    workers = [WorkerResult(s, 1 + s // 25 + k, k, 0.00001 * s * up) for s in ((1, 60), (500, 200))[k]]
    settings = (
        ("floor", 19000, 0.02),
        ("service", 19000, 0.021 + 0.01 * k),
        ("stronger", 47000, 0.05 + 0.01 * k),
    )
    hashing = [
        HashResult(
            label, m * (1 + k), 2 + k, 1 + k, _samples(t * up, n, 0.01), _samples(t * up * 0.9, n, 0.01)
        )
        for label, m, t in settings
    ]
    return Run(
        command="python -m bench",
        seconds=300 * up,
        cold=(floor, results),
        warm=(warms, units),
        scale=(seeding, scale, workers),
        hashing=hashing,
        compile_ms=80 * up,
        bytecode=(
            Runs(wall=_samples(0.5 * up, n, 0.01), cpu=_samples(0.45 * up, n, 0.01)),
            Runs(wall=_samples(0.2 * up, n, 0.01), cpu=_samples(0.17 * up, n, 0.01)),
        ),
        instructions={
            "floor": 3e9 * up,
            STACK_NAME: 1.4 + more,
            PYJWT_NAME: 1.45 + more,
            **{f: 1.47 + more + j / 100 for j, f in enumerate(FUNCTIONS)},
        },
        first=firsts,
        machine=f"x86_64, Python 3.13.{1 + k}, {2 + 2 * k} CPUs",
        api_memory_mb={
            "UsersGetFunction": 256 + 512 * k,
            "AuthSignInFunction": 1024 + 512 * k,
            **({"UsersListFunction": 1024 + 512 * k} if k else {}),
        },
    )


def _moved(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value * 2 + 1
    if isinstance(value, float):
        return value * 2 + 0.37
    if isinstance(value, dict) and all(isinstance(v, int | float) for v in value.values()):
        return {k: _moved(v) for k, v in value.items()}
    return value  # text is not moved: a number typed into a string constant must fail


def _move_constants(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in CONSTANTS:
        for name, value in list(vars(module).items()):
            if name.isupper() and _moved(value) is not value:
                monkeypatch.setattr(module, name, _moved(value))
    monkeypatch.setattr(cost, "PRICE_DATE", cost.PRICE_DATE.replace(cost.PRICE_DATE[:4], "1999"))  # a year
    setting = report.service_setting
    monkeypatch.setattr(report, "service_setting", lambda name: setting(name) * 2 + 1)


def _numbers(page: str) -> list[tuple[str, str]]:
    """Every number of the page, with the text around it."""
    return [
        (m.group(), f"{m.group()!r} in …{page[max(0, m.start() - 50) : m.end() + 10]}…".replace("\n", " "))
        for m in NUMBER.finditer(page)
    ]


def test_every_number_on_the_page_comes_from_the_run_or_a_named_constant(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = document(synthetic(0))
    _move_constants(monkeypatch)
    after = document(synthetic(1))
    shapes = [NUMBER.sub("#", page).splitlines() for page in (before, after)]
    changed = [(a, b) for a, b in zip(*shapes, strict=True) if a != b]
    assert changed == [], "the page's text, not only its numbers, differs between the runs:\n" + "\n".join(
        f"{a}\n{b}" for a, b in changed
    )
    pairs = list(zip(_numbers(before), _numbers(after), strict=True))
    assert len(pairs) > 200  # every section rendered
    stayed = [context for (a, context), (b, _) in pairs if a == b]
    assert stayed == [], "numbers not from the run or a named constant:\n" + "\n".join(stayed)


def test_the_page_shows_the_run_s_figures() -> None:
    run = synthetic(0)
    page = document(run)
    worst = max(run.warm[0], key=report.warm_ratio)
    assert f"| {report.warm_ratio(worst):.2f}x ({worst.scenario.name}) |" in page
    assert f"{run.seconds / 60:.1f} min on {run.machine}" in page
    assert "->" not in page  # no before/after history


def test_the_page_renders_again_from_the_stored_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench_main, "STORED", tmp_path / "run.pickle")
    run = synthetic(0)
    bench_main.store(run)
    assert document(bench_main.stored_run()) == document(run)
