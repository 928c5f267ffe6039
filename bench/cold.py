"""Init: every function of template.yaml in a fresh process, against `import boto3;
boto3.client("dynamodb")` (the floor) and against the stack alone (STACK), in fresh processes.

A function's init is what SnapStart's snapshot holds: importing its handler module, as Lambda does
(`app` from the function's CodeUri folder, with the function's environment, on the layer as `make
build` ships it), and its before-snapshot hook. What its first request still does lazily is
bench.first's to count. Each figure is the median of fresh processes, functions and the floor
interleaved in a shuffled order each round, each run over the floor runs on either side of it.
"""

import atexit
import hashlib
import json
import os
import py_compile
import random
import resource
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from hellojohn.edge import caches

from bench import lambdas
from local_runner import template
from local_runner.invoke import REGION

ROOT = Path(__file__).resolve().parent.parent
FLOOR = 'import boto3; boto3.client("dynamodb")'
# What every API function's stack costs before any code of ours: the floor, Powertools' REST
# resolver with validation and its Logger, and one pydantic model (the first one built pays for
# pydantic's schema machinery).
STACK = (
    FLOOR
    + """
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel
class Model(BaseModel):
    name: str
APIGatewayRestResolver(enable_validation=True)
Logger()"""
)
STACK_NAME = "(stack alone)"
# Ends every timed process: Lambda never tears an environment down between init and a request,
# and Python's own teardown (freeing every module) would otherwise be timed too.
EXIT = "\nimport os\nos._exit(0)"
MARK = "@@probe@@"
FLOOR_EVERY = 2  # the floor runs again after every this many function runs

# Init as SnapStart publishes it: the import, then the before-snapshot hook
INIT = "import app\nfrom hellojohn.edge import snapstart\nsnapstart.run_before_snapshot()"


def python() -> str:
    return str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable


def interpreter() -> list[str]:
    """Python without its site-packages (-S): a measured process sees the standard library, the
    layer's code and the layer's dependencies (PYTHONPATH), as a function does on Lambda, and not
    the venv's test tools. boto3 picks up some of those when present (awscrt, pyOpenSSL), which
    would make the floor heavier than Lambda's."""
    return [python(), "-S"]


def marked_run(args: list[str], payload: Any, cwd: Path, env: dict[str, str], mark: str, what: str) -> Any:
    """Runs `python -S -c ...args` with `payload` as JSON on stdin; the JSON after `mark` on its output."""
    out = subprocess.run(
        [*interpreter(), "-c", *args],
        check=False,
        input=json.dumps(payload),
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith(mark)), None)
    if line is None:
        raise RuntimeError(f"{what} failed:\n{out.stderr[-3000:]}")
    return json.loads(line[len(mark) :])


DEPS_CACHE = ROOT / ".bench" / "layer-deps"
# in Lambda's Python runtime itself, not in the layer (the SnapStart hooks' registry)
RUNTIME_PROVIDED = next(
    line.split("#")[0].strip()
    for line in (ROOT / "requirements-dev.txt").read_text().splitlines()
    if line.startswith("snapshot-restore-py==")
)


def layer_deps() -> Path:
    """layers/shared/requirements.txt installed alone, as `sam build` puts it in the layer (for this
    machine's platform), compiled the way `make build` compiles the build; cached by the file's hash."""
    requirements = ROOT / "layers" / "shared" / "requirements.txt"
    runtime = RUNTIME_PROVIDED
    target = DEPS_CACHE / hashlib.sha256(requirements.read_bytes() + runtime.encode()).hexdigest()[:16]
    if not (target / ".complete").exists():
        for stale in DEPS_CACHE.glob("*"):
            shutil.rmtree(stale, ignore_errors=True)
        subprocess.run(
            [
                python(),
                "-m",
                "pip",
                "install",
                "-q",
                "--no-compile",
                "--target",
                str(target),
                "-r",
                str(requirements),
                runtime,
            ],
            check=True,
        )
        compileall_quiet(target)
        (target / ".complete").touch()
    return target


