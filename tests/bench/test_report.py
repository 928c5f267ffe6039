"""docs/PERFORMANCE.md is bench/performance.md with a run's tables put in: every number it
carries comes from the run or from a named target, none is typed into the prose.

The page is rendered from two synthetic runs whose every value differs; the prose between the
tables must be the same text in both, and the template's own prose may hold no figure but the
fixed facts it names (documented limits and defaults, not measurements).
"""

import re

from bench import report
from bench.cold import STACK_NAME, ColdResult, Runs
from bench.first import First
from bench.report import Run, document
from bench.scale import ScaleResult
from bench.warm import WarmResult

# the fixed facts the prose names: limits and defaults from AWS's and the service's documentation
FACTS = {"1,769", "1,024", "1.7", "3,000", "1,000", "4", "1", "25", "2", "50"}
NUMBER = re.compile(r"(?<![\w.])(?<![A-Za-z]-)\d+(?:[.,]\d+)*")


def _samples(base: float, k: int) -> list[float]:
    return [base * (1 + 0.3 * k) * (1 + 0.01 * i) for i in range(3 + k)]


def synthetic(k: int) -> Run:
    floor = Runs(cpu=_samples(0.15, k))
    cold = [
        ColdResult(name, Runs(cpu=_samples(0.2 + j / 50, k), cpu_ratio=_samples(1.3 + j / 20, k)))
        for j, name in enumerate((STACK_NAME, "UsersGetFunction"))
    ]
    firsts = {
        "UsersGetFunction": First(
            "UsersGetFunction",
            _samples(0.004, k),
            _samples(0.003, k),
            ["GetItem"],
            True,
            [],
            (1300 + k, 1000 + k),
        )
    }
    warm = WarmResult("GET /v1/users/{id}", 1.2, "", _samples(0.005, k), _samples(0.004, k), ["GetItem"])
    scale = ScaleResult("GET /v1/users/{id}", _samples(0.004, k), _samples(0.0041, k), {1}, {1})
    return Run(
        f"python -m bench{' --quick' * k}",
        100.0 + k,
        f"machine {k}",
        cold=(floor, cold),
        first=firsts,
        warm=[warm],
        scale=((5 + k, 1000 + k), [scale]),
    )


def _prose(page: str) -> list[str]:
    return [line for line in page.splitlines() if not line.startswith("|") and not line.startswith("Floor:")]


def test_the_page_is_the_template_with_the_runs_tables() -> None:
    one, two = document(synthetic(0)), document(synthetic(1))
    prose_one, prose_two = _prose(one), _prose(two)
    assert len(prose_one) == len(prose_two)
    differ = [(a, b) for a, b in zip(prose_one, prose_two, strict=True) if a != b]
    assert [a for a, _ in differ] == [
        line for line in prose_one if "python -m bench" in line and "min on" in line
    ]
    tables_one = [line for line in one.splitlines() if line.startswith("|") and "---" not in line]
    tables_two = [line for line in two.splitlines() if line.startswith("|") and "---" not in line]
    assert tables_one != tables_two  # the tables are the run's


def test_the_templates_prose_holds_no_measured_number() -> None:
    text = report.TEMPLATE.read_text()
    prose = "\n".join(line for line in text.splitlines() if not line.startswith("|"))
    found = set(NUMBER.findall(re.sub(r"\{\w+\}", "", prose)))
    assert found <= FACTS, found - FACTS
