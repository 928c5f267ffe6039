"""`python -m bench` (`make bench`): run every section, print the tables, rewrite docs/PERFORMANCE.md.

python -m bench                      # everything (7.7 min on 2 cores shared at a load of 11-12)
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
    run = Run(
        command=" ".join(["python -m bench", *(["--quick"] if args.quick else [])]),
        seconds=0.0,
        machine=f"{platform.machine()}, Python {platform.python_version()}, {os.cpu_count() or 0} CPUs",
    )
    if "hashing" in only:
        from bench import hashing

        _log("hashing: Argon2id at the service's parameters and the alternatives")
        run.hashing = hashing.run(samples=5 if args.quick else 7)
    if "warm" in only:
        from bench import warm

        _log("warm: every endpoint against the store's calls alone")
        run.warm = warm.run(iterations=20 if args.quick else 60, hash_iterations=4 if args.quick else 10)
    if "scale" in only:
        from bench import scale

        _log("scale: 10 against 20,000 users in one tenant, and the revocation worker")
        run.scale = scale.run(users=5_000 if args.quick else 20_000, rounds=4 if args.quick else 6)
    if "cold" in only:
        from bench import cold, first

        _log("first: each API function's first request after its hooks, against the same request warm")
        run.first = first.run(rounds=1)
        _log("init: fresh processes, functions and the floor interleaved")
        run.cold = cold.measure(rounds=2 if args.quick else 3)
    run.seconds = time.perf_counter() - started
    return run


if __name__ == "__main__":
    raise SystemExit(main())
