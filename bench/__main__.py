"""`python -m bench` (`make bench`): run every section, print the tables, rewrite docs/PERFORMANCE.md.

python -m bench                      # everything
python -m bench --quick --no-write   # a smoke run while changing the benchmarks
python -m bench --only first,init    # some sections (the document needs all of them)
python -m bench --only init --functions AuthMe,Jwks   # some functions' init, against the stack alone
python -m bench --render             # docs/PERFORMANCE.md again from the last run's measurements

Every run of all the sections stores what it measured in .bench/run.pickle (git ignores .bench/),
so the page can be re-rendered after a change to its prose without measuring again.
"""

import argparse
import contextlib
import os
import pickle
import platform
import sys
import time
from pathlib import Path

from bench import lambdas
from bench.report import Run, console, document

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "PERFORMANCE.md"
STORED = ROOT / ".bench" / "run.pickle"
SECTIONS = ("first", "init", "warm", "scale")
_STARTED = time.perf_counter()


def _log(message: str) -> None:
    """A progress line on stderr, with the minutes since the bench started (where the time goes)."""
    sys.stderr.write(f"[bench {(time.perf_counter() - _STARTED) / 60:4.1f} min] {message}\n")
    sys.stderr.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few samples: for the benchmarks, not the code")
    parser.add_argument("--no-write", action="store_true", help=f"do not rewrite {DOC.relative_to(ROOT)}")
    parser.add_argument(
        "--only", default=",".join(SECTIONS), help=f"comma-separated, of {', '.join(SECTIONS)}"
    )
    parser.add_argument(
        "--functions",
        default="",
        help="init only: comma-separated logical ids (AuthMe,Jwks): a quick look, no page",
    )
    parser.add_argument("--render", action="store_true", help=f"measure nothing: the page from {STORED.name}")
    args = parser.parse_args(argv)
    if args.render:
        if not STORED.exists():
            parser.error(f"no stored run: {STORED.relative_to(ROOT)} is written by every `python -m bench`")
        # the bench's own file, written below on this machine: not input from anywhere else
        DOC.write_text(document(pickle.loads(STORED.read_bytes())))  # noqa: S301
        _log(f"wrote {DOC} from {STORED}")
        return 0
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    if only - set(SECTIONS):
        parser.error(f"unknown sections: {', '.join(sorted(only - set(SECTIONS)))}")
    # the handlers' EMF documents (hellojohn.signals) go to stdout, as in Lambda: still written, not shown
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        run = measure(args.quick, only, frozenset(n.strip() for n in args.functions.split(",") if n.strip()))
    sys.stdout.write(console(run) + "\n")
    if only == set(SECTIONS) and not args.functions:
        STORED.parent.mkdir(exist_ok=True)
        STORED.write_bytes(pickle.dumps(run))
        if not args.no_write:
            DOC.write_text(document(run))
            _log(f"wrote {DOC}")
    _log(f"done in {run.seconds / 60:.1f} min")
    return 0


def measure(quick: bool, only: set[str], functions: frozenset[str] = frozenset()) -> Run:
    lambdas.use_environment()
    started = time.perf_counter()
    machine = f"{platform.machine()}, Python {platform.python_version()}, {os.cpu_count() or 0} CPUs"
    load = os.getloadavg()[0]
    run = Run("python -m bench" + " --quick" * quick, 0.0, machine)
    if "first" in only:
        from bench import first

        _log("first: each API function's first request after its hooks, against the same request warm")
        run.first = first.run(rounds=1)
    if "init" in only:
        from bench import cold

        _log("init: fresh processes, functions and the floor interleaved")
        run.cold = cold.measure(rounds=2 if quick else 3, functions=functions)
    if only & {"warm", "scale"}:
        from bench import scale, warm
        from bench.scenarios import build_world

        with lambdas.moto_env():
            w = build_world()
            if "scale" in only:  # first: the few are then the world's users alone
                _log("scale: a few against 20,000 users in one tenant")
                run.scale = scale.run(w, users=5_000 if quick else 20_000, rounds=4 if quick else 6)
            if "warm" in only:
                _log("warm: every endpoint against the store's calls alone")
                run.warm = warm.run(w, iterations=20 if quick else 60, hash_iterations=4 if quick else 10)
    run.seconds = time.perf_counter() - started
    run.machine += f", load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    return run


if __name__ == "__main__":
    raise SystemExit(main())
