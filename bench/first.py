"""SnapStart's first request: what a restored copy's first request costs over the same request warm.

Each API function, in a fresh process (`python -S`, the layer as `make build` ships it, a moto
server): `import app`, the before-snapshot hooks, the after-restore hooks (what Lambda runs before
a restored copy's first request), EVICT_MB through the CPU caches (a restored copy's are cold), then
request 1 (the first); after the after-restore hook has emptied the caches again, request 2 (warm,
the CPU caches as warm as they get); after the hook again and the same eviction, request 3 (warm,
the CPU caches as cold as the first's). Requests 2 and 3 are of the same kind as the first and make
the same AWS calls (the key and tenant reads, and the signing seed where tokens are involved, in
all three). Each is timed in CPU time of the process (`time.process_time`: the moto server's work
is not counted), and the run checks that all three made the same calls. The first over the third
is what the first request does that a warm one does not, on equal hardware; the first over the
second adds what cold CPU caches cost. Most processes run as the service ships (`snapstart.FREEZE`
off), some with `gc.freeze()` after priming, and one per function counts the function calls
(Python and C, `sys.setprofile`) of requests 1 and 2: the same comparison without noise. The
page faults of requests 1 and 3 are counted in every process (memory a request touches first).
"""

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import cold, lambdas
from local_runner import template

MARK = "@@first@@"
EVICT_MB = 48  # what goes through the CPU caches before requests 1 and 3 (larger than the CPU caches)
WORKERS = {"StreamRouterFunction", "EmailWorkerFunction", "SessionCleanupFunction"}
# functions whose warm request can be sent again unchanged (the others use something up: each of
# their three requests has its own user, session or token)
REPLAYABLE = {
    "UsersGetFunction",
    "UsersListFunction",
    "UsersUpdateFunction",
    "UsersSetPasswordFunction",
    "UsersDisableFunction",
    "UsersEnableFunction",
    "AuthSignInFunction",
    "AuthMeFunction",
    "AuthMeUpdateFunction",
    "JwksFunction",
    "CorsPreflightFunction",
    "UsersSessionsFunction",
    "AuthSessionsFunction",
    "UsersEventsFunction",
    "UsersUnlockFunction",
}

CODE = f"""
import json, resource, sys, time
from botocore.client import BaseClient
calls = []
_call = BaseClient._make_api_call
def _count(self, operation, params):
    calls.append(operation)
    return _call(self, operation, params)
BaseClient._make_api_call = _count
events = json.load(sys.stdin)
variant = sys.argv[1]
from hellojohn.edge import snapstart
snapstart.FREEZE = variant == "freeze"
import app
snapstart.run_before_snapshot()
snapstart.run_after_restore()
init = set(sys.modules)
# not local_runner.invoke.LambdaContext: this process sees only the layer and its dependencies, as
# bench.cold's probe does (see there)
class Context:
    function_name = "first"; memory_limit_in_mb = 256; aws_request_id = "first"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:first"
    def get_remaining_time_in_millis(self): return 10000
made = [0]
def counted(frame, event, arg):
    if event == "call" or event == "c_call":
        made[0] += 1
def evict():
    junk = bytearray({EVICT_MB} << 20); junk[::64] = bytes(len(junk[::64])); sum(junk[::4096])
def timed(event, count):
    calls.clear()
    made[0] = 0
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    if count:
        sys.setprofile(counted)
    start = time.process_time()
    result = app.lambda_handler(event, Context())
    spent = time.process_time() - start
    sys.setprofile(None)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
    status = result.get("statusCode")
    # a refusal's body is kept so that a failed run says why (never a success's: it holds tokens)
    return spent, list(calls), status, result.get("body") if status >= 300 else None, made[0], faults
evict()
first = timed(events[0], variant == "count")
lazy = sorted(set(sys.modules) - init)
snapstart.refresh()  # the caches empty again, as after a restore: the same calls
hot = timed(events[1], variant == "count")
snapstart.refresh()
evict()
warm = timed(events[2], False)
print({MARK!r} + json.dumps({{"first": first, "hot": hot, "warm": warm, "lazy": lazy}}))
"""


