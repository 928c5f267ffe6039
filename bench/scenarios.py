"""The measured requests, each with its floor: the same DynamoDB calls made by the store alone.

A floor does what the endpoint cannot avoid doing: the same DynamoDB operations on the same items
with the same expressions, built and sent by the store's own functions (hellojohn.store: its
request builders, so a floor follows any change of the store), with the same Argon2id work where
the endpoint hashes or verifies a password. Everything else the handler does (routing, validation,
authentication, the caches, the rules, the response) is overhead. `bench.warm` checks that each
floor makes exactly its handler's calls, in the same shape.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench import lambdas

PASSWORD = "Correct-Horse-42"
Request = tuple[str, str, Any, dict[str, str]]


@dataclass
class Person:
    uid: str
    email: str
    password: str = PASSWORD
    access: str = ""
    refresh: str = ""
    sid: str = ""


@dataclass
class World:
    """A tenant with its keys and a few users, made through the API; a bare client beside it."""

    tid: str
    secret_key: str
    publishable_key: str
    table: str
    people: dict[str, Person]
    ddb: Any
    state: dict[str, Any] = field(default_factory=dict)

    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret_key}", "X-Tenant-ID": self.tid}

    def public(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.publishable_key}", "X-Tenant-ID": self.tid}

    def user(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.people[name].access}"}

    # keys, spelled as the store spells them (hellojohn.store.keys)
    def user_key(self, name: str) -> dict[str, Any]:
        from hellojohn.store import keys

        return keys.user(self.tid, self.people[name].uid)


def sign_in(w: World, name: str) -> None:
    p = w.people[name]
    reply = lambdas.call("POST", "/v1/auth/sign-in", {"email": p.email, "password": p.password}, w.public())
    if reply.status != 200:
        raise RuntimeError(f"sign-in for {name}: {reply.status} {reply.body}")
    s = reply.body["session"]
    p.access, p.refresh, p.sid = s["access_token"], s["refresh_token"], s["id"]


def build_world(names: tuple[str, ...] = ("alice", "bob", "carol", "pat", "pam")) -> World:
    """Inside `lambdas.moto_env()`."""
    import boto3
    from hellojohn.config import settings
    from hellojohn.rules import provisioning

    t = provisioning.create_tenant(
        "Bench", live=False, email_from="no-reply@bench.test", verify_url_base="https://bench.test/verify"
    )
    w = World(
        tid=t.tenant.id,
        secret_key=t.secret_key,
        publishable_key=t.publishable_key,
        table=settings().table_name,
        people={},
        ddb=boto3.client("dynamodb"),
    )
    for name in names:
        email = f"{name}@example.com"
        reply = lambdas.call(
            "POST", "/v1/users", {"email": email, "password": PASSWORD, "name": name.title()}, w.admin()
        )
        if reply.status != 201:
            raise RuntimeError(f"creating {name}: {reply.status} {reply.body}")
        w.people[name] = Person(reply.body["id"], email)
    for name in ("alice", "pat", "pam"):
        if name in w.people:
            sign_in(w, name)
    return w


# -- the floors: the store's own functions, as the rules call them -------------------------------


def _now() -> int:
    import time

    return int(time.time())


def _as(w: World, user: str | None = None) -> Any:
    """The actor a floor's writes are stamped with (as the handler's: the key, or the user)."""
    from hellojohn import actors

    if user is None:
        return actors.acting(actors.Actor("secret_key", "key_" + "0" * 26, "floor"))
    return actors.acting(actors.Actor("user", w.people[user].uid, "floor"))


def _update(
    w: World,
    name: str,
    values: dict[str, Any],
    guards: tuple[Any, ...] = (),
    by: str | None = None,
    extra: tuple[Any, ...] = (),
) -> None:
    """One UpdateItem; with `extra` transaction items (a session item's), one transaction."""
    from hellojohn.store import users

    uid = w.people[name].uid
    with _as(w, by):
        update = users.changes_to_update(values, list(guards))
        if extra:
            users.transact(w.tid, uid, update, users.ClaimMove(w.tid, uid), _now(), extra=list(extra))
        else:
            users.update(w.tid, uid, update, _now())


def _new_password(
    w: World,
    name: str,
    password: str,
    guards: tuple[Any, ...],
    by: str | None = None,
    extra: tuple[Any, ...] = (),
) -> None:
    """A password write as the rules make it: the hash, the guesses and any temporary state cleared."""
    from hellojohn import throttle
    from hellojohn.rules import passwords

    values: dict[str, Any] = {"password_hash": passwords.hash_password(password)}
    values.update(
        dict.fromkeys((*throttle.STATE, "password_change_required", "temporary_password_expires_at"))
    )
    _update(w, name, values, guards, by, extra)


def _set_password_floor(w: World, i: int) -> None:
    """As `rules.users.set_password`: the user read, the new password verified against its hash (it
    must differ: it does, as the handler finds), the write conditioned on that hash and on the
    password not being the email address."""
    from hellojohn.fields import email_key
    from hellojohn.rules import passwords
    from hellojohn.store import users

    new = f"Floor-New-Pass-{i}"  # not the handler's: each sets a password the other did not
    user = users.get(w.tid, w.people["bob"].uid)
    if user is None or user.password_hash is None:
        raise LookupError("bob is gone")
    passwords.verify(user.password_hash, new)
    guards = (users.password_hash_is(user.password_hash), users.email_key_is_not(email_key(new)))
    _new_password(w, "bob", new, guards)


def _patch_email_floor(w: World, i: int) -> None:
    """As `rules.users.update` starts an email change: the values from the rules' own builder
    (`changes.email_values`), the hour's first verification email counted for the user and the
    address."""
    from hellojohn.fields import email_key
    from hellojohn.rules import changes
    from hellojohn.rules.users import MAILS_PER_HOUR
    from hellojohn.store import users

    now, new = _now(), f"carol+f{i}@example.com"
    user = users.get(w.tid, w.people["carol"].uid)
    if user is None:
        raise LookupError("carol is gone")
    values = {**changes.email_values(user, changes.Plan(email_pending=new), now)[0], "mail_hour": now // 3600}
    change = users.changes_to_update({**values, "mail_count": 1}, [users.version_is(user.version)])
    claims = users.ClaimMove(w.tid, user.id, check_key=email_key(new))
    mails = users.count_mail_to(w.tid, email_key(new), now // 3600, MAILS_PER_HOUR)
    with _as(w):
        users.transact(w.tid, user.id, change, claims, now, extra=[mails])


def _stored(w: World, name: str) -> dict[str, Any]:
    """A user's item in moto's backend, not through a client: for untimed changes a counting
    block must not see (the handler's and the floor's calls are counted with their hooks)."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType

    from local_runner.invoke import REGION

    key = w.user_key(name)
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table(w.table)
    item = table.get_item(DynamoType(key["PK"]), DynamoType(key["SK"]))
    if item is None:
        raise LookupError(f"{name}'s item is gone")
    attrs: dict[str, Any] = item.attrs
    return attrs


def _patch_email_after(w: World, i: int, reply: lambdas.Reply) -> None:
    """Untimed: carol's verification emails this hour back to none (users.MAILS_PER_HOUR), or the
    sixth request is 429."""
    attrs = _stored(w, "carol")
    for attr in ("mail_hour", "mail_count"):
        attrs.pop(attr, None)


def _put_disabled(w: World, name: str, disabled: bool) -> None:
    """Untimed: the user enabled or disabled again, as a disable or an enable finds it (the store
    refuses a write that changes nothing: a second disable would measure the refusal)."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    attrs = _stored(w, name)
    attrs["disabled"] = DynamoType({"BOOL": disabled})
    if disabled:
        attrs["disabled_at"] = DynamoType({"N": str(_now())})
    else:
        attrs.pop("disabled_at", None)


TWIN = "bob's twin"
"""The user the disable and enable floors write: bob is the handlers'. Each request is undone
before the next (`_put_disabled`), and a floor may run right before a handler with no hook
between them, so the two cannot share one user."""


def prepare_twin(w: World, disabled: bool) -> None:
    """Bob's twin (made once, as bob was), enabled or disabled, before the floor's clock starts."""
    if TWIN not in w.people:
        email = "bob.twin@example.com"
        body = {"email": email, "password": PASSWORD, "name": "Bob"}
        reply = lambdas.call("POST", "/v1/users", body, w.admin())
        if reply.status != 201:
            raise RuntimeError(f"creating bob's twin: {reply.status} {reply.body}")
        w.people[TWIN] = Person(reply.body["id"], email)
    _put_disabled(w, TWIN, disabled)


def _disable_floor(w: World, i: int) -> None:
    from hellojohn.store import users

    _update(w, TWIN, {"disabled": True, "disabled_at": users.IfAbsent(_now())})


def _enable_floor(w: World, i: int) -> None:
    _update(w, TWIN, {"disabled": False, "disabled_at": None})


def _passwords(i: int) -> tuple[str, str]:
    return (PASSWORD, "Brand-New-Pass-1") if i % 2 == 0 else ("Brand-New-Pass-1", PASSWORD)


def _password_change_request(w: World, i: int) -> Request:
    current, new = _passwords(i)
    body = {"current_password": current, "new_password": new}
    return ("POST", "/v1/auth/password/change", body, w.user("pat"))


def _password_change_floor(w: World, i: int) -> None:
    from hellojohn.rules import passwords
    from hellojohn.store import guesses, sessions, users

    current, new = _passwords(i)
    sid = w.people["pam"].sid
    item = guesses.reserve(w.user_key("pam"), _now(), True, (users.session_active(sid),)).item
    passwords.verify(item["password_hash"], current)
    guards = (users.password_hash_is(item["password_hash"]), users.session_active(sid))
    proved = sessions.reverified(w.tid, w.people["pam"].uid, sid, _now())  # the session's auth_time
    _new_password(w, "pam", new, guards, by="pam", extra=(proved,))


def _sign_in_floor(w: World, i: int) -> None:
    """The handler's three calls: the claim, the guess reserved, the session's transaction (its
    update from the rules' own builder, conditioned on what the reservation read)."""
    from hellojohn import ids
    from hellojohn.config import settings
    from hellojohn.fields import email_key
    from hellojohn.records import Device, User
    from hellojohn.rules import account, passwords
    from hellojohn.store import guesses, keys, sessions, users

    now, sid = _now(), ids.new_id("ses")
    uid = users.id_for_email(w.tid, email_key("alice@example.com"))
    if uid is None:
        raise LookupError("alice is gone")
    item = guesses.reserve(keys.user(w.tid, uid), now, True).item
    user = User.from_item(item)
    passwords.verify(user.password_hash, PASSWORD)
    expires = now + settings().refresh_token_ttl_seconds
    change = account.session_update(user, item, user.password_hash, sid, expires, None, now)
    put = sessions.put_session(w.tid, uid, sid, "h" * 43, now, expires, Device("127.0.0.1", None))
    with _as(w, "alice"):
        users.transact(w.tid, uid, change, users.ClaimMove(w.tid, uid), now, extra=[put])


def prepare_create_floor(w: World, i: int) -> None:
    """The user a create writes, made before the floor's clock starts."""
    from hellojohn import ids
    from hellojohn.records import User

    now = _now()
    w.state["create"] = User(
        ids.new_id("usr"), w.tid, f"floor{i}@example.com", name="New", created_at=now, updated_at=now
    )


def _create_floor(w: World, i: int) -> None:
    from hellojohn.store import users

    with _as(w):
        users.create(w.state.pop("create"))


def _list_floor(w: World, i: int) -> None:
    from hellojohn.store import users

    uids, _ = users.list_ids(w.tid, 20, None)
    users.get_many(w.tid, uids)


def _refresh_after(w: World, i: int, reply: lambdas.Reply) -> None:
    w.people["alice"].refresh = reply.body["session"]["refresh_token"]


def prepare_refresh_floor(w: World, i: int) -> None:
    """A second session of alice's for the floor to rotate (the handler rotates her first one)."""
    if "floor_refresh" not in w.state:
        body = {"email": "alice@example.com", "password": PASSWORD}
        session = lambdas.call("POST", "/v1/auth/sign-in", body, w.public()).body["session"]
        w.state["floor_refresh"] = session["refresh_token"]


def _refresh_floor(w: World, i: int) -> None:
    """The handler's two calls: both items read, the successor derived, the rotation's transaction."""
    from hellojohn.rules import opaque, tokens
    from hellojohn.store import sessions

    uid, sid, secret = w.state["floor_refresh"].split(".")
    _, session = sessions.get_user_and_session(w.tid, uid, sid)
    if session is None:
        raise LookupError("alice's floor session is gone")
    token, new = opaque.successor_refresh_token(uid, sid, secret, tokens.refresh_key())
    sessions.rotate(w.tid, uid, sid, opaque.digest(secret), new, session.expires_at, _now())
    w.state["floor_refresh"] = token


# -- the scenarios ---------------------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    function: str  # logical id in template.yaml
    request: Callable[[World, int], Request]
    floor: Callable[[World, int], object]
    iterations: int = 200
    after: Callable[[World, int, lambdas.Reply], None] | None = None  # untimed, after the handler
    prepare: Callable[[World, int], None] | None = None  # untimed, before the floor
    status: int = 200
    argon2: str = ""  # the Argon2id work inside the floor
    target: float = 1.2  # the p50 ratio's target (docs/DECISIONS.md)


def scenarios(hash_iterations: int = 30, iterations: int = 200) -> list[Scenario]:
    from hellojohn.store import users

    fast, slow = iterations, hash_iterations

    def bob(w: World, tail: str = "") -> str:
        return f"/v1/users/{w.people['bob'].uid}{tail}"

    def get(name: str) -> Callable[[World, int], object]:
        return lambda w, i: users.get(w.tid, w.people[name].uid)

    def alice_name(w: World, i: int) -> None:  # not the handler's name: each request is a change
        _update(w, "alice", {"name": f"Alice {i}f"}, (users.session_active(w.people["alice"].sid),), "alice")

    sign_in = {"email": "alice@example.com", "password": PASSWORD}
    found = [
        Scenario(
            "GET /v1/users/{id}",
            "UsersGetFunction",
            lambda w, i: ("GET", bob(w), None, w.admin()),
            get("bob"),
            fast,
        ),
        Scenario(
            "PATCH /v1/users/{id} (name)",
            "UsersUpdateFunction",
            lambda w, i: ("PATCH", bob(w), {"name": f"Bob {i}"}, w.admin()),
            lambda w, i: _update(w, "bob", {"name": f"Bob {i}f"}),
            fast,
        ),
        Scenario(
            "PATCH /v1/users/{id} (email)",
            "UsersUpdateFunction",
            lambda w, i: (
                "PATCH",
                f"/v1/users/{w.people['carol'].uid}",
                {"email": f"carol+{i}@example.com"},
                w.admin(),
            ),
            _patch_email_floor,
            fast,
            after=_patch_email_after,
        ),
    ]
    for verb, floor, disabled in (("disable", _disable_floor, False), ("enable", _enable_floor, True)):
        found.append(
            Scenario(
                f"POST /v1/users/{{id}}/{verb}",
                f"Users{verb.title()}Function",
                lambda w, i, verb=verb: ("POST", bob(w, "/" + verb), None, w.admin()),  # type: ignore[misc]
                floor,
                fast,
                after=lambda w, i, reply, disabled=disabled: _put_disabled(w, "bob", disabled),  # type: ignore[misc]
                prepare=lambda w, i, disabled=disabled: prepare_twin(w, disabled),  # type: ignore[misc]
            )
        )
    return [
        *found,
        Scenario(
            "POST /v1/users/{id}/password",
            "UsersSetPasswordFunction",
            lambda w, i: ("POST", bob(w, "/password"), {"password": f"Brand-New-Pass-{i}"}, w.admin()),
            _set_password_floor,
            slow,
            argon2="1 verify + 1 hash",
        ),
        Scenario(
            "GET /v1/auth/me",
            "AuthMeFunction",
            lambda w, i: ("GET", "/v1/auth/me", None, w.user("alice")),
            get("alice"),
            fast,
        ),
        Scenario(
            "PATCH /v1/auth/me (name)",
            "AuthMeUpdateFunction",
            lambda w, i: ("PATCH", "/v1/auth/me", {"name": f"Alice {i}"}, w.user("alice")),
            alice_name,
            fast,
        ),
        Scenario(
            "POST /v1/auth/password/change",
            "AuthPasswordChangeFunction",
            _password_change_request,
            _password_change_floor,
            slow,
            argon2="1 verify + 1 hash",
        ),
        Scenario(
            "POST /v1/auth/sign-in",
            "AuthSignInFunction",
            lambda w, i: ("POST", "/v1/auth/sign-in", sign_in, w.public()),
            _sign_in_floor,
            slow,
            argon2="1 verify",
        ),
        Scenario(
            "POST /v1/auth/refresh",
            "AuthRefreshFunction",
            lambda w, i: (
                "POST",
                "/v1/auth/refresh",
                {"refresh_token": w.people["alice"].refresh},
                w.public(),
            ),
            _refresh_floor,
            fast,
            after=_refresh_after,
            prepare=prepare_refresh_floor,
        ),
        Scenario(
            "POST /v1/users",
            "UsersCreateFunction",
            lambda w, i: ("POST", "/v1/users", {"email": f"new{i}@example.com", "name": "New"}, w.admin()),
            _create_floor,
            fast,
            status=201,
            prepare=prepare_create_floor,
            target=1.4,
        ),
        Scenario(
            "GET /v1/users",
            "UsersListFunction",
            lambda w, i: ("GET", "/v1/users?limit=20", None, w.admin()),
            _list_floor,
            max(20, fast // 4),
        ),
    ]
