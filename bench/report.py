"""docs/PERFORMANCE.md, written from one run's measurements.

The prose is here; every number in the page comes from the run (`Run`) or from a named constant
of the code that measured it (the targets below, bench/cost.py's prices and limits, the bench's own
settings, the service's defaults). tests/unit/test_bench_report.py holds that: it renders two
synthetic runs with every such constant changed, and fails on a number that stays the same.
"""

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hellojohn.adapters import jobs

from bench import cold, cost, warm
from bench import first as firstreq
from bench.cold import PYJWT_NAME, STACK_NAME
from bench.stats import median, ms, pct, table

INIT_OVER_STACK = 0.10  # what our own code may add to the stack's init
FIRST_TARGET = 1.5
WARM_TARGET = 1.2
SCALE_TARGET = 1.1
FREEZE_MIN_GAIN_PERCENT = 3  # what gc.freeze() must save on a first request to be worth turning on


@dataclass
class Run:
    """Everything one `python -m bench` measured (a section left out is None)."""

    command: str
    seconds: float
    cold: Any = None  # (floor Runs, [ColdResult])
    warm: Any = None  # ([WarmResult], {name: Units})
    scale: Any = None  # (Seeding, [ScaleResult], [WorkerResult])
    hashing: Any = None  # [HashResult]
    compile_ms: float = 0.0
    bytecode: Any = None  # (Runs without, Runs with): the floor from an uncompiled / compiled layer
    instructions: Any = None  # {function: instructions / floor's, "floor": floor's count}
    first: Any = None  # {function: bench.first.First}
    machine: str = ""  # where it ran: architecture, Python, CPUs
    api_memory_mb: Any = None  # {API function: MemorySize}, from template.yaml at the run


def service_setting(name: str) -> int:
    """A default of hellojohn.config.Settings (what template.yaml leaves unset)."""
    from hellojohn.config import Settings

    return int(Settings.model_fields[name].default)


def verdict(value: float, target: float) -> str:
    return "ok" if value <= target else "**over**"


# -- the tables ------------------------------------------------------------------------------------


def cold_ratio(r: Any) -> float:
    return median(r.runs.cpu_ratio)


def stack_ratio(run: Run) -> float:
    _, results = run.cold
    return next(cold_ratio(r) for r in results if r.function == STACK_NAME)


def init_target(run: Run) -> float:
    return stack_ratio(run) + INIT_OVER_STACK


def cold_rows(run: Run) -> tuple[list[list[Any]], float, float]:
    floor, results = run.cold
    fw, fc = median(floor.wall), median(floor.cpu)
    stack = stack_ratio(run)
    rows = []
    for r in sorted(results, key=cold_ratio, reverse=True):
        lazy = sorted(
            {
                m if m.startswith("hellojohn") else m.split(".")[0]
                for m in r.probe.lazy
                if not m.startswith("_") and m.split(".")[0] not in sys.stdlib_module_names
            }
        )
        reference = r.function in (STACK_NAME, PYJWT_NAME)
        rows.append(
            [
                r.function,
                "-" if reference else ", ".join(r.probe.clients) or "none",
                "-"
                if reference
                else ", ".join([*lazy, *(f"model {m}" for m in r.probe.late_models)]) or "none",
                ms(median(r.runs.cpu)),
                f"{cold_ratio(r):.2f}x",
                "-" if r.function == STACK_NAME else f"{cold_ratio(r) - stack:+.2f}",
                f"{median(r.runs.cpu) / fc:.2f}x",
                ms(median(r.runs.wall)),
                f"{median(r.runs.wall_ratio):.2f}x",
                f"{run.instructions[r.function]:.2f}x" if run.instructions else "-",
                "reference" if reference else verdict(cold_ratio(r), stack + INIT_OVER_STACK),
            ]
        )
    return rows, fw, fc


def functions_only(results: list[Any]) -> list[Any]:
    return [r for r in results if r.function not in (STACK_NAME, PYJWT_NAME)]


def _per_process(firsts: list[float], warms: list[float]) -> list[float]:
    return [a / b for a, b in zip(firsts, warms, strict=True)]


def first_ratio(f: Any) -> float:
    """The first request over the same request warm, both with the CPU caches evicted (as shipped:
    `snapstart.FREEZE` off): what the first does that a warm one does not. The target's figure."""
    return median(_per_process(f.first, f.warm))


def hot_ratio(f: Any) -> float:
    """The first request (CPU caches evicted) over the same request warm with the caches hot."""
    return median(_per_process(f.first, f.hot))


def freeze_ratio(f: Any) -> float:
    return median(_per_process(f.first_freeze, f.warm_freeze))


def made_ratio(f: Any) -> float:
    """The function calls the first request made over those the warm one made (counted, not timed)."""
    first, warm = f.made
    return first / warm if warm else 1.0


def first_verdict(f: Any) -> str:
    """Judged on the calls counted: a single request's CPU time varies more between processes
    than the target's 10% (the time columns show how much), a count does not vary."""
    if not f.same_calls:
        return "**calls differ**"
    return verdict(made_ratio(f), FIRST_TARGET)