def base_env(layer: Path = ROOT / "layers" / "shared", deps: Path | None = None) -> dict[str, str]:
    env = lambdas.environment({k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    path = [str(layer), str(deps or layer_deps())]
    env.update({"PYTHONPATH": os.pathsep.join(path), "PYTHONDONTWRITEBYTECODE": "1"})
    return env


@cache
def shipped_layer() -> Path:
    """The layer as `make build` ships it, in a folder of its own for this process (first and init
    share it): its source plus bytecode compiled the way the Makefile compiles .aws-sam/build
    (unchecked-hash). /opt is read-only on Lambda, so without shipped bytecode every cold start
    would compile the modules again; the dependencies (`layer_deps`) are compiled the same way."""
    target = Path(tempfile.mkdtemp(prefix="bench-layer-")) / "shared"
    atexit.register(shutil.rmtree, target.parent, ignore_errors=True)
    shutil.copytree(ROOT / "layers" / "shared", target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    compileall_quiet(target)
    return target


@dataclass
class MotoStack:
    """A moto server with the template's resources and the bench's world in it."""

    endpoint: str
    refs: dict[str, str]
    world: Any

    def env(
        self, function: template.Function, layer: Path = ROOT / "layers" / "shared", deps: Path | None = None
    ) -> dict[str, str]:
        """A measured process's environment: the function's, on the layer (and `deps`, by default
        the layer's requirements installed alone), against the server."""
        from local_runner import provision

        return {
            **base_env(layer, deps),
            **provision.function_environment(function, self.refs),
            "AWS_ENDPOINT_URL": self.endpoint,
        }


@contextmanager
def moto_stack(prefix: str) -> Iterator[MotoStack]:
    """For the block: a moto server, the stack provisioned in it (made lean: bench.motolean), this
    process's environment on it."""
    from bench.motolean import lean
    from bench.scenarios import build_world
    from local_runner import provision
    from local_runner.aws import Moto

    lambdas.use_environment()
    server = Moto()
    endpoint = server.start()
    saved = dict(os.environ)
    try:
        lambdas.use_environment(endpoint)
        refs = provision.create_all(prefix=prefix)
        os.environ.update(provision.environment(template.functions(), refs))
        caches.reset()
        with lean(REGION):
            yield MotoStack(endpoint, refs, build_world())
    finally:
        os.environ.clear()
        os.environ.update(saved)
        caches.reset()
        server.stop()


@dataclass
class Runs:
    cpu: list[float] = field(default_factory=list)  # user + system time of each process
    cpu_ratio: list[float] = field(default_factory=list)  # each over the floor runs on either side


@dataclass
class ColdResult:
    function: str
    runs: Runs


def _run(code: str, cwd: Path, env: dict[str, str], into: Runs) -> None:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([*interpreter(), "-c", code], cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    into.cpu.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))


@dataclass(frozen=True)
class Case:
    name: str
    cwd: Path
    code: str  # without EXIT
    env: dict[str, str]


def cases(layer: Path) -> list[Case]:
    """Every function's cold start, and the stack's alone (STACK_NAME), with the layer at `layer`."""
    from local_runner import provision

    fake_refs = {k: f"bench-{k}" for k in template.load()["Resources"]}
    functions = template.functions()
    found = [
        Case(
            f.logical_id,
            f.code_dir,
            INIT,
            {**base_env(layer), **provision.function_environment(f, fake_refs)},
        )
        for f in functions
    ]
    # the stack's share runs with the functions' common environment (template Globals)
    common = {**base_env(layer), **_globals(functions, fake_refs)}
    return [*found, Case(STACK_NAME, ROOT, STACK, common)]


def _globals(functions: list[template.Function], refs: dict[str, str]) -> dict[str, str]:
    from local_runner import provision

    envs = [provision.function_environment(f, refs) for f in functions]
    return {k: v for k, v in envs[0].items() if all(e.get(k) == v for e in envs)}


def measure(
    rounds: int = 10, seed: int = 7, functions: frozenset[str] = frozenset()
) -> tuple[Runs, list[ColdResult]]:
    """(floor runs, per-function results). Every second function run, the floor runs again, and
    each function run is compared with the floor runs on either side of it: a ratio taken over a
    few seconds, so a change in the machine's load between rounds does not reach it. (bench.first,
    run before, has imported every function from the same files: they are in the page cache.)
    `functions`: only these (logical ids, with or without `Function`) and the stack alone."""
    layer = shipped_layer()
    wanted = {f.removesuffix("Function") for f in functions}
    todo = [
        c
        for c in cases(layer)
        if not functions or c.name == STACK_NAME or c.name.removesuffix("Function") in wanted
    ]
    rng = random.Random(seed)
    floor = Runs()
    runs = {c.name: Runs() for c in todo}
    pending: list[Runs] = []  # the function runs since the last floor run

    def floor_run() -> None:
        _run(FLOOR + EXIT, ROOT, base_env(layer), floor)
        if len(floor.cpu) > 1:
            for r in pending:
                r.cpu_ratio.append(r.cpu[-1] / (sum(floor.cpu[-2:]) / 2))
        pending.clear()

    floor_run()
    for _ in range(rounds):
        order = list(todo)
        rng.shuffle(order)
        for i, case in enumerate(order):
            if i and i % FLOOR_EVERY == 0:
                floor_run()
            _run(case.code + EXIT, case.cwd, case.env, runs[case.name])
            pending.append(runs[case.name])
        floor_run()
    return floor, [ColdResult(c.name, runs[c.name]) for c in todo]


def compileall_quiet(path: Path) -> None:
    import compileall

    compileall.compile_dir(path, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
