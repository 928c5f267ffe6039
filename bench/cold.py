"""Cold start: every function of template.yaml in a fresh process, against `import boto3;
boto3.client("dynamodb")` in a fresh process.

What a function's cold start is taken to be here (Lambda's init phase plus what its first request
adds before its first AWS call):

1. importing its handler module, as Lambda does (`app` from the function's CodeUri folder, with
   the function's environment and PYTHONPATH=layers/shared);
2. creating the AWS clients its first request creates (DynamoDB through
   hellojohn.store.client.dynamodb(), the Powertools Secrets Manager provider, SQS, SES);
3. importing the modules its first request imports lazily (argon2, email_validator, ...), and
   building the pydantic models it builds lazily, so that deferring work only counts as a saving
   when the first request really does without it.

Steps 2 and 3 are found once per function by a probe: a fresh process that imports the handler,
then handles one typical successful request against a moto server, and reports which clients it
created, which modules it imported and which of hellojohn.models it built while doing so (packages
the floor process imports anyway, boto3 and botocore, are left out: the floor makes no call
either). The timed runs then do 1-3 with no network at all. Each figure is the median of >= 10
fresh processes, functions and the floor interleaved in a shuffled order each round.
"""

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
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hellojohn.edge import caches

from bench import lambdas
from local_runner import template
from local_runner.invoke import ACCOUNT, REGION

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
# the stack plus PyJWT as the token functions load it (its import cost is this minus the stack's)
PYJWT = (
    STACK
    + """
import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
Ed25519PrivateKey.from_private_bytes(bytes(32))"""
)
PYJWT_NAME = "(stack + PyJWT)"
# Ends every timed process: Lambda never tears an environment down between init and a request,
# and Python's own teardown (freeing every module) would otherwise be timed too.
EXIT = "\nimport os\nos._exit(0)"
MARK = "@@probe@@"
FLOOR_EVERY = 2  # the floor runs again after every this many function runs

# How the service creates each client (the cold run creates it the same way)
CLIENT_CODE = {
    "dynamodb": "from hellojohn.store.client import dynamodb; dynamodb()",
    "secretsmanager": "from hellojohn.rules.tokens import secrets_provider; secrets_provider()",
    "sqs": "from hellojohn.adapters.jobs import sqs; sqs()",
    "ses": "from hellojohn.adapters.mail import ses; ses()",
}

# Init as a restored SnapStart copy has run it: the before-snapshot hooks, then the after-restore one
HOOKS = "from hellojohn.edge import snapstart\nsnapstart.run_before_snapshot()\nsnapstart.run_after_restore()"

PROBE = f"""
import json, sys
from botocore.client import ClientCreator
created = []
_create = ClientCreator.create_client
def _record(self, service_name, *a, **k):
    created.append(service_name)
    return _create(self, service_name, *a, **k)
ClientCreator.create_client = _record
event = json.load(sys.stdin)
import app
{HOOKS}
init = set(sys.modules)
def built():
    from pydantic import BaseModel
    models = sys.modules.get("hellojohn.models")
    return {{n for n, c in vars(models).items() if isinstance(c, type) and issubclass(c, BaseModel)
            and c.__pydantic_complete__}} if models else set()
built_at_init = built()
# not local_runner.invoke.LambdaContext: this process sees only the layer and its dependencies
# (python -S), as a function on Lambda does; the runner's package (and PyYAML, which it imports) is
# not there, and importing it would add modules to the ones measured as the first request's
class Context:
    function_name = "probe"; memory_limit_in_mb = 256; aws_request_id = "probe"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:probe"
    def get_remaining_time_in_millis(self): return 10000
result = app.lambda_handler(event, Context())
lazy = sorted(set(sys.modules) - init)
late = sorted(built() - built_at_init)
found = {{"result": result, "clients": created, "lazy": lazy, "late": late}}
print({MARK!r} + json.dumps(found, default=str))
"""


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