def spread(values: list[float]) -> str:
    return f"{min(values):.2f} to {max(values):.2f}"


def first_rows(run: Run) -> list[list[Any]]:
    rows = []
    for f in sorted(run.first.values(), key=first_ratio, reverse=True):
        lazy = sorted({m.split(".")[0] for m in f.lazy if m.split(".")[0] not in sys.stdlib_module_names})
        rows.append(
            [
                f.function,
                " + ".join(f.calls) or "none",
                "yes" if f.same_calls else "**no**",
                f"{made_ratio(f):.3f}x",
                f"{median(f.faults_first):.0f} ({median(f.faults_warm):.0f})",
                f"{median(f.first) * 1000:.2f} ({spread([t * 1000 for t in f.first])})",
                f"{median(f.warm) * 1000:.2f} ({spread([t * 1000 for t in f.warm])})",
                f"{first_ratio(f):.2f}x ({spread(_per_process(f.first, f.warm))})",
                verdict(first_ratio(f), FIRST_TARGET),
                f"{hot_ratio(f):.2f}x",
                f"{freeze_ratio(f):.2f}x",
                ", ".join(lazy) or "none",
                first_verdict(f),
            ]
        )
    return rows


def _first(run: Run) -> str:
    fs = list(run.first.values())
    n, nf = (len(fs[0].first), len(fs[0].first_freeze)) if fs else (0, 0)
    freeze_first = median([median(f.first_freeze) for f in fs]) * 1000
    plain_first = median([median(f.first) for f in fs]) * 1000
    freeze_warm = median([median(f.warm_freeze) for f in fs]) * 1000
    plain_warm = median([median(f.warm) for f in fs]) * 1000
    out = f"""## SnapStart: the first request after a restore

With SnapStart, a cold start restores a snapshot taken after init and the before-snapshot hooks
(hellojohn/edge/snapstart.py), runs the after-restore hook, and serves the request: what users wait for
is that first request. bench/first.py, per API function, in a fresh process (`python -S`, the layer
as `make build` ships it, a moto server): `import app`, the before-snapshot hooks, the after-restore
hook, {firstreq.EVICT_MB} MB through the CPU caches (a restored copy's are cold: on Lambda colder
still, its memory paged in from the snapshot), the first request; then the after-restore hook again
(the caches empty, so the same AWS calls: the key and tenant reads, and the signing seed where
tokens are involved) and a warm request of the same kind with the CPU caches hot; then the hook
and the same eviction again and a third request of the same kind. Each is timed in the process's
CPU time (`time.process_time`: the moto server's work and the network are not in it), and the run
checks that all three made the same calls.

"Function calls, first / warm" counts what the first request does that a warm one does not (an
import, a model build, a client, a cache filled late): the function calls, Python and C, that the
first and the second request made (`sys.setprofile`, in one more process per function), which no
noise moves. Target: ≤ {FIRST_TARGET}x for every function, judged on that count. The CPU-time
ratio beside it is the first request over the third, the median over {n} processes: the same
work with the CPU caches equally cold. It is shown with its range, and judged too, but a single
request's CPU time varies between processes of this machine by more than the target's margin
(the warm request's own range shows by how much), so {n} processes cannot resolve a
difference that small; the count can. "Page faults" are the minor faults of the first request
and of the third, medians (memory touched for the first time: Argon2's memory, where priming did
not leave it in the heap, shows as thousands). "First / warm, caches hot" is the first over the
second: what cold CPU caches add on top, which no code of ours removes (for the shortest request, the
preflight's fraction of a millisecond, they are most of it). "First request imports" lists any
module the first request still imported (none is the aim).

"""
    out += table(
        [
            "Function",
            "Calls",
            "Same calls",
            "Function calls, first / warm",
            "Page faults, first (warm)",
            "First CPU ms (range)",
            "Warm CPU ms, caches evicted (range)",
            "CPU time, first / warm (range)",
            f"CPU time ≤ {FIRST_TARGET}x",
            "First / warm, caches hot",
            "First / warm with gc.freeze",
            "First request imports",
            "Target (function calls)",
        ],
        first_rows(run),
    )
    helps = freeze_first < plain_first * (1 - FREEZE_MIN_GAIN_PERCENT / 100) and freeze_warm < plain_warm
    gain = FREEZE_MIN_GAIN_PERCENT
    verdict_text = (
        f"It measurably helps ({gain}% or more) in this run; `snapstart.FREEZE` should be on."
        if helps
        else f"The difference is under {gain}% or goes the wrong way: no measurable help, so the hook "
        "does not freeze (`snapstart.FREEZE` is off; this section still measures both)."
    )
    out += f"""

`gc.freeze()`, tried: the before-snapshot hook runs with the collector off, then (with
`snapstart.FREEZE`) collects once and freezes what init made, so later collections skip it.
Measured in the same run ({nf} processes per function with it, {n} without), medians over the
functions of each function's median: first request {freeze_first:.2f} ms with it,
{plain_first:.2f} ms without; warm request (caches evicted) {freeze_warm:.2f} ms with it,
{plain_warm:.2f} ms without.
{verdict_text}
"""
    return out + "\n"


