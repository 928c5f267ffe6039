"""Scale: the same requests with 10 and with 100,000 users in the tenant, and the revocation worker.

The 10 users are made through the API. The other 99,990 are the items the store writes (a user
item from `hellojohn.store.users.user_item` and its email claim), seeded straight into moto's
table: through `batch_write_item` moto takes milliseconds per item (the run measures the rate on a
sample and reports what all of them would take), so the rest go into moto's backend directly.
They are then swapped in and out of the table between rounds, so both populations are measured
interleaved, on the same tenant, the same users and the same items.
"""

import time
from dataclasses import dataclass, field
from typing import Any, cast

from bench import lambdas
from bench.scenarios import PASSWORD, World, build_world
from bench.stats import median
from local_runner.invoke import REGION
from tests.awscalls import counting

SAMPLE_USERS = 500  # seeded through batch_write_item, to measure moto's rate


@dataclass
class Seeding:
    users: int  # seeded
    sample_users: int
    sample_seconds: float  # batch_write_item, SAMPLE_USERS users (2 items each)
    backend_seconds: float  # the rest, into moto's backend
    api_users: int = 0  # made through the API

    @property
    def batch_write_estimate(self) -> float:
        return self.sample_seconds / self.sample_users * self.users


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


@dataclass
class WorkerResult:
    sessions: int
    writes: int
    queries: int
    seconds: float


def _users(w: World, start: int, count: int) -> list[dict[str, Any]]:
    from hellojohn import ids
    from hellojohn.records import User
    from hellojohn.store import keys
    from hellojohn.store.users import user_item

    stored_hash = w.ddb.get_item(TableName=w.table, Key=w.user_key("bob"))["Item"]["password_hash"]["S"]
    items = []
    for n in range(start, start + count):
        user = User(
            id=ids.new_id("usr"),
            tenant_id=w.tid,
            email=f"user{n}@scale.example.com",
            name=f"User {n}",
            created_at=1_700_000_000 + n,
            updated_at=1_700_000_000 + n,
            password_hash=stored_hash,
        )
        items.append(user_item(user))
        items.append({**keys.email_claim(w.tid, user.email.lower()), "user_id": {"S": user.id}})
    return items


def _table(w: World) -> Any:
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table(w.table)


def seed(w: World, users: int) -> tuple[dict[Any, dict[Any, Any]], Seeding]:
    """The seeded items, by partition key, taken out of the table again (see `swap`)."""
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict

    table = _table(w)
    sample = min(SAMPLE_USERS, users)
    items = _users(w, 0, sample)
    start = time.perf_counter()
    for i in range(0, len(items), 25):
        w.ddb.batch_write_item(
            RequestItems={w.table: [{"PutRequest": {"Item": it}} for it in items[i : i + 25]]}
        )
    sample_seconds = time.perf_counter() - start
    seeded: dict[Any, dict[Any, Any]] = {}
    for it in items:
        h = DynamoType(it["PK"])
        seeded[h] = table.items.pop(h)
    start = time.perf_counter()
    for it in _users(w, sample, users - sample):
        h, r = DynamoType(it["PK"]), DynamoType(it["SK"])
        item = cast(Item, Item.__new__(Item))  # moto annotates BaseModel.__new__ as -> BaseModel
        item.hash_key, item.range_key = h, r
        item.attrs = LimitedSizeDict(
            {k: DynamoType(v) for k, v in it.items()}
        )  # no per-attribute size re-check
        seeded.setdefault(h, {})[r] = item
    return seeded, Seeding(users, sample, sample_seconds, time.perf_counter() - start)


def swap(w: World, seeded: dict[Any, dict[Any, Any]], present: bool) -> None:
    table = _table(w)
    if present:
        table.items.update(seeded)
    else:
        for h in seeded:
            table.items.pop(h, None)


def _requests(w: World) -> list[tuple[str, Any, int]]:
    """(name, request maker, requests per arm and round)."""
    bob = w.people["bob"].uid
    return [
        ("GET /v1/users/{id}", lambda i: ("GET", f"/v1/users/{bob}", None, w.admin()), 5),
        (
            "PATCH /v1/users/{id} (name)",
            lambda i: ("PATCH", f"/v1/users/{bob}", {"name": f"Bob {i}"}, w.admin()),
            5,
        ),
        (
            "POST /v1/auth/sign-in",
            lambda i: (
                "POST",
                "/v1/auth/sign-in",
                {"email": "alice@example.com", "password": PASSWORD},
                w.public(),
            ),
            1,
        ),
    ]


def _worker(w: World, n: int) -> WorkerResult:
    from hellojohn import ids
    from hellojohn.adapters import jobs
    from hellojohn.store import sessions

    uid = w.people["carol"].uid
    sids = [ids.new_id("ses") for _ in range(n)]
    items = [sessions.put_session(w.tid, uid, sid, "h" * 43, 1, 2**31)["Put"]["Item"] for sid in sids]
    for i in range(0, n, 25):
        w.ddb.batch_write_item(
            RequestItems={w.table: [{"PutRequest": {"Item": it}} for it in items[i : i + 25]]}
        )
    before = {"SK": "USER", "tenant_id": w.tid, "id": uid, "sessions": dict.fromkeys(sids, 2**31)}
    after = {"SK": "USER", "tenant_id": w.tid, "id": uid, "sessions": {}}
    bodies = [job.body for job in jobs.for_change(before, after)]
    with counting() as calls:
        seconds, result = lambdas.invoke("SessionCleanupFunction", lambdas.sqs_event(bodies))
    if result.get("batchItemFailures"):
        raise RuntimeError(f"session cleanup failed: {result}")
    return WorkerResult(n, calls.count("BatchWriteItem"), calls.count("Query"), seconds)


def run(users: int = 100_000, rounds: int = 12) -> tuple[Seeding, list[ScaleResult], list[WorkerResult]]:
    """Each round measures a few requests of each kind with 10 users, then with all of them (or the
    other way round): the populations alternate often, so a busy spell of the machine hits both."""
    with lambdas.moto_env():
        w = build_world(("alice", "bob", "carol", "pat", "pam", "quinn", "rose", "sam", "tom", "uma"))
        seeded, seeding = seed(w, users - len(w.people))
        seeding.api_users = len(w.people)
        requests = _requests(w)
        results = {name: ScaleResult(name) for name, _, _ in requests}
        for _, make, _ in requests:  # the handlers' first requests, before anything is timed
            lambdas.call(*make(0))
        i = 0
        for r in range(rounds):
            for big in (False, True) if r % 2 == 0 else (True, False):
                swap(w, seeded, big)
                for name, make, count in requests:
                    result = results[name]
                    for _ in range(count):
                        i += 1
                        with counting() as calls:
                            reply = lambdas.call(*make(i))
                        if reply.status != 200:
                            raise RuntimeError(f"{name}: {reply.status} {reply.body}")
                        (result.big if big else result.small).append(reply.seconds)
                        (result.calls_big if big else result.calls_small).add(len(calls))
        swap(w, seeded, False)
        workers = [_worker(w, n) for n in (1, 100, 1000)]
    return seeding, list(results.values()), workers
