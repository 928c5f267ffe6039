"""The measured requests, each with its floor: the same boto3 calls made bare against the same moto.

A floor does what the endpoint cannot avoid doing: the same DynamoDB operations on the same items
with the same expressions (and, where the endpoint hashes or verifies a password, the same Argon2id
work at the same parameters, or the ratio would measure Argon2id, not the handler). Everything else
the handler does (routing, validation, auth, the caches, building items, the response) is overhead.
`bench.warm` checks that each floor makes exactly the calls its handler makes.
"""

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from argon2 import PasswordHasher

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
    hasher: PasswordHasher
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

    def claim_key(self, email: str) -> dict[str, Any]:
        from hellojohn.store import keys

        return keys.email_claim(self.tid, email.lower())


def sign_in(w: World, name: str) -> None:
    p = w.people[name]
    reply = lambdas.call("POST", "/v1/auth/sign-in", {"email": p.email, "password": p.password}, w.public())
    if reply.status != 200:
        raise RuntimeError(f"sign-in for {name}: {reply.status} {reply.body}")
    s = reply.body["session"]
    p.access, p.refresh, p.sid = s["access_token"], s["refresh_token"], s["id"]


def notice_link(w: World, kind: str) -> str:
    """A live link token of a security notice (docs/NOTICES.md) for a user of its own, as the email
    worker stores it: `cancel` (a pending email change is made first) or `restore` (an admin's
    verified email change is made first; the link puts the first address back). Single use: each
    request that spends one needs its own."""
    from hellojohn import ids
    from hellojohn.rules import notices, opaque
    from hellojohn.store import keys
    from hellojohn.store import notices as links
    from hellojohn.timeutil import now

    tag = ids.new_id("usr").lower()
    created = lambdas.call("POST", "/v1/users", {"email": f"{tag}@example.com"}, w.admin())
    if created.status != 201:
        raise RuntimeError(f"notice link setup: {created.status} {created.body}")
    p = Person(created.body["id"], created.body["email"])
    new = f"{kind}.{tag}@example.com"
    body: dict[str, Any] = {"email": new, "email_verified": kind == notices.RESTORE}
    reply = lambdas.call("PATCH", f"/v1/users/{p.uid}", body, w.admin())
    if reply.status != 200:
        raise RuntimeError(f"notice link setup: {reply.status} {reply.body}")
    token = opaque.new_verification_token()[0]
    expires = now() + notices.RESTORE_TTL_SECONDS
    if kind == notices.CANCEL:
        item = w.ddb.get_item(TableName=w.table, Key=keys.user(w.tid, p.uid), ConsistentRead=True)["Item"]
        change = item["pending_change_id"]["S"]
        links.put_link(opaque.digest(token), links.Link(w.tid, p.uid, kind, change, p.email, new, expires))
    else:
        link = links.Link(w.tid, p.uid, kind, ids.new_id("chg"), p.email, new, expires)
        links.add_restore_link(opaque.digest(token), link, links.get_restore_links(w.tid, p.uid), now())
    return token


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
        hasher=PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1),
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


# -- bare building blocks -------------------------------------------------------------------------


def _now() -> int:
    import time

    return int(time.time())


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def bare_get(w: World, key: dict[str, Any]) -> dict[str, Any]:
    return dict(w.ddb.get_item(TableName=w.table, Key=key, ConsistentRead=True).get("Item") or {})


def stamp(w: World, user: str | None = None, *, with_id: bool = True) -> dict[str, Any]:
    """The `change` map every write of a user's item carries (hellojohn.actors.stamp): by the secret
    key, or by the user `user` (`with_id=False`: a sign-in's, which names no actor id)."""
    import uuid

    from hellojohn import ids

    actor = (
        {"actor": {"S": "user"}, "actor_id": {"S": w.people[user].uid}}
        if user
        else {
            "actor": {"S": "secret_key"},
            "actor_id": {"S": "key_" + "0" * 26},
        }
    )
    if not with_id:
        del actor["actor_id"]
    return {"M": {"id": {"S": ids.new_id("chg")}, **actor, "request_id": {"S": str(uuid.uuid4())}}}