def warm_ratio(r: Any) -> float:
    """The handler's p50 over its floor's."""
    return median(r.handler) / median(r.floor)


def warm_rows(run: Run) -> list[list[Any]]:
    results, _ = run.warm
    rows = []
    for r in results:
        s = r.scenario
        p95, floor_p95 = pct(r.handler, 95), pct(r.floor, 95)
        rows.append(
            [
                s.name,
                " + ".join(c.split(".")[-1] for c in r.calls),
                ms(median(r.handler)),
                ms(p95),
                ms(median(r.floor)),
                ms(floor_p95),
                f"{warm_ratio(r):.2f}x",
                f"{p95 / floor_p95:.2f}x",
                s.argon2 or "",
                verdict(warm_ratio(r), WARM_TARGET),
            ]
        )
    return rows


def estimates(run: Run) -> list[cost.Estimate]:
    results, units = run.warm
    return [
        cost.estimate(r.scenario.name, r.memory_mb, r.client_cpu, r.calls, units[r.scenario.name])
        for r in results
    ]


# -- the document ---------------------------------------------------------------------------------


def _caches() -> str:
    ttl = service_setting("cache_ttl_seconds")
    seed_age = service_setting("signing_key_max_age_seconds")
    rows = [
        [
            "API key records, by the key's SHA-256",
            "`hellojohn/rules/tenancy.py` (`TTLCache`)",
            f"`CACHE_TTL_SECONDS`: {ttl} s by default",
            f"a revoked or re-scoped key is honoured everywhere within {ttl} s",
        ],
        [
            "Tenant settings",
            "`hellojohn/rules/tenancy.py` (`TTLCache`)",
            "the same setting",
            f"a changed role list, policy or origin list applies within {ttl} s",
        ],
        [
            "Access-token signing seed",
            "Powertools parameters (`get_secret`) in `hellojohn/rules/tokens.py`",
            f"`SIGNING_KEY_MAX_AGE_SECONDS`: {seed_age} s by default",
            f"a rotated seed is picked up within {seed_age} s",
        ],
        [
            "The Ed25519 key derived from the seed",
            "`hellojohn/rules/tokens.py` (`_derived`)",
            "until the seed changes",
            "no key derivation per request",
        ],
        [
            "boto3 clients (DynamoDB, SQS, SES, the Secrets Manager provider's)",
            "`store.client.dynamodb()`, `jobs.sqs()`, `mail.ses()`, `secrets_manager.secrets_provider()`",
            "the process",
            "one connection pool per function instance",
        ],
        [
            "Settings, the Argon2id hasher, the common-password list",
            "`config.settings()`, `passwords.hasher()`, `passwords.common_passwords()`",
            "the process",
            "read once",
        ],
        [
            "Valid email addresses, normalised",
            "`hellojohn/fields.py` (`_validated`, LRU)",
            "the process",
            "one email_validator check per address, however often a request meets it",
        ],
    ]
    return f"""\
## The caches that make a warm request cheap

{table(["What", "Where", "Lifetime", "Effect"], rows)}

Nothing about a user or a session is cached: a session is live while its id is in the user item's
`sessions` map, and every request that acts on a user reads or conditionally writes that item, so
revocation takes effect on the next request. The round-trip budgets hold only with these caches
warm: a function instance's first request also reads the key and the tenant
(`test_the_caches_are_what_make_an_admin_read_one_call`) and, where tokens are involved, the
signing seed (`test_the_signing_key_is_read_once_then_cached`).
"""


def _budgets() -> str:
    return """\
## Round trips per request

Each endpoint's budget of AWS calls is in tests/test_round_trips.py, which counts them with a
botocore `before-call` hook on every client (tests/awscalls.py), warm, without an Idempotency-Key
(with one, Powertools' idempotency adds a PutItem and an UpdateItem), and asserts the exact list of
calls, so a new call fails even within budget. The calls of each request measured here, counted by
the same hook, are the "Calls" column of the warm table below.
"""


