"""SnapStart's first request: what a restored copy's first request does over the same request warm.

Each API function in fresh processes (`python -S`, the layer as `make build` ships it, a moto
server): `import app`, the before-snapshot hook, the after-restore hook (what Lambda runs before a
restored copy's first request), the first request; then the after-restore hook again (the caches
empty, so the same AWS calls: the key and tenant reads, and the signing seed where tokens are
involved) and a warm request of the same kind. One process counts the function calls, Python and
C (`sys.setprofile`), of both: what the first does that a warm one does not (an import, a client,
a model, a cache filled late), which no noise moves; the target is judged on that count. Others
time both in the process's CPU time (`time.process_time`), each after EVICT_MB went through the
CPU caches: reported, not judged. The run checks that both made the same calls.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import cold, lambdas
from bench.scenarios import PASSWORD, Person, World, sign_in
from local_runner import template
from tests.awscalls import CALLS_OF_A_FRESH_INTERPRETER

MARK = "@@first@@"
EVICT_MB = 48  # what goes through the CPU caches before requests 1 and 3 (larger than the CPU caches)
HOOK_URL = "https://93.184.215.14/in"  # a public address, no name: no DNS in the timed processes

CODE = (
    CALLS_OF_A_FRESH_INTERPRETER
    + f"""
import json, sys, time
events = json.load(sys.stdin)
count = sys.argv[1] == "count"
import app
from hellojohn.edge import snapstart
snapstart.run_before_snapshot()
snapstart.run_after_restore()
init = set(sys.modules)
# not local_runner.invoke.LambdaContext: this process sees only the layer and its dependencies
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
def request(event):
    calls.clear()
    made[0] = 0
    if count:
        sys.setprofile(counted)
    else:
        evict()
    start = time.process_time()
    result = app.lambda_handler(event, Context())
    spent = time.process_time() - start
    sys.setprofile(None)
    status = result.get("statusCode")
    # a refusal's body is kept so that a failed run says why (never a success's: it holds tokens)
    return spent, list(calls), status, result.get("body") if status >= 300 else None, made[0]
first = request(events[0])
lazy = sorted(set(sys.modules) - init)
snapstart.refresh()  # the caches empty again, as after a restore: the same calls
warm = request(events[1])
print({MARK!r} + json.dumps({{"first": first, "warm": warm, "lazy": lazy}}))
"""
)


@dataclass
class First:
    function: str
    first: list[float] = field(default_factory=list)  # CPU s, one per timing process
    warm: list[float] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    same_calls: bool = True
    lazy: list[str] = field(default_factory=list)
    made: tuple[int, int] = (0, 0)  # function calls (Python and C) of the first and the warm request

    @property
    def ratio(self) -> float:
        """The function calls of the first request over the warm one's: the judged figure."""
        return self.made[0] / self.made[1] if self.made[1] else 1.0


def notice_link(w: World, kind: str) -> str:
    """A live link token of a security notice (docs/NOTICES.md) for a user of its own, as the email
    worker stores it: `cancel` (a pending email change is made first) or `restore` (an admin's
    verified email change is made first; the link puts the first address back). Single use: each
    request that spends one needs its own."""
    from hellojohn import ids
    from hellojohn.rules import notices, opaque
    from hellojohn.store import keys, links
    from hellojohn.timeutil import now

    tag = ids.new_id("usr").lower()
    p = Person(_ok(lambdas.call("POST", "/v1/users", {"email": f"{tag}@example.com"}, w.admin()))["id"], "")
    p.email, new = f"{tag}@example.com", f"{kind}.{tag}@example.com"
    body: dict[str, Any] = {"email": new, "email_verified": kind == links.RESTORE}
    _ok(lambdas.call("PATCH", f"/v1/users/{p.uid}", body, w.admin()))
    token = opaque.new_verification_token()[0]
    expires = now() + notices.RESTORE_TTL_SECONDS
    if kind == links.CANCEL:
        item = w.ddb.get_item(TableName=w.table, Key=keys.user(w.tid, p.uid), ConsistentRead=True)["Item"]
        change = item["pending_change_id"]["S"]
        links.put_link(opaque.digest(token), links.Link(w.tid, p.uid, kind, change, p.email, new, expires))
    else:
        link = links.Link(w.tid, p.uid, kind, ids.new_id("chg"), p.email, new, expires)
        links.add_restore_link(opaque.digest(token), link, links.get_restore_links(w.tid, p.uid), now())
    return token


def _ok(reply: lambdas.Reply) -> Any:
    if reply.status >= 300:
        raise RuntimeError(f"first-request setup: {reply.status} {reply.body}")
    return reply.body