def bare_update(
    w: World,
    key: dict[str, Any],
    sets: dict[str, dict[str, Any]],
    removes: tuple[str, ...] = (),
    conditions: tuple[str, ...] = (),
    names: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    touch: bool = True,
    by: str | None = None,
) -> dict[str, Any]:
    """One UpdateItem in the shape the store writes (the change stamp, version bump, conditions,
    ALL_NEW); `by` names the user making it (else the secret key)."""
    all_names = {"#pk": "PK", **(names or {})}
    all_values = dict(values or {})
    parts = []
    if touch:
        all_names.update({"#change": "change", "#version": "version", "#updated_at": "updated_at"})
        all_values.update({":change": stamp(w, by), ":one": _n(1), ":now": _n(_now())})
        parts += ["#change = :change", "#version = #version + :one", "#updated_at = :now"]
    for i, (attr, value) in enumerate(sets.items()):
        all_names[f"#p{i}"] = attr
        all_values[f":v{i}"] = value
        parts.append(f"#p{i} = :v{i}")
    expr = "SET " + ", ".join(parts)
    if removes:
        expr += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(removes)))
        all_names.update({f"#r{i}": attr for i, attr in enumerate(removes)})
    out = w.ddb.update_item(
        TableName=w.table,
        Key=key,
        UpdateExpression=expr,
        ConditionExpression=" AND ".join(["attribute_exists(#pk)", *conditions]),
        ExpressionAttributeNames=all_names,
        ExpressionAttributeValues=all_values,
        ReturnValues="ALL_NEW",
        ReturnValuesOnConditionCheckFailure="ALL_OLD",
    )
    return dict(out["Attributes"])


# -- the scenarios ---------------------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    function: str  # logical id in template.yaml
    budget: int | None  # the round-trip budget (None: none set)
    request: Callable[[World, int], Request]
    floor: Callable[[World, int], None]
    iterations: int = 200
    after: Callable[[World, int, lambdas.Reply], None] | None = None  # untimed, after the handler
    prepare: Callable[[World, int], None] | None = None  # untimed, before the floor
    status: int = 200
    argon2: str = ""  # the Argon2id work inside the floor


def _patch_email_floor(w: World, i: int) -> None:
    from hellojohn.store import keys

    item = bare_get(w, w.user_key("carol"))
    new = f"carol+f{i}@example.com"
    hour = _now() // 3600
    names = {"#pk": "PK", "#change": "change", "#version": "version", "#updated_at": "updated_at"}
    pending = ("pending_email", "pending_change_id", "pending_requested_at", "mail_hour", "mail_count")
    names.update({f"#p{k}": a for k, a in enumerate(pending)})
    names.update({"#r0": "pending_token_hash", "#r1": "pending_expires_at", "#r2": "pending_sent_at"})
    w.ddb.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": w.table,
                    "Key": w.user_key("carol"),
                    "UpdateExpression": "SET #change = :change, #version = #version + :one, "
                    "#updated_at = :now, #p0 = :v0, #p1 = :v1, #p2 = :v2, #p3 = :v3, #p4 = :v4 "
                    "REMOVE #r0, #r1, #r2",
                    "ConditionExpression": "attribute_exists(#pk) AND (#version = :expected_version)",
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": {
                        ":change": stamp(w),
                        ":one": _n(1),
                        ":now": _n(_now()),
                        ":v0": {"S": new},
                        ":v1": {"S": f"chg_{i:026d}"},
                        ":v2": _n(_now()),
                        ":v3": _n(hour),
                        ":v4": _n(1),
                        ":expected_version": item["version"],
                    },
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
            {
                "ConditionCheck": {
                    "TableName": w.table,
                    "Key": w.claim_key(new),
                    "ConditionExpression": "attribute_not_exists(PK) OR user_id = :uid",
                    "ExpressionAttributeValues": {":uid": {"S": w.people["carol"].uid}},
                }
            },
            {  # the verification emails to the new address this hour (users.MAILS_PER_HOUR)
                "Update": {
                    "TableName": w.table,
                    "Key": keys.mail_to(w.tid, new, hour),
                    "UpdateExpression": "SET #n = if_not_exists(#n, :zero) + :one, #ttl = :ttl",
                    "ConditionExpression": "attribute_not_exists(#n) OR #n < :limit",
                    "ExpressionAttributeNames": {"#n": "n", "#ttl": "ttl"},
                    "ExpressionAttributeValues": {
                        ":zero": _n(0),
                        ":one": _n(1),
                        ":limit": _n(5),
                        ":ttl": _n((hour + 2) * 3600),
                    },
                }
            },
        ]
    )