def _cold(run: Run) -> str:
    rows, fw, fc = cold_rows(run)
    floor, results = run.cold
    n = len(results[0].runs.cpu) if results else 0
    late = sorted({m for r in results for m in r.probe.late_models})
    late_text = ", ".join(late) if late else "none, in this run"
    out = f"""\
## Init (what SnapStart's snapshot holds, and a cold start without SnapStart)

With SnapStart on, this is paid when a version is published, not by a request; with it off (a dev
stack), by every cold start. Each function in a fresh process of Python run with `-S` (no
site-packages: neither the venv's test tools nor anything else Lambda does not have), its
template.yaml environment, and
`PYTHONPATH` on a copy of layers/shared compiled the way `make build` compiles the built layer
(`compileall --invalidation-mode unchecked-hash`) followed by layers/shared/requirements.txt
installed on its own (`pip install --target`, cached under .bench/, compiled the same way): the
layer as `sam build` makes it, for this machine's platform. The venv would not do: boto3 picks up
awscrt and pyOpenSSL there (moto and the SAM CLI bring them), which makes the floor heavier than
Lambda's and every ratio look better than it is. Each process does:

- `import app` from its CodeUri folder, as Lambda's init does;
- the before-snapshot hooks (hellojohn/edge/snapstart.py: the clients, imports and data its routes
  need, one request per route), then the after-restore hook;
- creating any AWS client and importing any module its first request still creates or imports
  lazily after those hooks, and building any model it builds lazily, so that deferring work only
  counts as a saving when the first request does without it.

The last comes from a probe: once per function, a fresh process imports the handler, runs the hooks,
serves one typical successful request against a moto server, and reports the clients it created,
the modules it imported (packages any process has after `import boto3` and one AWS call are left
out) and the models of `hellojohn.models` it built ({late_text}).
Every process ends with `os._exit`: interpreter teardown is not part of a cold start.

Floor: `import boto3; boto3.client("dynamodb")` in a fresh process, run {len(floor.cpu)} times: once
after every {cold.FLOOR_EVERY} function runs. {n} runs per function, in a shuffled order each round.
Each run is divided by the mean of the floor runs just before and after it, and the ratio is the median of
those (the medians of all runs are shown too: "median/median"). It is judged on CPU time (user +
system) of the process, which a busy machine inflates far less than wall time; wall time is shown
too. Floor medians: CPU {ms(fc)} ms, wall {ms(fw)} ms. Target: at most the stack alone (below)
+ {INIT_OVER_STACK:.2f} for every function, what our own code may add: ≤ {init_target(run):.2f}x in this run.

"{STACK_NAME}" is a reference, timed the same way: the floor plus what every API function's stack
costs before a line of ours, Powertools' REST resolver with validation, its Logger, and one pydantic
model (bench/cold.py, `STACK`). A function's ratio minus the stack's ("over the stack") is what our
code and the libraries it chose add. "{PYJWT_NAME}" is the stack plus `import jwt` and one EdDSA key:
the difference between the two rows is PyJWT's import cost, measured in this run.

"""
    out += table(
        [
            "Function",
            "Clients",
            "First request imports",
            "CPU p50 ms",
            "CPU ratio",
            "over the stack",
            "CPU median/median",
            "Wall p50 ms",
            "Wall ratio",
            "Instructions",
            "Target",
        ],
        rows,
    )
    if run.instructions:
        out += (
            "\n\nInstructions: the same processes, each run once under valgrind's callgrind "
            f"(`python -m bench --instructions`), counting instructions (the floor's: "
            f"{run.instructions['floor'] / 1e9:.2f} billion). Other load on the machine cannot change a "
            "count, so this column is the one to compare between runs and machines; CPU time runs a "
            "little above it, compiling and building schemas being less efficient per instruction than "
            "the floor's JSON parsing."
        )
    if run.compile_ms:
        out += (
            f"\n\nWithout the bytecode, compiling the layer's own modules would add up to "
            f"{run.compile_ms:.0f} ms of CPU (all of them, here); see below for the dependencies.\n"
        )
    if run.bytecode:
        without, with_ = run.bytecode
        out += (
            "\nThe dependencies matter more. `sam build`'s pip builder puts no bytecode in the layer "
            "(boto3, botocore, pydantic, Powertools: none), and Lambda cannot write any to /opt, so "
            "without the compile step of `make build` every cold start would compile all of it from "
            "source. The floor alone, with boto3 and its dependencies copied from the layer's "
            "dependencies without their "
            f"bytecode: CPU {ms(median(without.cpu))} ms, wall {ms(median(without.wall))} ms; compiled as "
            f"`make build` ships them: CPU {ms(median(with_.cpu))} ms, wall {ms(median(with_.wall))} ms "
            f"(medians of {len(with_.cpu)}). A function would pay that and more (pydantic, Powertools); "
            "the ratios above compare both sides with the bytecode.\n"
        )
    return out + "\n"


def _warm(run: Run) -> str:
    out = f"""\
## Warm overhead

Each endpoint's handler, called in-process with an API Gateway event (built before the clock
starts), against moto (mock_aws) in the same process; its floor is the same boto3 calls made bare
by a plain client against the same moto, on the same items, with the same expressions (and, where
the endpoint hashes or verifies a password, the same Argon2id work at the same parameters,
otherwise the ratio would be Argon2id's). The run checks that each floor makes exactly the calls
its handler makes, in the same shape (`bench.warm.shape`: the attributes each call names and
writes, how many values it binds; a floor that writes less makes moto do less, and the ratio would
count moto's difference as the handler's). Handler and floor alternate request by request after
{warm.WARM_UP} warm-up requests.
moto is made lean for the benchmark (bench/motolean.py: it would otherwise copy the whole table
before every transaction and keep a stream record per write, server-side costs real DynamoDB
does not have, which would inflate the floor and hide overhead). Target: p50 ≤ {WARM_TARGET}x.

"""
    out += table(
        [
            "Endpoint",
            "Calls",
            "p50 ms",
            "p95 ms",
            "floor p50",
            "floor p95",
            "p50 ratio",
            "p95 ratio",
            "Argon2id in both",
            "Target",
        ],
        warm_rows(run),
    )
    return out + "\n"