def layer_copy(into: Path) -> Path:
    """The layer as `make build` ships it: its source plus bytecode compiled the way the Makefile
    compiles .aws-sam/build (unchecked-hash). /opt is read-only on Lambda, so without shipped
    bytecode every cold start would compile the modules again; the dependencies (`layer_deps`) are
    compiled the same way."""
    target = into / "shared"
    shutil.copytree(ROOT / "layers" / "shared", target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    compileall_quiet(target)
    return target


def not_ours(endpoint: str) -> tuple[set[str], set[str]]:
    """(packages, modules) any process has after the floor plus one AWS call: not the function's cost."""
    code = (
        FLOOR + ".list_tables(); import sys, json; "
        "print(json.dumps([sorted({m.split('.')[0] for m in sys.modules}), sorted(sys.modules)]))"
    )
    env = {**base_env(), "AWS_ENDPOINT_URL": endpoint}
    out = subprocess.run([*interpreter(), "-c", code], env=env, capture_output=True, text=True, check=True)
    packages, modules = json.loads(out.stdout.splitlines()[-1])
    return set(packages), set(modules)


@dataclass
class Probe:
    function: str
    status: Any = None
    clients: list[str] = field(default_factory=list)
    lazy: list[str] = field(default_factory=list)  # modules to import, floor packages left out
    late_models: list[str] = field(default_factory=list)  # hellojohn.models built by the request
    note: str = ""


# -- the probes' first requests ---------------------------------------------------------------------


def first_requests(w: Any) -> dict[str, dict[str, Any]]:
    """A typical successful first event for each function (w: bench.scenarios.World)."""
    from hellojohn.rules import verification
    from hellojohn.store import keys

    from bench.scenarios import PASSWORD, notice_link, repeatable_events, sign_in

    def api(
        method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        return lambdas.api_event(method, path, body, headers)[1]

    bob, carol = w.people["bob"].uid, w.people["carol"].uid
    # pending email changes: carol's becomes a stream record and a token to verify, bob's an email job
    for uid, email in ((carol, "carol.new@example.com"), (bob, "bob.new@example.com")):
        reply = lambdas.call("PATCH", f"/v1/users/{uid}", {"email": email}, w.admin())
        if reply.status != 200:
            raise RuntimeError(f"probe setup: {reply.status} {reply.body}")
    user = w.ddb.get_item(TableName=w.table, Key=keys.user(w.tid, carol), ConsistentRead=True)["Item"]
    old_image = {**user, "pending_change_id": {"S": "chg_old"}}
    issued = verification.issue(w.tid, carol, user["pending_change_id"]["S"])
    if issued is None:
        raise RuntimeError("probe setup: no verification token issued")
    bob_item = w.ddb.get_item(TableName=w.table, Key=keys.user(w.tid, bob), ConsistentRead=True)["Item"]
    bob_change = bob_item["pending_change_id"]["S"]
    sign_in(w, "alice")
    refresh_token = w.people["alice"].refresh  # refreshed by the probe; the next session is signed out
    sign_in(w, "alice")
    import boto3

    boto3.client("ses").verify_email_identity(EmailAddress="no-reply@bench.test")
    return {
        **repeatable_events(w),
        "UsersCreateFunction": api(
            "POST",
            "/v1/users",
            {"email": "probe@example.com", "password": PASSWORD, "name": "Probe"},
            w.admin(),
        ),
        "AuthSignInFunction": api(
            "POST", "/v1/auth/sign-in", {"email": "alice@example.com", "password": PASSWORD}, w.public()
        ),
        "AuthRefreshFunction": api("POST", "/v1/auth/refresh", {"refresh_token": refresh_token}, w.public()),
        "AuthSignOutFunction": api("POST", "/v1/auth/sign-out", None, w.user("alice")),
        "AuthMeFunction": api("GET", "/v1/auth/me", None, w.user("pat")),
        "AuthMeUpdateFunction": api("PATCH", "/v1/auth/me", {"name": "Pat"}, w.user("pat")),
        "AuthPasswordChangeFunction": api(
            "POST",
            "/v1/auth/password/change",
            {"current_password": PASSWORD, "new_password": "Another-Pass-78"},
            w.user("pam"),
        ),
        "AuthEmailVerifyFunction": api("POST", "/v1/auth/email/verify", {"token": issued.token}, w.public()),
        "AuthEmailCancelFunction": api(
            "POST", "/v1/auth/email/cancel", {"token": notice_link(w, "cancel")}, w.public()
        ),
        "AuthEmailRestoreFunction": api(
            "POST", "/v1/auth/email/restore", {"token": notice_link(w, "restore")}, w.public()
        ),
        "StreamRouterFunction": {
            "Records": [
                {
                    "eventID": "1",
                    "eventName": "MODIFY",
                    "eventVersion": "1.1",
                    "eventSource": "aws:dynamodb",
                    "awsRegion": REGION,
                    "dynamodb": {
                        "Keys": {"PK": user["PK"], "SK": user["SK"]},
                        "OldImage": old_image,
                        "NewImage": user,
                        "SequenceNumber": "100",
                        "SizeBytes": 1000,
                        "StreamViewType": "NEW_AND_OLD_IMAGES",
                    },
                    "eventSourceARN": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/t/stream/1",
                }
            ]
        },
        "EmailWorkerFunction": lambdas.sqs_event(
            [{"type": "verify_email", "tenant_id": w.tid, "user_id": bob, "change_id": bob_change}]
        ),
        "SessionCleanupFunction": lambdas.sqs_event(
            [
                {
                    "type": "delete_sessions",
                    "tenant_id": w.tid,
                    "user_id": bob,
                    "session_ids": ["ses_01HZZZZZZZZZZZZZZZZZZZZZZZ"],
                }
            ]
        ),
    }


def _succeeded(result: Any) -> bool:
    if isinstance(result, dict) and "statusCode" in result:
        return int(result["statusCode"]) < 300
    return isinstance(result, dict) and not result.get("batchItemFailures")


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


def probe_all(workers: int = 2) -> dict[str, Probe]:
    """Run each function's first request in a fresh process against a moto server."""
    with moto_stack("bench-cold") as stack:
        events = first_requests(stack.world)
        packages, modules = not_ours(stack.endpoint)

        def one(function: template.Function) -> Probe:
            found = Probe(function.logical_id)
            event = events.get(function.logical_id)
            if event is None:
                found.note = "no first request defined: import only"
                return found
            env = stack.env(function)
            data = marked_run([PROBE], event, function.code_dir, env, MARK, f"probe of {function.logical_id}")
            if not _succeeded(data["result"]):
                raise RuntimeError(f"probe of {function.logical_id}: first request failed: {data['result']}")
            found.status = data["result"].get("statusCode", "ok")
            found.clients = list(dict.fromkeys(data["clients"]))
            found.lazy = [m for m in data["lazy"] if m.split(".")[0] not in packages and m not in modules]
            found.late_models = data["late"]
            return found

        with ThreadPoolExecutor(workers) as pool:
            probes = list(pool.map(one, template.functions()))
    return {p.function: p for p in probes}


# -- the timed runs -----------------------------------------------------------------------------------


def cold_code(p: Probe) -> str:
    """Init as SnapStart's snapshot holds it: the import and the before-snapshot hooks (then the
    after-restore hook, which a restored copy runs before its first request), plus anything the
    probe found the first request still does lazily."""
    lines = ["import app", HOOKS]
    for service in p.clients:
        lines.append(CLIENT_CODE.get(service, f"import boto3; boto3.client({service!r})"))
    if p.lazy:
        lines.append(f"import importlib\nfor _m in {p.lazy!r}:\n    importlib.import_module(_m)")
    if p.late_models:  # a model the first request builds counts as much as a module it imports
        build = "getattr(models, _n).model_rebuild()"
        lines.append(f"from hellojohn import models\nfor _n in {p.late_models!r}:\n    {build}")
    return "\n".join(lines)


@dataclass
class Runs:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # user + system time of the process
    # each run over the mean of the floor runs just before and just after it
    cpu_ratio: list[float] = field(default_factory=list)
    wall_ratio: list[float] = field(default_factory=list)

    def add(self, wall: float, cpu: float) -> None:
        self.wall.append(wall)
        self.cpu.append(cpu)


@dataclass
class ColdResult:
    function: str
    runs: Runs
    probe: Probe


def _run(code: str, cwd: Path, env: dict[str, str], into: Runs) -> None:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([*interpreter(), "-c", code], cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    into.add(wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))


@dataclass(frozen=True)
class Case:
    name: str
    cwd: Path
    code: str  # without EXIT
    env: dict[str, str]


def cases(probes: dict[str, Probe], layer: Path) -> list[Case]:
    """Every function's cold start, and the stack's alone (STACK_NAME), with the layer at `layer`."""
    from local_runner import provision

    fake_refs = {k: f"bench-{k}" for k in template.load()["Resources"]}
    functions = template.functions()
    found = [
        Case(
            f.logical_id,
            f.code_dir,
            cold_code(probes[f.logical_id]),
            {**base_env(layer), **provision.function_environment(f, fake_refs)},
        )
        for f in functions
    ]
    # the stack's share runs with the functions' common environment (template Globals)
    common = {**base_env(layer), **_globals(functions, fake_refs)}
    return [*found, Case(STACK_NAME, ROOT, STACK, common), Case(PYJWT_NAME, ROOT, PYJWT, common)]


def _globals(functions: list[template.Function], refs: dict[str, str]) -> dict[str, str]:
    from local_runner import provision

    envs = [provision.function_environment(f, refs) for f in functions]
    return {k: v for k, v in envs[0].items() if all(e.get(k) == v for e in envs)}


def measure(probes: dict[str, Probe], rounds: int = 10, seed: int = 7) -> tuple[Runs, list[ColdResult]]:
    """(floor runs, per-function results). Every second function run, the floor runs again, and
    each function run is compared with the floor runs on either side of it: a ratio taken over a
    few seconds, so a change in the machine's load between rounds does not reach it."""
    with tempfile.TemporaryDirectory(prefix="bench-layer-") as tmp:
        layer = layer_copy(Path(tmp))
        todo = cases(probes, layer)
        for case in todo:  # every case must run at all before anything is timed
            subprocess.run(
                [*interpreter(), "-c", case.code + EXIT],
                cwd=case.cwd,
                env=case.env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
        rng = random.Random(seed)
        floor = Runs()
        runs = {c.name: Runs() for c in todo}
        pending: list[Runs] = []  # the function runs since the last floor run

        def floor_run() -> None:
            _run(FLOOR + EXIT, ROOT, base_env(layer), floor)
            if len(floor.cpu) > 1:
                cpu, wall = sum(floor.cpu[-2:]) / 2, sum(floor.wall[-2:]) / 2
                for r in pending:
                    r.cpu_ratio.append(r.cpu[-1] / cpu)
                    r.wall_ratio.append(r.wall[-1] / wall)
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
    reference = Probe(STACK_NAME, note="reference: the stack's own cold start, none of ours")
    return floor, [ColdResult(c.name, runs[c.name], probes.get(c.name, reference)) for c in todo]


BOTO3_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six.py", "urllib3")


def bytecode_effect(rounds: int = 5) -> tuple[Runs, Runs]:
    """The floor with boto3 and its dependencies as `sam build` alone ships them (no bytecode), and
    as `make build` now ships them (compiled): (without, with)."""
    site = layer_deps()
    without, with_ = Runs(), Runs()
    with tempfile.TemporaryDirectory(prefix="bench-bytecode-") as tmp:
        dirs = {}
        for name in ("plain", "compiled"):
            target = Path(tmp) / name
            target.mkdir()
            for package in BOTO3_PACKAGES:
                source = site / package
                if source.is_dir():
                    shutil.copytree(source, target / package, ignore=shutil.ignore_patterns("__pycache__"))
                elif source.exists():
                    shutil.copy2(source, target / package)
            dirs[name] = target
        compileall_quiet(dirs["compiled"])
        for _ in range(rounds):
            _run(FLOOR + EXIT, ROOT, base_env(dirs["plain"], deps=dirs["plain"]), without)
            _run(FLOOR + EXIT, ROOT, base_env(dirs["compiled"], deps=dirs["compiled"]), with_)
    return without, with_


def compileall_quiet(path: Path) -> None:
    import compileall

    compileall.compile_dir(path, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)


def instructions(probes: dict[str, Probe], workers: int = 2) -> dict[str, float] | None:
    """Each function's instruction count over the floor's (valgrind's callgrind), or None without
    valgrind: the same processes as `measure`, counted instead of timed, which no other load on
    the machine can disturb (hash seed fixed). About 30 s a process under valgrind."""
    import re

    if shutil.which("valgrind") is None:
        return None
    with tempfile.TemporaryDirectory(prefix="bench-layer-") as tmp:
        layer = layer_copy(Path(tmp))
        todo = [Case("floor", ROOT, FLOOR, base_env(layer)), *cases(probes, layer)]

        def count(case: Case) -> tuple[str, int]:
            out = subprocess.run(
                [
                    "valgrind",
                    "--tool=callgrind",
                    "--callgrind-out-file=/dev/null",
                    *interpreter(),
                    "-c",
                    case.code + EXIT,
                ],
                cwd=case.cwd,
                env={**case.env, "PYTHONHASHSEED": "0"},
                capture_output=True,
                text=True,
                check=True,
            )
            found = re.search(r"Collected : (\d+)", out.stderr)
            if found is None:
                raise RuntimeError(f"callgrind gave no count for {case.name}: {out.stderr[-2000:]}")
            return case.name, int(found.group(1))

        with ThreadPoolExecutor(workers) as pool:
            counts = dict(pool.map(count, todo))
    floor = counts.pop("floor")
    return {name: n / floor for name, n in counts.items()} | {"floor": float(floor)}
