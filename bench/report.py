"""docs/PERFORMANCE.md: bench/performance.md (the prose, static) with one run's tables put in.

Every number on the page is in a table rendered here from the run (`Run`) or from a named target.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.cold import STACK_NAME
from bench.stats import median, ms, pct, table

TEMPLATE = Path(__file__).with_name("performance.md")
FIRST_TARGET = 1.5  # the first request's function calls over the same request warm's
INIT_OVER_STACK = 0.15  # what our own code may add to the stack's init, in floors
SCALE_TARGET = 1.1


@dataclass
class Run:
    """Everything one `python -m bench` measured (a section left out is None)."""

    command: str
    seconds: float
    machine: str = ""  # where it ran: architecture, Python, CPUs
    cold: Any = None  # (floor Runs, [ColdResult])
    first: Any = None  # {function: bench.first.First}
    warm: Any = None  # [bench.warm.WarmResult]
    scale: Any = None  # ((users of the few, of the many), [ScaleResult])


def verdict(value: float, target: float) -> str:
    return "ok" if value <= target else "**over**"


def cold_ratio(r: Any) -> float:
    return median(r.runs.cpu_ratio)


def stack_ratio(run: Run) -> float:
    return next(cold_ratio(r) for r in run.cold[1] if r.function == STACK_NAME)


def warm_ratio(r: Any) -> float:
    return median(r.handler) / median(r.floor)


def first_table(run: Run) -> str:
    rows = [
        [
            f.function,
            " + ".join(f.calls) or "none",
            "yes" if f.same_calls else "**no**",
            f"{f.made[0]:,} / {f.made[1]:,}",
            f"{f.ratio:.2f}x",
            f"{median(f.first) * 1000:.2f} / {median(f.warm) * 1000:.2f}",
            ", ".join(sorted({m.split(".")[0] for m in f.lazy})) or "none",
            verdict(f.ratio, FIRST_TARGET) if f.same_calls else "**calls differ**",
        ]
        for f in sorted(run.first.values(), key=lambda f: f.ratio, reverse=True)
    ]
    header = ["Function", "AWS calls", "Same calls", "Function calls, first / warm", "Ratio"]
    header += ["CPU ms, first / warm", "First request imports", f"Target ≤ {FIRST_TARGET}x"]
    return table(header, rows)


def init_table(run: Run) -> str:
    floor, results = run.cold
    stack = stack_ratio(run)
    rows = [
        [
            r.function,
            ms(median(r.runs.cpu)),
            f"{cold_ratio(r):.2f}x",
            "-" if r.function == STACK_NAME else f"{cold_ratio(r) - stack:+.2f}",
            "reference" if r.function == STACK_NAME else verdict(cold_ratio(r), stack + INIT_OVER_STACK),
        ]
        for r in sorted(results, key=cold_ratio, reverse=True)
    ]
    header = ["Function", "CPU p50 ms", "/ floor", "over the stack", f"Target ≤ stack + {INIT_OVER_STACK}"]
    return f"Floor: CPU p50 {ms(median(floor.cpu))} ms, {len(floor.cpu)} runs.\n\n" + table(header, rows)


def warm_table(run: Run) -> str:
    rows = [
        [
            r.name,
            " + ".join(c.split(".")[-1] for c in r.calls),
            ms(median(r.handler)),
            ms(pct(r.handler, 95)),
            ms(median(r.floor)),
            ms(pct(r.floor, 95)),
            f"{warm_ratio(r):.2f}x",
            f"{pct(r.handler, 95) / pct(r.floor, 95):.2f}x",
            r.argon2,
            f"≤ {r.target}x: {verdict(warm_ratio(r), r.target)}",
        ]
        for r in run.warm
    ]
    header = ["Endpoint", "Calls", "p50 ms", "p95 ms", "floor p50", "floor p95", "p50 ratio", "p95 ratio"]
    return table([*header, "Argon2id in both", "Target"], rows)


def scale_table(run: Run) -> str:
    (few, many), results = run.scale
    rows = [
        [
            r.name,
            "/".join(str(c) for c in sorted(r.calls_small)),
            "/".join(str(c) for c in sorted(r.calls_big)),
            ms(median(r.small)),
            ms(median(r.big)),
            f"{r.ratio:.2f}x",
            verdict(r.ratio, SCALE_TARGET),
        ]
        for r in results
    ]
    header = ["Request", f"Calls ({few})", f"Calls ({many:,})", f"p50 ms ({few})", f"p50 ms ({many:,})"]
    return table([*header, "Ratio", f"Target ≤ {SCALE_TARGET}x"], rows)


def summary(run: Run) -> str:
    rows = []
    if run.first:
        worst = max(run.first.values(), key=lambda f: f.ratio)
        over = ", ".join(f.function for f in run.first.values() if f.ratio > FIRST_TARGET) or "none"
        rows.append(
            [
                "First request after a restore / the same request warm, function calls, worst",
                f"{worst.ratio:.2f}x ({worst.function}); over: {over}",
                f"≤ {FIRST_TARGET}x",
                verdict(worst.ratio, FIRST_TARGET),
            ]
        )
    if run.cold:
        stack, limit = stack_ratio(run), stack_ratio(run) + INIT_OVER_STACK
        functions = [r for r in run.cold[1] if r.function != STACK_NAME]
        worst_init = max(functions, key=cold_ratio)
        over = ", ".join(
            f"{r.function} ({cold_ratio(r) - stack:+.2f})" for r in functions if cold_ratio(r) > limit
        )
        rows.append(
            [
                "Init (import + before-snapshot hook) / boto3 floor, worst (CPU)",
                f"{cold_ratio(worst_init):.2f}x ({worst_init.function}); stack alone {stack:.2f}x; "
                f"over: {over or 'none'}",
                f"≤ stack + {INIT_OVER_STACK} = {limit:.2f}x",
                verdict(cold_ratio(worst_init), limit),
            ]
        )
    if run.warm:
        over = ", ".join(f"{r.name} ({warm_ratio(r):.2f}x)" for r in run.warm if warm_ratio(r) > r.target)
        worst_warm = max(run.warm, key=warm_ratio)
        rows.append(
            [
                "Warm p50 / the store's calls alone, worst endpoint",
                f"{warm_ratio(worst_warm):.2f}x ({worst_warm.name}); over: {over or 'none'}",
                "≤ 1.2x (POST /v1/users ≤ 1.4x)",
                "**over**" if over else "ok",
            ]
        )
    if run.scale:
        worst_scale = max(run.scale[1], key=lambda r: r.ratio)
        rows.append(
            [
                "Scale, worst request (p50)",
                f"{worst_scale.ratio:.2f}x ({worst_scale.name})",
                f"≤ {SCALE_TARGET}x",
                verdict(worst_scale.ratio, SCALE_TARGET),
            ]
        )
    return table(["Figure", "Measured", "Target", ""], rows)


def document(run: Run) -> str:
    return TEMPLATE.read_text().format(
        run=f"`{run.command}`, {run.seconds / 60:.1f} min on {run.machine}",
        summary=summary(run),
        first=first_table(run),
        init=init_table(run),
        warm=warm_table(run),
        scale=scale_table(run),
    )


def console(run: Run) -> str:
    """The three decided figures per function, and the summary, for the terminal."""
    parts = [summary(run)]
    for present, render in ((run.first, first_table), (run.cold, init_table), (run.warm, warm_table)):
        if present:
            parts.append(render(run))
    return "\n\n".join(parts)