@dataclass
class First:
    function: str
    # CPU s, one per process, as the service runs (`snapstart.FREEZE` off): the first request, and the
    # warm one, each after EVICT_MB went through the CPU caches; the warm one with the caches hot
    first: list[float] = field(default_factory=list)
    warm: list[float] = field(default_factory=list)
    hot: list[float] = field(default_factory=list)
    # the first and the (evicted) warm request with gc.freeze() after priming
    first_freeze: list[float] = field(default_factory=list)
    warm_freeze: list[float] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    same_calls: bool = True
    lazy: list[str] = field(default_factory=list)
    # function calls (Python and C) the first request and the hot warm one made, in the counting process
    made: tuple[int, int] = (0, 0)
    # page faults (minor: memory first touched) of the first request and of the warm one, per process
    faults_first: list[int] = field(default_factory=list)
    faults_warm: list[int] = field(default_factory=list)


def _pairs(w: Any, n: int) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Two events per API function, each making the calls the other makes (fresh users, sessions
    and tokens where a request uses one up)."""
    from hellojohn.rules import verification
    from hellojohn.store import keys

    from bench.scenarios import PASSWORD, Person, notice_link, repeatable_events, sign_in

    def api(
        method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        return lambdas.api_event(method, path, body, headers)[1]

    def person(tag: str) -> str:
        name = f"{tag}{n}"
        email = f"{name}@example.com"
        reply = lambdas.call("POST", "/v1/users", {"email": email, "password": PASSWORD}, w.admin())
        if reply.status != 201:
            raise RuntimeError(f"first-request setup: {reply.status} {reply.body}")
        w.people[name] = Person(reply.body["id"], email)
        sign_in(w, name)
        return name

    def verify_token(name: str) -> str:
        uid = w.people[name].uid
        reply = lambdas.call("PATCH", f"/v1/users/{uid}", {"email": f"new.{name}@example.com"}, w.admin())
        if reply.status != 200:
            raise RuntimeError(f"first-request setup: {reply.status} {reply.body}")
        item = w.ddb.get_item(TableName=w.table, Key=keys.user(w.tid, uid), ConsistentRead=True)["Item"]
        issued = verification.issue(w.tid, uid, item["pending_change_id"]["S"])
        if issued is None:
            raise RuntimeError("first-request setup: no verification token")
        return issued.token

    a, b = person("fa"), person("fb")
    same = {
        **repeatable_events(w),
        "AuthSignInFunction": api(
            "POST", "/v1/auth/sign-in", {"email": w.people[a].email, "password": PASSWORD}, w.public()
        ),
        "AuthMeFunction": api("GET", "/v1/auth/me", None, w.user(a)),
        "AuthMeUpdateFunction": api("PATCH", "/v1/auth/me", {"name": "Pat"}, w.user(a)),
    }
    pairs = {name: (event, event) for name, event in same.items()}

    def create(tag: str) -> dict[str, Any]:
        return api("POST", "/v1/users", {"email": f"{tag}{n}@example.com", "password": PASSWORD}, w.admin())

    def change(name: str) -> dict[str, Any]:
        body = {"current_password": PASSWORD, "new_password": "Another-Pass-78"}
        return api("POST", "/v1/auth/password/change", body, w.user(name))

    refresh_a, refresh_b = w.people[a].refresh, w.people[b].refresh
    pairs["UsersCreateFunction"] = (create("fc"), create("fd"))
    pairs["AuthRefreshFunction"] = (
        api("POST", "/v1/auth/refresh", {"refresh_token": refresh_a}, w.public()),
        api("POST", "/v1/auth/refresh", {"refresh_token": refresh_b}, w.public()),
    )
    c, d = person("fe"), person("ff")
    pairs["AuthSignOutFunction"] = (
        api("POST", "/v1/auth/sign-out", None, w.user(c)),
        api("POST", "/v1/auth/sign-out", None, w.user(d)),
    )
    e, f = person("fg"), person("fh")
    pairs["AuthPasswordChangeFunction"] = (change(e), change(f))
    pairs["AuthEmailVerifyFunction"] = (
        api("POST", "/v1/auth/email/verify", {"token": verify_token(a)}, w.public()),
        api("POST", "/v1/auth/email/verify", {"token": verify_token(b)}, w.public()),
    )
    for function, path, kind in (
        ("AuthEmailCancelFunction", "/v1/auth/email/cancel", "cancel"),
        ("AuthEmailRestoreFunction", "/v1/auth/email/restore", "restore"),
    ):
        pairs[function] = (
            api("POST", path, {"token": notice_link(w, kind)}, w.public()),
            api("POST", path, {"token": notice_link(w, kind)}, w.public()),
        )
    pairs["AuthSessionsFunction"] = (api("GET", "/v1/auth/sessions", None, w.user(a)),) * 2

    def revoke(name: str) -> dict[str, Any]:  # an admin revokes the person's one session
        p = w.people[name]
        return api("POST", f"/v1/users/{p.uid}/sessions/{p.sid}/revoke", None, w.admin())

    def revoke_all(name: str) -> dict[str, Any]:
        return api("POST", f"/v1/users/{w.people[name].uid}/sessions/revoke", None, w.admin())

    def revoke_own(name: str) -> dict[str, Any]:  # the person's first session, from its second
        first = w.people[name].sid
        sign_in(w, name)
        return api("POST", f"/v1/auth/sessions/{first}/revoke", None, w.user(name))

    pairs["UsersSessionRevokeFunction"] = (revoke(person("fi")), revoke(person("fj")))
    pairs["UsersSessionsRevokeFunction"] = (revoke_all(person("fk")), revoke_all(person("fl")))
    pairs["AuthSessionRevokeFunction"] = (revoke_own(person("fm")), revoke_own(person("fn")))
    return pairs


def _one(function: Any, events: list[dict[str, Any]], variant: str, env: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = cold.marked_run(
        [CODE, variant], events, function.code_dir, env, MARK, f"first request of {function.logical_id}"
    )
    answers = [(k, data[k][2], data[k][3]) for k in ("first", "hot", "warm")]
    if any(status >= 300 for _, status, _ in answers):
        raise RuntimeError(f"{function.logical_id}: {answers}")
    return data


def _record(r: First, variant: str, data: dict[str, Any]) -> None:
    first, hot, warm = data["first"], data["hot"], data["warm"]
    r.calls = first[1]
    r.same_calls = r.same_calls and first[1] == hot[1] == warm[1]
    r.lazy = sorted(set(r.lazy) | set(data["lazy"]))
    if variant == "count":
        r.made = (first[4], hot[4])
    elif variant == "freeze":
        r.first_freeze.append(first[0])
        r.warm_freeze.append(warm[0])
    else:
        r.first.append(first[0])
        r.warm.append(warm[0])
        r.hot.append(hot[0])
        r.faults_first.append(first[5])
        r.faults_warm.append(warm[5])


def variants(rounds: int, freeze_rounds: int) -> list[str]:
    """The processes per function, in order: the counting one, then `rounds` as shipped with
    `freeze_rounds` gc.freeze() ones spread among them."""
    total = rounds + freeze_rounds
    freeze_at = {int((j + 0.5) * total / max(freeze_rounds, 1)) for j in range(freeze_rounds)}
    return ["count"] + ["freeze" if i in freeze_at else "plain" for i in range(total)]


def run(
    rounds: int = 3, freeze_rounds: int = 2, only: set[str] | None = None, deps: Path | None = None
) -> dict[str, First]:
    """Every API function's (or `only` these functions') first and warm requests: one counting
    process, `rounds` processes as the service ships and `freeze_rounds` with gc.freeze() after
    priming; on the layer and `deps` (by default its requirements installed alone, as bench.cold)."""
    functions = [
        f
        for f in template.functions()
        if f.logical_id not in WORKERS and (only is None or f.logical_id in only)
    ]
    found = {f.logical_id: First(f.logical_id) for f in functions}
    with cold.moto_stack("bench-first") as stack, tempfile.TemporaryDirectory(prefix="bench-first-") as tmp:
        layer = cold.layer_copy(Path(tmp))
        for n, variant in enumerate(variants(rounds, freeze_rounds)):
            pairs, more = _pairs(stack.world, n), _pairs(stack.world, n + 1000)
            for function in functions:
                name = function.logical_id
                first, hot = pairs[name]
                events = [first, hot, hot if name in REPLAYABLE else more[name][0]]
                env = stack.env(function, layer, deps)
                _record(found[name], variant, _one(function, events, variant, env))
    return found