def _scale(run: Run) -> str:
    seeding, results, workers = run.scale
    rows = []
    for r in results:
        rows.append(
            [
                r.name,
                "/".join(str(c) for c in sorted(r.calls_small)),
                "/".join(str(c) for c in sorted(r.calls_big)),
                ms(median(r.small)),
                ms(median(r.big)),
                f"{r.ratio:.2f}x",
                verdict(r.ratio, SCALE_TARGET),
            ]
        )
    few = seeding.api_users
    total = seeding.users + few
    batch = cost.BATCH_WRITE_MAX_ITEMS
    out = f"""\
## Scale: {few} users against {total:,} in one tenant

The same tenant, the same {few} users made through the API, and {seeding.users:,} more seeded as the
items the store writes (`hellojohn.store.users.user_item` and the email claim). Seeding through
`batch_write_item` runs at {seeding.sample_seconds / seeding.sample_users * 1000:.2f} ms per user
in moto (measured on {seeding.sample_users} users: all of them would take about
{seeding.batch_write_estimate:.0f} s); the rest went straight into moto's backend in
{seeding.backend_seconds:.1f} s. The seeded items are swapped in and out of the table between rounds,
so both populations are measured interleaved. Target: p50 ratio ≤ {SCALE_TARGET}x.

"""
    out += table(
        [
            "Request",
            f"Calls ({few})",
            f"Calls ({total:,})",
            f"p50 ms ({few})",
            f"p50 ms ({total:,})",
            "Ratio",
            "Target",
        ],
        rows,
    )
    out += f"""

No request reads a tenant-wide partition: each works on one user's item collection (and an email
claim when the address moves), so nothing grows with the tenant. Listing pages through GSI1 by
cursor; moto evaluates an index query by scanning the table, so listing is not timed here.

The revocation worker (functions/session_cleanup), for the jobs the stream makes of a revocation
(at most {jobs.MAX_SESSIONS_PER_JOB} sessions a job; BatchWriteItem takes {batch} items a call):

"""
    out += table(
        ["Sessions revoked", "BatchWriteItem", f"Budget ⌈N/{batch}⌉", "Query", "Worker time ms"],
        [[w.sessions, w.writes, math.ceil(w.sessions / batch), w.queries, ms(w.seconds)] for w in workers],
    )
    return out + "\n"


def _hashing(run: Run) -> str:
    results = run.hashing
    floor = results[0]
    rows = [
        [
            r.label,
            f"m={r.memory_kib} KiB, t={r.time_cost}, p={r.parallelism}",
            ms(r.hash_p50),
            ms(r.verify_p50),
            "floor" if r is floor else f"{r.hash_p50 / floor.hash_p50:.2f}x",
        ]
        for r in results
    ]
    out = (
        "## Argon2id\n\nMedians of interleaved runs on this machine, one core, against OWASP's minimum "
        "(the first row). The service's parameters are hellojohn.config's defaults; the other rows are "
        "what a stronger setting would cost."
    )
    hashing_mb = sorted({r.memory_mb for r in run.warm[0] if r.scenario.argon2}) if run.warm else []
    if hashing_mb:
        slowdown = 1 / cost.cpu_share(min(hashing_mb))
        out += (
            f" Lambda gives a function CPU in proportion to memory (one vCPU at {cost.FULL_VCPU_MB:,} MB), "
            f"so at the {' and '.join(f'{m:,}' for m in hashing_mb)} MB the hashing functions have, "
            f"expect up to {slowdown:.2f}x these times; a stronger setting would want more memory "
            "to keep sign-in latency where it is."
        )
    return (
        out
        + "\n\n"
        + table(["Setting", "Parameters", "Hash p50 ms", "Verify p50 ms", "vs floor"], rows)
        + "\n"
    )


COST_HEADER = [
    "Endpoint",
    "MB",
    "CPU ms here",
    "Lambda CPU ms",
    "Calls ms",
    "Billed ms",
    "RRU",
    "WRU",
    "Lambda $",
    "API GW $",
    "DynamoDB $",
    "Total $/M",
    "At most /s on one user",
]


def per_user_ceiling(units: cost.Units) -> float:
    """Requests a second one user's item collection (one partition) takes, by its request units."""
    limits = [
        limit / used
        for limit, used in ((cost.PARTITION_RRU_PER_S, units.rru), (cost.PARTITION_WRU_PER_S, units.wru))
        if used
    ]
    return min(limits) if limits else math.inf