def _api(method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return lambdas.api_event(method, path, body, headers)[1]


def _pairs(w: World, n: int) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Two events per API function, each making the calls the other makes: the same event where it
    succeeds alike when sent again, else fresh users, sessions and tokens for each."""
    from hellojohn.rules import verification
    from hellojohn.store import keys

    def person(tag: str) -> str:
        name = f"{tag}{n}"
        email = f"{name}@example.com"
        body = {"email": email, "password": PASSWORD}
        w.people[name] = Person(_ok(lambdas.call("POST", "/v1/users", body, w.admin()))["id"], email)
        sign_in(w, name)
        return name

    def verify_token(name: str) -> str:
        uid = w.people[name].uid
        _ok(lambdas.call("PATCH", f"/v1/users/{uid}", {"email": f"new.{name}@example.com"}, w.admin()))
        item = w.ddb.get_item(TableName=w.table, Key=keys.user(w.tid, uid), ConsistentRead=True)["Item"]
        issued = verification.issue(w.tid, uid, item["pending_change_id"]["S"])
        if issued is None:
            raise RuntimeError("first-request setup: no verification token")
        return issued.token

    def revoke_own(name: str) -> dict[str, Any]:  # the person's first session, from its second
        first = w.people[name].sid
        sign_in(w, name)
        return _api("POST", f"/v1/auth/sessions/{first}/revoke", None, w.user(name))

    def endpoint() -> str:  # a webhook endpoint of its own (at most 20 a tenant: 3 live per round)
        return str(_ok(lambdas.call("POST", "/v1/webhooks", {"url": HOOK_URL}, w.admin()))["id"])

    def deleted(name: str) -> str:  # the person's deletion requested (the tenant's grace: restorable)
        uid = w.people[name].uid
        _ok(lambdas.call("DELETE", f"/v1/users/{uid}", None, w.admin()))
        return uid

    bob, a = f"/v1/users/{w.people['bob'].uid}", person("fa")
    hook = f"/v1/webhooks/{endpoint()}"
    preflight = {"Origin": "https://app.bench.test", "Access-Control-Request-Method": "POST"}
    same = {
        "UsersGetFunction": _api("GET", bob, None, w.admin()),
        "UsersListFunction": _api("GET", "/v1/users?limit=20", None, w.admin()),
        "UsersUnlockFunction": _api("POST", f"{bob}/unlock", None, w.admin()),
        "UsersEventsFunction": _api("GET", f"{bob}/events?limit=20", None, w.admin()),
        "UsersSessionsFunction": _api("GET", f"{bob}/sessions", None, w.admin()),
        "JwksFunction": _api("GET", "/v1/.well-known/jwks.json"),
        "CorsPreflightFunction": _api("OPTIONS", "/v1/users", None, preflight),
        "AuthSignInFunction": _api(
            "POST", "/v1/auth/sign-in", {"email": w.people[a].email, "password": PASSWORD}, w.public()
        ),
        "AuthMeFunction": _api("GET", "/v1/auth/me", None, w.user(a)),
        "AuthSessionsFunction": _api("GET", "/v1/auth/sessions", None, w.user(a)),
        "WebhooksListFunction": _api("GET", "/v1/webhooks?limit=20", None, w.admin()),
        "WebhooksGetFunction": _api("GET", hook, None, w.admin()),
        "WebhooksRotateSecretFunction": _api("POST", f"{hook}/rotate-secret", None, w.admin()),
        "WebhooksTestFunction": _api("POST", f"{hook}/test", None, w.admin()),
        "WebhooksDeliveriesFunction": _api("GET", f"{hook}/deliveries?limit=20", None, w.admin()),
    }
    pairs = {name: (event, event) for name, event in same.items()}

    def revoke(name: str) -> dict[str, Any]:  # an admin revokes the person's one session
        p = w.people[name]
        return _api("POST", f"/v1/users/{p.uid}/sessions/{p.sid}/revoke", None, w.admin())

    def revoke_all(name: str) -> dict[str, Any]:
        return _api("POST", f"/v1/users/{w.people[name].uid}/sessions/revoke", None, w.admin())

    change = {"current_password": PASSWORD, "new_password": "Another-Pass-78"}
    for tag in "bc":  # each pair's first event, then its second
        b = person("f" + tag)
        disabled = person("e" + tag)
        _ok(lambdas.call("POST", f"/v1/users/{w.people[disabled].uid}/disable", None, w.admin()))
        one = {
            "UsersUpdateFunction": _api("PATCH", bob, {"name": f"Robert {tag}"}, w.admin()),
            "UsersMetadataMergeFunction": _api(
                "PATCH", f"{bob}/metadata", {"public_metadata": {"plan": tag}}, w.admin()
            ),
            "UsersDisableFunction": _api(
                "POST", f"/v1/users/{w.people[person('d' + tag)].uid}/disable", None, w.admin()
            ),
            "UsersEnableFunction": _api(
                "POST", f"/v1/users/{w.people[disabled].uid}/enable", None, w.admin()
            ),
            "AuthMeUpdateFunction": _api("PATCH", "/v1/auth/me", {"name": f"Pat {tag}"}, w.user(a)),
            "UsersSetPasswordFunction": _api(
                "POST", f"{bob}/password", {"password": f"New-Pass-{b}"}, w.admin()
            ),
            "UsersCreateFunction": _api(
                "POST", "/v1/users", {"email": f"made.{b}@example.com", "password": PASSWORD}, w.admin()
            ),
            "AuthRefreshFunction": _api(
                "POST", "/v1/auth/refresh", {"refresh_token": w.people[b].refresh}, w.public()
            ),
            "AuthPasswordChangeFunction": _api(
                "POST", "/v1/auth/password/change", change, w.user(person("g" + tag))
            ),
            "AuthSignOutFunction": _api("POST", "/v1/auth/sign-out", None, w.user(person("h" + tag))),
            "AuthReauthenticateFunction": _api(
                "POST", "/v1/auth/reauthenticate", {"password": PASSWORD}, w.user(person("r" + tag))
            ),
            "AuthEmailVerifyFunction": _api(
                "POST", "/v1/auth/email/verify", {"token": verify_token(b)}, w.public()
            ),
            "AuthEmailCancelFunction": _api(
                "POST", "/v1/auth/email/cancel", {"token": notice_link(w, "cancel")}, w.public()
            ),
            "AuthEmailRestoreFunction": _api(
                "POST", "/v1/auth/email/restore", {"token": notice_link(w, "restore")}, w.public()
            ),
            "UsersSessionRevokeFunction": revoke(person("i" + tag)),
            "UsersSessionsRevokeFunction": revoke_all(person("j" + tag)),
            "AuthSessionRevokeFunction": revoke_own(person("k" + tag)),
            "UsersDeleteFunction": _api(
                "DELETE", f"/v1/users/{w.people[person('l' + tag)].uid}", None, w.admin()
            ),
            "UsersRestoreFunction": _api(
                "POST", f"/v1/users/{deleted(person('m' + tag))}/restore", None, w.admin()
            ),
            "AuthMeDeleteFunction": _api("DELETE", "/v1/auth/me", None, w.user(person("n" + tag))),
            "WebhooksCreateFunction": _api("POST", "/v1/webhooks", {"url": HOOK_URL}, w.admin()),
            "WebhooksUpdateFunction": _api("PATCH", hook, {"description": f"bench {tag}"}, w.admin()),
            "WebhooksDeleteFunction": _api("DELETE", f"/v1/webhooks/{endpoint()}", None, w.admin()),
        }
        for function, event in one.items():
            pairs[function] = (pairs[function][0], event) if function in pairs else (event, event)
    return pairs


def _one(function: Any, events: list[dict[str, Any]], variant: str, env: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = cold.marked_run(
        [CODE, variant], events, function.code_dir, env, MARK, f"first request of {function.logical_id}"
    )
    answers = [(k, data[k][2], data[k][3]) for k in ("first", "warm")]
    if any(status >= 300 for _, status, _ in answers):
        raise RuntimeError(f"{function.logical_id}: {answers}")
    return data


def _record(r: First, variant: str, data: dict[str, Any]) -> None:
    first, warm = data["first"], data["warm"]
    r.calls = first[1]
    r.same_calls = r.same_calls and first[1] == warm[1]
    r.lazy = sorted(set(r.lazy) | set(data["lazy"]))
    if variant == "count":
        r.made = (first[4], warm[4])
    else:
        r.first.append(first[0])
        r.warm.append(warm[0])


def run(rounds: int = 2, only: set[str] | None = None, deps: Path | None = None) -> dict[str, First]:
    """Every API function's (or `only` these functions') first and warm requests: one counting
    process and `rounds` timing ones, on the layer and `deps` (by default its requirements
    installed alone, as bench.cold). An API function is one with routes (the workers have none)."""
    functions = [f for f in template.functions() if f.routes and (only is None or f.logical_id in only)]
    found = {f.logical_id: First(f.logical_id) for f in functions}
    layer = cold.shipped_layer()
    with cold.moto_stack("bench-first") as stack:
        for n, variant in enumerate(["count"] + ["time"] * rounds):
            pairs = _pairs(stack.world, n)
            for function in functions:
                env = stack.env(function, layer, deps)
                data = _one(function, list(pairs[function.logical_id]), variant, env)
                _record(found[function.logical_id], variant, data)
    return found
