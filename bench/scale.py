"""Scale: the same requests with a few users and with many in the tenant.

The few are made through the API. The many are the items the store writes (a user item from
`hellojohn.store.users.user_item` and its email claim), put straight into moto's backend (through
`batch_write_item` moto takes milliseconds per item), then swapped in and out of the table between
rounds, so both populations are measured interleaved, on the same tenant, users and items.
"""

from dataclasses import dataclass, field
from typing import Any, cast

from bench import lambdas
from bench.scenarios import PASSWORD, World
from bench.stats import median
from local_runner.invoke import REGION
from tests.awscalls import counting


@dataclass
class ScaleResult:
    name: str
    small: list[float] = field(default_factory=list)
    big: list[float] = field(default_factory=list)
    calls_small: set[int] = field(default_factory=set)
    calls_big: set[int] = field(default_factory=set)

    @property
    def ratio(self) -> float:
        return median(self.big) / median(self.small)


def seed(w: World, users: int) -> dict[Any, dict[Any, Any]]:
    """`users` users of the store's own items, by partition key, not in the table (see `swap`)."""
    from hellojohn import ids
    from hellojohn.fields import email_key
    from hellojohn.records import User
    from hellojohn.store import keys
    from hellojohn.store.users import user_item
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict

    stored_hash = w.ddb.get_item(TableName=w.table, Key=w.user_key("bob"))["Item"]["password_hash"]["S"]
    seeded: dict[Any, dict[Any, Any]] = {}
    for n in range(users):
        at = 1_700_000_000 + n
        email = f"user{n}@scale.example.com"
        user = User(
            ids.new_id("usr"),
            w.tid,
            email,
            name=f"User {n}",
            created_at=at,
            updated_at=at,
            password_hash=stored_hash,
        )
        claim = {
            **keys.email_claim(w.tid, email_key(email)),
            "user_id": {"S": user.id},
        }  # as store.users.create
        for it in (user_item(user), claim):
            h, r = DynamoType(it["PK"]), DynamoType(it["SK"])
            item = cast(Item, Item.__new__(Item))  # moto annotates BaseModel.__new__ as -> BaseModel
            item.hash_key, item.range_key = h, r
            item.attrs = LimitedSizeDict({k: DynamoType(v) for k, v in it.items()})  # no size re-check
            seeded.setdefault(h, {})[r] = item
    return seeded


def swap(w: World, seeded: dict[Any, dict[Any, Any]], present: bool) -> None:
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table(w.table)
    if present:
        table.items.update(seeded)
    else:
        for h in seeded:
            table.items.pop(h, None)


def _requests(w: World) -> list[tuple[str, Any, int]]:
    """(name, request maker, requests per arm and round)."""
    bob = f"/v1/users/{w.people['bob'].uid}"
    sign_in = {"email": "alice@example.com", "password": PASSWORD}
    return [
        ("GET /v1/users/{id}", lambda i: ("GET", bob, None, w.admin()), 5),
        ("PATCH /v1/users/{id} (name)", lambda i: ("PATCH", bob, {"name": f"Bob {i}"}, w.admin()), 5),
        ("POST /v1/auth/sign-in", lambda i: ("POST", "/v1/auth/sign-in", sign_in, w.public()), 1),
    ]


def run(w: World, users: int = 100_000, rounds: int = 12) -> tuple[tuple[int, int], list[ScaleResult]]:
    """((users of the few, of the many), results), inside `lambdas.moto_env()` on `w`. Each round
    measures a few requests of each kind with the few, then with all (or the other way round): the
    populations alternate often, so a busy spell of the machine hits both."""
    seeded = seed(w, users - len(w.people))
    requests = _requests(w)
    results = {name: ScaleResult(name) for name, _, _ in requests}
    for _, make, _ in requests:  # the handlers' first requests, before anything is timed
        lambdas.call(*make(0))
    i = 0
    for r in range(rounds):
        for big in (False, True) if r % 2 == 0 else (True, False):
            swap(w, seeded, big)
            for name, make, count in requests:
                for _ in range(count):
                    i += 1
                    with counting() as calls:
                        reply = lambdas.call(*make(i))
                    if reply.status != 200:
                        raise RuntimeError(f"{name}: {reply.status} {reply.body}")
                    (results[name].big if big else results[name].small).append(reply.seconds)
                    (results[name].calls_big if big else results[name].calls_small).add(len(calls))
    swap(w, seeded, False)
    return (len(w.people), users), list(results.values())
