"""SnapStart's first request: what a restored copy's first request costs over the same request warm.

Each API function, in a fresh process (`python -S`, the layer as `make build` ships it, a moto
server): `import app`, the before-snapshot hooks, the after-restore hooks (what Lambda runs before
a restored copy's first request), then request 1 (the first) and, after the after-restore hook
has emptied the caches again, request 2: the same kind of request making the same AWS calls (the
key and tenant reads, and the signing seed where tokens are involved, in both). Each request is
timed in CPU time of the process (`time.process_time`: the moto server's work is not counted), and
the run checks that both made the same calls. With `gc.freeze()` after priming and without.
Where the request can be sent again unchanged, a third time after EVICT_MB has gone through the CPU
caches: a warm request with cold caches, as a restored copy's first request has them.
"""

from dataclasses import dataclass, field
from typing import Any

from bench import cold, lambdas
from local_runner import template

MARK = "@@first@@"
EVICT_MB = 48  # what goes through the CPU caches before the evicted request (larger than the CPU caches)
WORKERS = {"StreamRouterFunction", "EmailWorkerFunction", "SessionCleanupFunction"}
# functions whose warm request can be sent a third time unchanged (the others use something up)
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
import json, sys, time
from botocore.client import BaseClient
calls = []
_call = BaseClient._make_api_call
def _count(self, operation, params):
    calls.append(operation)
    return _call(self, operation, params)
BaseClient._make_api_call = _count
first_event, second_event = json.load(sys.stdin)
from hellojohn.edge import snapstart
snapstart.FREEZE = sys.argv[1] == "freeze"
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
def timed(event):
    calls.clear()
    start = time.process_time()
    result = app.lambda_handler(event, Context())
    status = result.get("statusCode")
    # a refusal's body is kept so that a failed run says why (never a success's: it holds tokens)
    return time.process_time() - start, list(calls), status, result.get("body") if status >= 300 else None
first = timed(first_event)
lazy = sorted(set(sys.modules) - init)
snapstart.refresh()  # the caches empty again, as after a restore: the same calls
warm = timed(second_event)
evicted = None
if sys.argv[2] == "replay":  # the same request again, after EVICT_MB has gone through the CPU caches
    snapstart.refresh()
    junk = bytearray({EVICT_MB} << 20); junk[::64] = bytes(len(junk[::64])); sum(junk[::4096]); del junk
    evicted = timed(second_event)
print({MARK!r} + json.dumps({{"first": first, "warm": warm, "evicted": evicted, "lazy": lazy}}))
"""


@dataclass
class First:
    function: str
    first: list[float] = field(default_factory=list)  # CPU s, gc.freeze() after priming
    warm: list[float] = field(default_factory=list)
    first_nofreeze: list[float] = field(default_factory=list)
    warm_nofreeze: list[float] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    same_calls: bool = True
    lazy: list[str] = field(default_factory=list)
    # the warm request again after evicting the CPU caches (no gc.freeze; replayable requests only)
    evicted: list[float] = field(default_factory=list)


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


def _one(function: Any, pairs: dict[str, Any], variant: str, env: dict[str, str]) -> dict[str, Any]:
    replay = "replay" if function.logical_id in REPLAYABLE else "-"
    data: dict[str, Any] = cold.marked_run(
        [CODE, variant, replay],
        pairs[function.logical_id],
        function.code_dir,
        env,
        MARK,
        f"first request of {function.logical_id}",
    )
    answers = [(k, data[k][2], data[k][3]) for k in ("first", "warm", "evicted") if data[k] is not None]
    if any(status >= 300 for _, status, _ in answers):
        raise RuntimeError(f"{function.logical_id}: {answers}")
    return data


def _record(r: First, variant: str, data: dict[str, Any]) -> None:
    (t1, calls1, *_), (t2, calls2, *_) = data["first"], data["warm"]
    r.calls = calls1
    r.same_calls = r.same_calls and calls1 == calls2
    r.lazy = sorted(set(r.lazy) | set(data["lazy"]))
    if variant == "freeze":
        r.first.append(t1)
        r.warm.append(t2)
    else:
        r.first_nofreeze.append(t1)
        r.warm_nofreeze.append(t2)
        if data["evicted"] is not None:
            r.evicted.append(data["evicted"][0])


def run(rounds: int = 4) -> dict[str, First]:
    """Every API function's first and warm request, `rounds` processes each with gc.freeze() after
    priming and as many without."""
    import tempfile
    from pathlib import Path

    functions = [f for f in template.functions() if f.logical_id not in WORKERS]
    found = {f.logical_id: First(f.logical_id) for f in functions}
    with cold.moto_stack("bench-first") as stack, tempfile.TemporaryDirectory(prefix="bench-first-") as tmp:
        layer = cold.layer_copy(Path(tmp))
        for n in range(rounds * 2):
            variant = "freeze" if n % 2 == 0 else "nofreeze"
            pairs = _pairs(stack.world, n)
            for function in functions:
                env = stack.env(function, layer)
                _record(found[function.logical_id], variant, _one(function, pairs, variant, env))
    return found