def _patch_email_after(w: World, i: int, reply: lambdas.Reply) -> None:
    """Untimed: carol's verification emails this hour back to none (users.MAILS_PER_HOUR), or the
    sixth request is 429. In moto's backend, not through a client: the block counting the
    handler's calls is still open."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType

    from local_runner.invoke import REGION

    key = w.user_key("carol")
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table(w.table)
    item = table.get_item(DynamoType(key["PK"]), DynamoType(key["SK"]))
    if item is None:
        raise LookupError("carol's item is gone")
    for attr in ("mail_hour", "mail_count"):
        item.attrs.pop(attr, None)


def _password_change_request(w: World, i: int) -> Request:
    current, new = (PASSWORD, "Brand-New-Pass-1") if i % 2 == 0 else ("Brand-New-Pass-1", PASSWORD)
    return (
        "POST",
        "/v1/auth/password/change",
        {"current_password": current, "new_password": new},
        w.user("pat"),
    )


def _reserve_guess(
    w: World, key: dict[str, Any], conditions: tuple[str, ...] = (), names: dict[str, str] | None = None
) -> dict[str, Any]:
    """The UpdateItem counting a password guess before it is checked (hellojohn.store.guesses),
    which returns the user's item."""
    now = _now()
    young = "attribute_not_exists(#ffa) OR (#ffa >= :window_start AND #fa < :last_free AND #ffa > :zero)"
    out = w.ddb.update_item(
        TableName=w.table,
        Key=key,
        UpdateExpression="SET #fa = if_not_exists(#fa, :zero) + :one, #ffa = if_not_exists(#ffa, :now), "
        "#lu = :zero",
        ConditionExpression=" AND ".join(["attribute_exists(PK)", *conditions, f"({young})"]),
        ExpressionAttributeNames={
            "#fa": "failed_attempts",
            "#ffa": "first_failed_at",
            "#lu": "locked_until",
            **(names or {}),
        },
        ExpressionAttributeValues={
            ":zero": _n(0),
            ":one": _n(1),
            ":now": _n(now),
            ":window_start": _n(now - 15 * 60),
            ":last_free": _n(4),
        },
        ReturnValues="ALL_NEW",
        ReturnValuesOnConditionCheckFailure="ALL_OLD",
    )
    return dict(out["Attributes"])


_GUESS_STATE = ("failed_attempts", "first_failed_at", "locked_until")
# what a new password clears (hellojohn.records.password_changed): the guesses and any temporary state
_NEW_PASSWORD_CLEARS = (*_GUESS_STATE, "password_change_required", "temporary_password_expires_at")


def _set_password_floor(w: World, i: int) -> None:
    """The user read, the new password verified against its hash (it must differ), the write
    conditioned on that hash and on the password not being the email."""
    from argon2.exceptions import VerifyMismatchError

    new = f"Floor-New-Pass-{i}"  # not the handler's: each sets a password the other did not
    item = bare_get(w, w.user_key("bob"))
    with contextlib.suppress(VerifyMismatchError):  # it differs, as the handler finds
        w.hasher.verify(item["password_hash"]["S"], new)
    bare_update(
        w,
        w.user_key("bob"),
        {"password_hash": {"S": w.hasher.hash(new)}},
        removes=_NEW_PASSWORD_CLEARS,
        conditions=("(#pwh = :pwh)", "(#email_key <> :not_email)"),
        names={"#pwh": "password_hash", "#email_key": "email_key"},
        values={":pwh": item["password_hash"], ":not_email": {"S": new.lower()}},
    )


def _password_change_floor(w: World, i: int) -> None:
    current, new = (PASSWORD, "Brand-New-Pass-1") if i % 2 == 0 else ("Brand-New-Pass-1", PASSWORD)
    session = {"#sessions": "sessions", "#cur_sid": w.people["pam"].sid}
    item = _reserve_guess(w, w.user_key("pam"), ("(attribute_exists(#sessions.#cur_sid))",), session)
    w.hasher.verify(item["password_hash"]["S"], current)
    bare_update(
        w,
        w.user_key("pam"),
        {"password_hash": {"S": w.hasher.hash(new)}},
        removes=_NEW_PASSWORD_CLEARS,
        conditions=("(#pwh = :pwh)", "(attribute_exists(#sessions.#cur_sid))"),
        names={"#pwh": "password_hash", **session},
        values={":pwh": item["password_hash"]},
        by="pam",
    )