def _cost(run: Run) -> str:
    ests = estimates(run)
    rows = []
    for e in ests:
        rows.append(
            [
                e.name,
                e.memory_mb,
                f"{e.cpu_ms:.1f}",
                f"{e.lambda_cpu_ms:.0f}",
                f"{e.network_ms:.0f}",
                e.billed_ms,
                f"{e.units.rru:g}",
                f"{e.units.wru:g}",
                f"{e.lambda_usd:.3f}",
                f"{e.api_usd:.2f}",
                f"{e.ddb_usd:.3f}",
                f"**{e.total:.2f}**",
                f"{per_user_ceiling(e.units):,.0f}",
            ]
        )
    one = ests[0]
    share = cost.cpu_share(one.memory_mb)
    latency = ", ".join(f"{k} {v:g} ms" for k, v in cost.LATENCY_MS.items())
    units_detail = "\n".join(f"- {e.name}: {e.units.detail}" for e in ests)
    gb_second = f"{cost.LAMBDA_ARM64_GB_SECOND:.10f}"
    return f"""\
## Cost per million requests

Assumptions, stated so they can be checked and changed (bench/cost.py): region us-east-1, public
list prices as of {cost.PRICE_DATE}, no free tier, first pricing tier:

- API Gateway REST API: ${cost.API_GATEWAY_REST_PER_M:.2f} per million requests.
- Lambda on arm64: ${gb_second} per GB-second (billed per millisecond), plus
  ${cost.LAMBDA_REQUEST_PER_M:.2f} per million requests.
- DynamoDB on-demand: ${cost.DDB_RRU_PER_M:g} per million read request units, ${cost.DDB_WRU_PER_M:g} per
  million write request units. A strongly consistent read is an RRU per {cost.READ_UNIT_KB} KB (eventually
  consistent: half), a write a WRU per {cost.WRITE_UNIT_KB} KB; every action of a transaction costs
  {cost.TRANSACTION_FACTOR}x (a ConditionCheck too, as a write); a new user's GSI1 entry is a write too.
- Duration: the handler's own CPU time measured here (warm p50, moto's share taken out), scaled by
  Lambda's CPU share at the function's MemorySize from template.yaml (memory / {cost.FULL_VCPU_MB:,} MB,
  at most a whole vCPU), plus an assumed in-region round trip per AWS call ({latency}; any other,
  {cost.DEFAULT_LATENCY_MS:g} ms).

Example, {one.name}: {one.cpu_ms:.1f} ms of CPU / {share:.3f} (the CPU share at {one.memory_mb} MB)
= {one.lambda_cpu_ms:.0f} ms, + {one.network_ms:.0f} ms for its calls = {one.billed_ms} ms billed;
{one.memory_mb}/{cost.MB_PER_GB} GB x {one.billed_ms / 1000:.3f} s x ${gb_second} x a million
+ ${cost.LAMBDA_REQUEST_PER_M:.2f} = ${one.lambda_usd:.3f}; DynamoDB {one.units.rru:g} RRU
x ${cost.DDB_RRU_PER_M:g} + {one.units.wru:g} WRU x ${cost.DDB_WRU_PER_M:g} = ${one.ddb_usd:.3f};
API Gateway ${cost.API_GATEWAY_REST_PER_M:.2f}: ${one.total:.2f} per million.

{table(COST_HEADER, rows)}

Request units per request, from the item sizes in this run:

{units_detail}

"At most /s on one user": DynamoDB serves at most {cost.PARTITION_RRU_PER_S:,} RRU and
{cost.PARTITION_WRU_PER_S:,} WRU a second per partition, and each request works on one user's item
collection `TNT#{{tid}}#USR#{{uid}}` (store/__init__.py), so that is how often one account can take it.
The only tenant-wide partition is GSI1's `TNT#{{tid}}#USERS`, written once per user created: creating
users is the one thing the key design caps per tenant, at {cost.PARTITION_WRU_PER_S:,} a second. The key
and tenant reads are cached per function instance; beyond that, the ceiling a tenant meets first is
the API stage's throttle in template.yaml (shared by every tenant), the account's Lambda concurrency
and the table's on-demand limits.
{_snapstart_cost(run)}"""


def _snapstart_cost(run: Run) -> str:
    if not run.api_memory_mb:
        return ""
    gb = sum(run.api_memory_mb.values()) / cost.MB_PER_GB
    month = cost.DAYS_PER_MONTH * 24 * 3600
    cache = gb * month * cost.SNAPSTART_CACHE_GB_SECOND
    sizes = sorted(set(run.api_memory_mb.values()))
    per_restore = [m / cost.MB_PER_GB * cost.SNAPSTART_RESTORE_GB for m in sizes]
    share = cost.COLD_START_PERCENT / 100
    restores = "".join(
        f"\n  - {m:,} MB: ${usd:.7f} a restore, ${usd * 1e6:.2f} per million restores, "
        f"${usd * share * 1e6:.2f} per million requests;"
        for m, usd in zip(sizes, per_restore, strict=True)
    )
    return f"""
### SnapStart's charges (Python)

On top of the above, SnapStart for Python bills (bench/cost.py, us-east-1 list prices):

- the cache of each published version's snapshot: ${cost.SNAPSTART_CACHE_GB_SECOND:.10f} per GB of the
  function's memory per second the version exists (at least {cost.SNAPSTART_MIN_CACHE_HOURS} hours). The
  {len(run.api_memory_mb)} API functions have {gb:g} GB between them and one live version each (the
  replaced one is deleted, `VersionDeletionPolicy: Delete`): {gb:g} GB x {month:,} s
  ({cost.DAYS_PER_MONTH} days) x ${cost.SNAPSTART_CACHE_GB_SECOND:.10f} = ${cache:.2f} a month per stage
  with SnapStart on, whatever the traffic;
- each restore (a cold start): ${cost.SNAPSTART_RESTORE_GB:.10f} per GB of memory; with
  {cost.COLD_START_PERCENT}% of requests starting cold:{restores}

A dev stack (`SnapStart=off`) pays neither; nor do the stream router and the SQS workers, which
have SnapStart off (no user waits on their cold starts).
"""


