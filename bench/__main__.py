"""`python -m bench` (`make bench`): run every section, print the tables, rewrite docs/PERFORMANCE.md.

python -m bench                      # everything (under 10 minutes on 2 cores)
python -m bench --quick --no-write   # a smoke run while changing the benchmarks
python -m bench --only cold,hashing  # some sections (the document needs all of them)
python -m bench --render             # docs/PERFORMANCE.md again from the last run's measurements

Every run of all the sections stores what it measured in .bench/run.pickle (git ignores .bench/),
so the page can be re-rendered after a change to its prose without measuring again.
"""

import argparse
import contextlib
import dataclasses
import os
import pickle
import platform
import sys
import time
from pathlib import Path
from typing import Any

from bench import lambdas
from bench.report import Run, console, document

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "PERFORMANCE.md"
STORED = ROOT / ".bench" / "run.pickle"
SECTIONS = ("hashing", "warm", "scale", "cold")


_STARTED = time.perf_counter()


def _log(message: str) -> None:
    """A progress line on stderr, with the minutes since the bench started (where the time goes)."""
    sys.stderr.write(f"[bench {(time.perf_counter() - _STARTED) / 60:4.1f} min] {message}\n")
    sys.stderr.flush()


def _compile_ms() -> float:
    """CPU time to compile every module of the layer (what a cold start pays without .pyc)."""
    root = Path(__file__).resolve().parent.parent / "layers" / "shared" / "hellojohn"
    sources = [(str(p), p.read_text()) for p in sorted(root.rglob("*.py"))]
    start = time.process_time()
    for path, text in sources:
        compile(text, path, "exec")
    return (time.process_time() - start) * 1000


def _never(*_: Any) -> Any:
    raise RuntimeError("a stored run's scenarios are names only: they cannot be run")


def store(run: Run) -> None:
    """Pickles the run's measurements (the scenarios' callables left out: only their names are shown)."""
    stored = run
    if run.warm:
        results, units = run.warm
        kept = [
            dataclasses.replace(
                r,
                scenario=dataclasses.replace(
                    r.scenario, request=_never, floor=_never, after=None, prepare=None
                ),
            )
            for r in results
        ]
        stored = dataclasses.replace(run, warm=(kept, units))
    STORED.parent.mkdir(exist_ok=True)
    STORED.write_bytes(pickle.dumps(stored))


def stored_run() -> Run:
    # the bench's own file, written by `store` on this machine: not input from anywhere else
    run = pickle.loads(STORED.read_bytes())  # noqa: S301
    if not isinstance(run, Run):
        raise TypeError(f"{STORED} holds no bench run")
    return run


def _api_memory() -> dict[str, int]:
    from bench.first import WORKERS
    from local_runner import template

    return {f.logical_id: f.memory_mb for f in template.functions() if f.logical_id not in WORKERS}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="few samples: for checking the benchmarks, not the code"
    )
    parser.add_argument(
        "--no-write", action="store_true", help=f"do not rewrite {DOC.relative_to(DOC.parent.parent)}"
    )
    parser.add_argument(
        "--only", default=",".join(SECTIONS), help=f"comma-separated, of {', '.join(SECTIONS)}"
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count each cold start's instructions under valgrind (load-proof; adds about 8 minutes)",
    )
    parser.add_argument(
        "--render",
        action="store_true",
        help=f"measure nothing: rewrite the page from the last full run's {STORED.relative_to(ROOT)}",
    )
    args = parser.parse_args(argv)
    if args.render:
        if not STORED.exists():
            parser.error(f"no stored run: {STORED.relative_to(ROOT)} is written by every `python -m bench`")
        DOC.write_text(document(stored_run()))
        _log(f"wrote {DOC} from {STORED}")
        return 0
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = only - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    # the handlers' EMF documents (hellojohn.signals) go to stdout, as in Lambda: still written, not shown
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        run = measure(args, only)
    sys.stdout.write(console(run) + "\n")
    if only == set(SECTIONS):
        store(run)
        _log(f"stored the measurements in {STORED}")
    if not args.no_write:
        if only != set(SECTIONS):
            _log(f"not writing {DOC.name}: it needs every section (--only was given)")
        else:
            DOC.write_text(document(run))
            _log(f"wrote {DOC}")
    _log(f"done in {run.seconds / 60:.1f} min")
    return 0


def measure(args: argparse.Namespace, only: set[str]) -> Run:
    lambdas.use_environment()
    started = time.perf_counter()
    flags = [f for f, on in (("--quick", args.quick), ("--instructions", args.instructions)) if on]
    run = Run(
        command=" ".join(["python -m bench", *flags]),
        seconds=0.0,
        machine=f"{platform.machine()}, Python {platform.python_version()}, {os.cpu_count() or 0} CPUs",
        api_memory_mb=_api_memory(),
    )
    if "hashing" in only:
        from bench import hashing

        _log("hashing: Argon2id at the service's parameters and the alternatives")
        run.hashing = hashing.run(samples=5 if args.quick else 15)
    if "warm" in only:
        from bench import warm

        _log("warm: every endpoint against its bare boto3 floor")
        run.warm = warm.run(iterations=20 if args.quick else 150, hash_iterations=4 if args.quick else 20)
    if "scale" in only:
        from bench import scale

        _log("scale: 10 against 100,000 users in one tenant, and the revocation worker")
        run.scale = scale.run(users=10_000 if args.quick else 100_000, rounds=4 if args.quick else 16)
    if "cold" in only:
        from bench import cold

        _log("cold: probing each function's first request (a moto server, one process per function)")
        probes = cold.probe_all()
        _log("cold: fresh processes, functions and the floor interleaved")
        run.cold = cold.measure(probes, rounds=3 if args.quick else 6)
        from bench import first

        _log("first: each API function's first request after its hooks, against the same request warm")
        run.first = first.run(rounds=2 if args.quick else 3, freeze_rounds=1 if args.quick else 2)
        run.compile_ms = _compile_ms()
        _log("cold: boto3 from a layer without and with bytecode")
        run.bytecode = cold.bytecode_effect(rounds=2 if args.quick else 5)
        if args.instructions:
            _log("cold: instruction counts under valgrind (two at a time)")
            run.instructions = cold.instructions(probes)
    run.seconds = time.perf_counter() - started
    return run


if __name__ == "__main__":
    raise SystemExit(main())