def _sign_in_floor(w: World, i: int) -> None:
    from hellojohn import ids
    from hellojohn.store import keys

    claim = bare_get(w, w.claim_key("alice@example.com"))
    item = _reserve_guess(w, keys.user(w.tid, claim["user_id"]["S"]))
    w.hasher.verify(item["password_hash"]["S"], PASSWORD)
    sid = ids.new_id("ses")
    now = _now()
    w.ddb.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": w.table,
                    "Key": w.user_key("alice"),
                    "UpdateExpression": "SET #change = :change, #version = #version + :one, "
                    "#updated_at = :now, #p0 = :v0, #p1.#k1 = :v1 REMOVE #p2, #p3, #p4",
                    "ConditionExpression": "attribute_exists(#pk) AND (#version = :expected_version) "
                    "AND (#disabled = :false)",
                    "ExpressionAttributeNames": {
                        "#pk": "PK",
                        "#change": "change",
                        "#version": "version",
                        "#updated_at": "updated_at",
                        "#p0": "last_sign_in_at",
                        "#p1": "sessions",
                        "#k1": sid,
                        **{f"#p{k}": a for k, a in enumerate(_GUESS_STATE, start=2)},
                        "#disabled": "disabled",
                    },
                    "ExpressionAttributeValues": {
                        ":change": stamp(w, "alice", with_id=False),
                        ":one": _n(1),
                        ":now": _n(now),
                        ":v0": _n(now),
                        ":v1": _n(now + 30 * 86400),
                        ":expected_version": item["version"],
                        ":false": {"BOOL": False},
                    },
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
            {
                "Put": {
                    "TableName": w.table,
                    "Item": {
                        "PK": w.user_key("alice")["PK"],
                        "SK": {"S": f"SES#{sid}"},
                        "session_id": {"S": sid},
                        "user_id": {"S": w.people["alice"].uid},
                        "tenant_id": {"S": w.tid},
                        "refresh_hash": {"S": "h" * 43},
                        "created_at": _n(now),
                        "expires_at": _n(now + 30 * 86400),
                        "ttl": _n(now + 30 * 86400),
                        "ip": {"S": "127.0.0.1"},
                    },
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
        ]
    )


def _create_floor(w: World, i: int) -> None:
    items = w.state.pop("create_items")
    w.ddb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": w.table, "Item": item, "ConditionExpression": "attribute_not_exists(PK)"}}
            for item in items
        ]
    )


def prepare_create_floor(w: World, i: int) -> None:
    """The two items a create writes, built before the floor's clock starts."""
    from hellojohn import ids
    from hellojohn.records import User
    from hellojohn.store.users import user_item

    now = _now()
    user = User(
        id=ids.new_id("usr"),
        tenant_id=w.tid,
        email=f"floor{i}@example.com",
        name="New",
        created_at=now,
        updated_at=now,
    )
    claim = {**w.claim_key(user.email), "user_id": {"S": user.id}}
    w.state["create_items"] = [user_item(user), claim]


def _list_floor(w: World, i: int) -> None:
    from hellojohn.store import keys

    out = w.ddb.query(
        TableName=w.table,
        IndexName="GSI1",
        KeyConditionExpression="GSI1PK = :pk",
        ExpressionAttributeValues={":pk": {"S": keys.users_index_pk(w.tid)}},
        Limit=21,
    )
    uids = [item["GSI1SK"]["S"] for item in out["Items"]][:20]
    w.ddb.batch_get_item(
        RequestItems={w.table: {"Keys": [keys.user(w.tid, u) for u in uids], "ConsistentRead": True}}
    )


def _refresh_after(w: World, i: int, reply: lambdas.Reply) -> None:
    w.people["alice"].refresh = reply.body["session"]["refresh_token"]


