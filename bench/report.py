"""docs/PERFORMANCE.md: bench/performance.md (the prose, static) with one run's tables put in.

Every number on the page is in a table rendered here from the run (`Run`) or from a named
constant of the code that measured it (the targets below, bench/cost.py's prices).
"""

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import cost
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
    warm: Any = None  # ([WarmResult], {name: Units})
    scale: Any = None  # (Seeding, [ScaleResult], [WorkerResult])
    hashing: Any = None  # [HashResult]


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
    rows = []
    for r in run.warm[0]:
        p95, floor_p95 = pct(r.handler, 95), pct(r.floor, 95)
        rows.append(
            [
                r.scenario.name,
                " + ".join(c.split(".")[-1] for c in r.calls),
                ms(median(r.handler)),
                ms(p95),
                ms(median(r.floor)),
                ms(floor_p95),
                f"{warm_ratio(r):.2f}x",
                f"{p95 / floor_p95:.2f}x",
                r.scenario.argon2,
                f"≤ {r.scenario.target}x: {verdict(warm_ratio(r), r.scenario.target)}",
            ]
        )
    header = ["Endpoint", "Calls", "p50 ms", "p95 ms", "floor p50", "floor p95", "p50 ratio", "p95 ratio"]
    return table([*header, "Argon2id in both", "Target"], rows)


def scale_tables(run: Run) -> tuple[str, str]:
    seeding, results, workers = run.scale
    few, total = seeding.api_users, seeding.users + seeding.api_users
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
    header = ["Request", f"Calls ({few})", f"Calls ({total:,})", f"p50 ms ({few})", f"p50 ms ({total:,})"]
    scale = table([*header, "Ratio", f"Target ≤ {SCALE_TARGET}x"], rows)
    batch = cost.BATCH_WRITE_MAX_ITEMS
    worker_rows = [
        [w.sessions, w.writes, math.ceil(w.sessions / batch), w.queries, ms(w.seconds)] for w in workers
    ]
    worker_header = ["Sessions revoked", "BatchWriteItem", f"Budget ⌈N/{batch}⌉", "Query", "Worker time ms"]
    return scale, table(worker_header, worker_rows)


def hashing_table(run: Run) -> str:
    floor = run.hashing[0]
    rows = [
        [
            r.label,
            f"m={r.memory_kib} KiB, t={r.time_cost}, p={r.parallelism}",
            ms(r.hash_p50),
            ms(r.verify_p50),
            "floor" if r is floor else f"{r.hash_p50 / floor.hash_p50:.2f}x",
        ]
        for r in run.hashing
    ]
    return table(["Setting", "Parameters", "Hash p50 ms", "Verify p50 ms", "vs floor"], rows)


def cost_table(run: Run) -> str:
    results, units = run.warm
    rows = []
    for r in results:
        e = cost.estimate(r.scenario.name, r.memory_mb, r.client_cpu, r.calls, units[r.scenario.name])
        limits = [
            limit / used
            for limit, used in (
                (cost.PARTITION_RRU_PER_S, e.units.rru),
                (cost.PARTITION_WRU_PER_S, e.units.wru),
            )
            if used
        ]
        rows.append(
            [
                e.name,
                e.memory_mb,
                f"{e.cpu_ms:.1f}",
                e.billed_ms,
                f"{e.units.rru:g}",
                f"{e.units.wru:g}",
                f"{e.lambda_usd:.3f}",
                f"{e.api_usd:.2f}",
                f"{e.ddb_usd:.3f}",
                f"**{e.total:.2f}**",
                f"{min(limits):,.0f}" if limits else "-",
            ]
        )
    header = ["Endpoint", "MB", "CPU ms here", "Billed ms", "RRU", "WRU", "Lambda $", "API GW $"]
    return table([*header, "DynamoDB $", "Total $/M", "At most /s on one user"], rows)


def summary(run: Run) -> str:
    rows = []
    if run.first:
        worst = max(run.first.values(), key=lambda f: f.ratio)
        over = [f.function for f in run.first.values() if f.ratio > FIRST_TARGET]
        rows.append(
            [
                "First request after a restore / the same request warm, function calls, worst",
                f"{worst.ratio:.2f}x ({worst.function}); over: {', '.join(over) or 'none'}",
                f"≤ {FIRST_TARGET}x",
                verdict(worst.ratio, FIRST_TARGET),
            ]
        )
    if run.cold:
        stack = stack_ratio(run)
        functions = [r for r in run.cold[1] if r.function != STACK_NAME]
        worst_init = max(functions, key=cold_ratio)
        over = [
            f"{r.function} ({cold_ratio(r) - stack:+.2f})"
            for r in functions
            if cold_ratio(r) > stack + INIT_OVER_STACK
        ]
        rows.append(
            [
                "Init (import + before-snapshot hook) / boto3 floor, worst (CPU)",
                f"{cold_ratio(worst_init):.2f}x ({worst_init.function}); stack alone {stack:.2f}x; "
                f"over: {', '.join(over) or 'none'}",
                f"≤ stack + {INIT_OVER_STACK} = {stack + INIT_OVER_STACK:.2f}x",
                verdict(cold_ratio(worst_init), stack + INIT_OVER_STACK),
            ]
        )
    if run.warm:
        over = [r for r in run.warm[0] if warm_ratio(r) > r.scenario.target]
        worst_warm = max(run.warm[0], key=warm_ratio)
        rows.append(
            [
                "Warm p50 / the store's calls alone, worst endpoint",
                f"{warm_ratio(worst_warm):.2f}x ({worst_warm.scenario.name}); over: "
                + (", ".join(f"{r.scenario.name} ({warm_ratio(r):.2f}x)" for r in over) or "none"),
                "≤ 1.2x (POST /v1/users ≤ 1.4x)",
                "ok" if not over else "**over**",
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
    scale, workers = scale_tables(run)
    return TEMPLATE.read_text().format(
        run=f"`{run.command}`, {run.seconds / 60:.1f} min on {run.machine}",
        summary=summary(run),
        first=first_table(run),
        init=init_table(run),
        warm=warm_table(run),
        scale=scale,
        workers=workers,
        hashing=hashing_table(run),
        cost=cost_table(run),
    )


def console(run: Run) -> str:
    """The three decided figures per function, and the summary, for the terminal."""
    parts = [summary(run)]
    parts += [
        render(run)
        for present, render in ((run.first, first_table), (run.cold, init_table), (run.warm, warm_table))
        if present
    ]
    return "\n\n".join(parts)