DESIGN = f"""\
## What keeps init and the first request small

- SnapStart (template.yaml, hellojohn/edge/snapstart.py): a cold start restores a snapshot taken
  after init and the before-snapshot hooks, so init is on no request's path. The hook sends each
  route refused requests and one that succeeds, with a key, tenant and user that exist only in
  the hook (hellojohn/edge/priming.py), and makes their AWS calls over a real connection to a
  loopback server in the process that answers with those made-up items (botocore's whole path:
  signing, urllib3, http.client, response parsing), closed before the snapshot; every data cache
  is emptied after it. So the route's handler, its models, the store's expressions and the
  response path have run once. What a first request still pays is the first TLS connection (the
  bench uses plain HTTP to moto), reading the real key, tenant and seed, and cold CPU caches.
- The hook leaves botocore's and logging's caches as a warm request finds them: the handler that
  sends its calls to the loopback stays registered (answering nothing outside the hook) and its log
  lines are dropped by a filter, not a raised level (either change would empty a cache the first
  request then fills again).
- Priming hashes at a trivial Argon2id cost (`passwords.trivial_cost`: its hashes are dropped), and
  last of all puts Argon2's memory in the heap (`snapstart._argon2_memory`), so the first hash at
  the configured cost faults in no pages: the "Page faults" column of the first-request table.
- PyJWT is the token library (docs/DECISIONS.md); its import cost is the "{PYJWT_NAME}" row minus
  the "{STACK_NAME}" row of the init table, paid at publish with SnapStart.
- `hellojohn/edge/auth.py` imports the token module only for access tokens: the secret-key
  functions do not load cryptography.
- `hellojohn/models.py`: every model is `defer_build`, and `hellojohn.edge.resolver.entry` builds
  the ones in the function's route signatures at import, so a function builds its own models only;
  the probe checks that no first request builds one late, and tests/test_cold_imports.py holds the
  lists.
- `make build` compiles the built functions and layer to bytecode (`sam build` ships none and /opt
  is read-only).
- `hellojohn/adapters/secrets_manager.py` gives Powertools' Secrets Manager provider a client on
  boto3's default session (on its own it builds a second session, reloading the SDK's endpoint data).
- `argon2`, `ulid`, `phonenumbers`, `email_validator` and every boto3 client are imported or created
  on first use, and the before-snapshot hook does that first use for the function's routes.
- `template.yaml` sets `PYDANTIC_DISABLE_PLUGINS` (pydantic would otherwise scan every installed
  distribution for plugins when it builds the first model).
"""


def _sections(run: Run) -> list[tuple[Any, Callable[[Run], str]]]:
    """(what a section needs, how it is written), in the page's order."""
    return [
        (run.first, _first),
        (run.cold, _cold),
        (run.warm, _warm),
        (run.scale, _scale),
        (run.hashing, _hashing),
        (run.warm, _cost),
    ]


def document(run: Run) -> str:
    header = f"""\
# Performance

Every figure is a ratio against a floor measured in the same run. Reproduce with `make bench`
(`python -m bench`; `--instructions` adds the cold starts' instruction counts, which need valgrind),
and re-render this page from the last run's stored measurements with `make bench-render`. This
file was written from `{run.command}`, which took {run.seconds / 60:.1f} min on {run.machine}, a
machine other work was running on. The round-trip budgets are enforced by the test suite
(tests/test_round_trips.py); the benchmarks are not part of it.
"""
    parts = [header, _summary(run), _budgets(), _caches()]
    parts += [write(run) for present, write in _sections(run) if present]
    parts.append(DESIGN)
    return "\n".join(parts)