def prepare_refresh_floor(w: World, i: int) -> None:
    """A second session of alice's for the floor to rotate (the handler rotates her first one)."""
    from hellojohn.rules import opaque

    if "floor_sid" not in w.state:
        reply = lambdas.call(
            "POST", "/v1/auth/sign-in", {"email": "alice@example.com", "password": PASSWORD}, w.public()
        )
        session = reply.body["session"]
        w.state["floor_sid"] = session["id"]
        w.state["floor_refresh_hash"] = opaque.digest(session["refresh_token"].split(".")[2])


def _refresh_floor(w: World, i: int) -> None:
    from hellojohn.rules import opaque
    from hellojohn.store import keys

    sid = w.state["floor_sid"]
    old = w.state["floor_refresh_hash"]
    new = opaque.digest(f"floor-secret-{i}")
    session_key = keys.session(w.tid, w.people["alice"].uid, sid)
    w.ddb.batch_get_item(
        RequestItems={w.table: {"Keys": [w.user_key("alice"), session_key], "ConsistentRead": True}}
    )
    w.ddb.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": w.table,
                    "Key": session_key,
                    "UpdateExpression": "SET refresh_hash = :new, previous_refresh_hash = :old, "
                    "expires_at = :exp, #ttl = :exp, #refreshed = :now",
                    "ConditionExpression": "refresh_hash = :old",
                    "ExpressionAttributeNames": {"#ttl": "ttl", "#refreshed": "last_refreshed_at"},
                    "ExpressionAttributeValues": {
                        ":new": {"S": new},
                        ":old": {"S": old},
                        ":exp": _n(2**31),
                        ":now": _n(_now()),
                    },
                }
            },
            {
                "ConditionCheck": {
                    "TableName": w.table,
                    "Key": w.user_key("alice"),
                    "ConditionExpression": "attribute_exists(#s.#sid) AND #d = :false",
                    "ExpressionAttributeNames": {"#s": "sessions", "#sid": sid, "#d": "disabled"},
                    "ExpressionAttributeValues": {":false": {"BOOL": False}},
                }
            },
        ]
    )
    w.state["floor_refresh_hash"] = new