def _summary(run: Run) -> str:
    rows = []
    if run.first:
        worst_made = max(run.first.values(), key=made_ratio)
        worst_time = max(run.first.values(), key=first_ratio)
        over = [f.function for f in run.first.values() if first_ratio(f) > FIRST_TARGET]
        rows.append(
            [
                "First request after a SnapStart restore / the same request warm, function calls counted, "
                "worst function",
                f"{made_ratio(worst_made):.3f}x ({worst_made.function})",
                f"≤ {FIRST_TARGET}x",
                first_verdict(worst_made),
            ]
        )
        rows.append(
            [
                "The same in CPU time, both with the CPU caches evicted, worst function's median "
                "(the functions over the target)",
                f"{first_ratio(worst_time):.2f}x ({worst_time.function}; over: {', '.join(over) or 'none'})",
                f"≤ {FIRST_TARGET}x",
                verdict(first_ratio(worst_time), FIRST_TARGET),
            ]
        )
    if run.cold:
        _, results = run.cold
        worst = max(functions_only(results), key=cold_ratio)
        ratio = cold_ratio(worst)
        target = init_target(run)
        rows.append(
            [
                "Init (import + before-snapshot hooks) / boto3 floor, worst function (CPU)",
                f"{ratio:.2f}x ({worst.function})",
                f"≤ stack + {INIT_OVER_STACK:.2f} = {target:.2f}x",
                verdict(ratio, target),
            ]
        )
        over = [r for r in functions_only(results) if cold_ratio(r) > target]
        rows.append(
            [
                f"Init, functions over the stack + {INIT_OVER_STACK:.2f}",
                ", ".join(f"{r.function} (+{cold_ratio(r) - stack_ratio(run):.2f})" for r in over) or "none",
                "none",
                "ok" if not over else "**over**",
            ]
        )
        stack = next((r for r in results if r.function == STACK_NAME), None)
        if stack is not None:
            rows.append(
                [
                    "Init, the stack alone (Powertools + pydantic, CPU)",
                    f"{cold_ratio(stack):.2f}x",
                    "-",
                    "reference",
                ]
            )
        pyjwt = next((r for r in results if r.function == PYJWT_NAME), None)
        if pyjwt is not None and stack is not None:
            rows.append(
                [
                    "Init, importing PyJWT over the stack (CPU)",
                    f"{cold_ratio(pyjwt) - cold_ratio(stack):+.2f} of the floor",
                    "-",
                    "reference",
                ]
            )
        if run.instructions:
            refs = ("floor", STACK_NAME, PYJWT_NAME)
            counted = {k: v for k, v in run.instructions.items() if k not in refs}
            top = max(counted, key=counted.__getitem__)
            limit = run.instructions[STACK_NAME] + INIT_OVER_STACK
            rows.append(
                [
                    "Init, worst function (instructions)",
                    f"{counted[top]:.2f}x ({top})",
                    f"≤ stack + {INIT_OVER_STACK:.2f} = {limit:.2f}x",
                    verdict(counted[top], limit),
                ]
            )
    if run.warm:
        results, _ = run.warm
        worst_w = max(results, key=warm_ratio)
        ratio = warm_ratio(worst_w)
        rows.append(
            [
                "Warm overhead, worst endpoint (p50)",
                f"{ratio:.2f}x ({worst_w.scenario.name})",
                f"≤ {WARM_TARGET}x",
                verdict(ratio, WARM_TARGET),
            ]
        )
    if run.scale:
        seeding, sresults, _ = run.scale
        worst_s = max(sresults, key=lambda r: r.ratio)
        few, total = seeding.api_users, seeding.users + seeding.api_users
        rows.append(
            [
                f"Scale {few} → {total:,} users, worst request (p50)",
                f"{worst_s.ratio:.2f}x ({worst_s.name})",
                f"≤ {SCALE_TARGET}x",
                verdict(worst_s.ratio, SCALE_TARGET),
            ]
        )
    if run.hashing:
        floor_h = run.hashing[0]
        service = next(r for r in run.hashing if "service" in r.label)
        rows.append(
            [
                "Argon2id at the service's parameters",
                f"{service.hash_p50 / floor_h.hash_p50:.2f}x "
                f"(hash {ms(service.hash_p50)} ms, verify {ms(service.verify_p50)} ms)",
                "OWASP minimum",
                "ok"
                if (service.memory_kib, service.time_cost) >= (floor_h.memory_kib, floor_h.time_cost)
                else "**under**",
            ]
        )
    return "## Summary\n\n" + table(["Figure", "Measured", "Target", ""], rows) + "\n"


def console(run: Run) -> str:
    """The tables, for the terminal."""
    out = [_summary(run)]
    if run.first:
        out.append(
            table(
                [
                    "Function",
                    "Calls",
                    "Same",
                    "x calls",
                    "Faults",
                    "First ms",
                    "Warm ms",
                    "x time",
                    "time",
                    "x hot",
                    "x freeze",
                    "Lazy",
                    "Target",
                ],
                first_rows(run),
            )
        )
    if run.cold:
        rows, _, _ = cold_rows(run)
        out.append(
            table(
                [
                    "Function",
                    "Clients",
                    "Lazy",
                    "CPU ms",
                    "CPU x",
                    "- stack",
                    "med/med",
                    "Wall ms",
                    "Wall x",
                    "Instr x",
                    "Target",
                ],
                rows,
            )
        )
    if run.warm:
        out.append(
            table(
                [
                    "Endpoint",
                    "Calls",
                    "p50",
                    "p95",
                    "floor p50",
                    "floor p95",
                    "p50 x",
                    "p95 x",
                    "Argon2id",
                    "Target",
                ],
                warm_rows(run),
            )
        )
    for present, write in _sections(run)[3:5]:  # scale and hashing, as in the page
        if present:
            out.append(write(run))
    if run.warm:
        ests = estimates(run)
        out.append(table(["Endpoint", "$/M total"], [[e.name, f"{e.total:.2f}"] for e in ests]))
    return "\n\n".join(out)