def scenarios(hash_iterations: int = 30, iterations: int = 200) -> list[Scenario]:
    def uid(w: World, name: str) -> str:
        return w.people[name].uid

    fast = iterations
    slow = hash_iterations
    return [
        Scenario(
            "GET /v1/users/{id}",
            "UsersGetFunction",
            1,
            lambda w, i: ("GET", f"/v1/users/{uid(w, 'bob')}", None, w.admin()),
            lambda w, i: (bare_get(w, w.user_key("bob")), None)[1],
            fast,
        ),
        Scenario(
            "PATCH /v1/users/{id} (name)",
            "UsersUpdateFunction",
            1,
            lambda w, i: ("PATCH", f"/v1/users/{uid(w, 'bob')}", {"name": f"Bob {i}"}, w.admin()),
            lambda w, i: (bare_update(w, w.user_key("bob"), {"name": {"S": f"Bob {i}"}}), None)[1],
            fast,
        ),
        Scenario(
            "PATCH /v1/users/{id} (email)",
            "UsersUpdateFunction",
            2,
            lambda w, i: (
                "PATCH",
                f"/v1/users/{uid(w, 'carol')}",
                {"email": f"carol+{i}@example.com"},
                w.admin(),
            ),
            _patch_email_floor,
            fast,
            after=_patch_email_after,
        ),
        Scenario(
            "POST /v1/users/{id}/disable",
            "UsersDisableFunction",
            1,
            lambda w, i: ("POST", f"/v1/users/{uid(w, 'bob')}/disable", None, w.admin()),
            lambda w, i: (
                bare_update(w, w.user_key("bob"), {"disabled": {"BOOL": True}, "disabled_at": _n(_now())}),
                None,
            )[1],
            fast,
        ),
        Scenario(
            "POST /v1/users/{id}/enable",
            "UsersEnableFunction",
            1,
            lambda w, i: ("POST", f"/v1/users/{uid(w, 'bob')}/enable", None, w.admin()),
            lambda w, i: (
                bare_update(w, w.user_key("bob"), {"disabled": {"BOOL": False}}, removes=("disabled_at",)),
                None,
            )[1],
            fast,
        ),
        Scenario(
            "POST /v1/users/{id}/password",
            "UsersSetPasswordFunction",
            2,
            lambda w, i: (
                "POST",
                f"/v1/users/{uid(w, 'bob')}/password",
                {"password": f"Brand-New-Pass-{i}"},
                w.admin(),
            ),
            _set_password_floor,
            slow,
            argon2="1 verify + 1 hash",
        ),
        Scenario(
            "GET /v1/auth/me",
            "AuthMeFunction",
            1,
            lambda w, i: ("GET", "/v1/auth/me", None, w.user("alice")),
            lambda w, i: (bare_get(w, w.user_key("alice")), None)[1],
            fast,
        ),
        Scenario(
            "PATCH /v1/auth/me (name)",
            "AuthMeUpdateFunction",
            1,
            lambda w, i: ("PATCH", "/v1/auth/me", {"name": f"Alice {i}"}, w.user("alice")),
            lambda w, i: (
                bare_update(
                    w,
                    w.user_key("alice"),
                    {"name": {"S": f"Alice {i}"}},
                    conditions=("(attribute_exists(#sessions.#cur_sid))",),
                    names={"#sessions": "sessions", "#cur_sid": w.people["alice"].sid},
                    by="alice",
                ),
                None,
            )[1],
            fast,
        ),
        Scenario(
            "POST /v1/auth/password/change",
            "AuthPasswordChangeFunction",
            2,
            _password_change_request,
            _password_change_floor,
            slow,
            argon2="1 verify + 1 hash",
        ),
        Scenario(
            "POST /v1/auth/sign-in",
            "AuthSignInFunction",
            3,
            lambda w, i: (
                "POST",
                "/v1/auth/sign-in",
                {"email": "alice@example.com", "password": PASSWORD},
                w.public(),
            ),
            _sign_in_floor,
            slow,
            argon2="1 verify",
        ),
        Scenario(
            "POST /v1/auth/refresh",
            "AuthRefreshFunction",
            None,
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
            None,
            lambda w, i: ("POST", "/v1/users", {"email": f"new{i}@example.com", "name": "New"}, w.admin()),
            _create_floor,
            fast,
            status=201,
            prepare=prepare_create_floor,
        ),
        Scenario(
            "GET /v1/users",
            "UsersListFunction",
            None,
            lambda w, i: ("GET", "/v1/users?limit=20", None, w.admin()),
            _list_floor,
            max(20, fast // 4),
        ),
    ]


def repeatable_events(w: World) -> dict[str, dict[str, Any]]:
    """Events that succeed alike when sent again, by function (the cold and first-request benches
    share them): the admin requests on bob, the JWKS, a preflight."""

    def api(
        method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        return lambdas.api_event(method, path, body, headers)[1]

    bob = w.people["bob"].uid
    return {
        "UsersGetFunction": api("GET", f"/v1/users/{bob}", None, w.admin()),
        "UsersListFunction": api("GET", "/v1/users?limit=20", None, w.admin()),
        "UsersUpdateFunction": api("PATCH", f"/v1/users/{bob}", {"name": "Robert"}, w.admin()),
        "UsersSetPasswordFunction": api(
            "POST", f"/v1/users/{bob}/password", {"password": "Another-Pass-77"}, w.admin()
        ),
        "UsersDisableFunction": api("POST", f"/v1/users/{bob}/disable", None, w.admin()),
        "UsersEnableFunction": api("POST", f"/v1/users/{bob}/enable", None, w.admin()),
        "UsersUnlockFunction": api("POST", f"/v1/users/{bob}/unlock", None, w.admin()),
        "UsersMetadataMergeFunction": api(
            "PATCH", f"/v1/users/{bob}/metadata", {"public_metadata": {"plan": "pro"}}, w.admin()
        ),
        "UsersEventsFunction": api("GET", f"/v1/users/{bob}/events?limit=20", None, w.admin()),
        "UsersSessionsFunction": api("GET", f"/v1/users/{bob}/sessions", None, w.admin()),
        "JwksFunction": api("GET", "/v1/.well-known/jwks.json"),
        "CorsPreflightFunction": api(
            "OPTIONS",
            "/v1/users",
            None,
            {"Origin": "https://app.bench.test", "Access-Control-Request-Method": "POST"},
        ),
    }
