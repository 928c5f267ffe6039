"""moto without two server-side costs real DynamoDB does not have, for the benchmarks only: the
in-process moto of the warm and scale sections, and the moto server (a thread of the bench's process)
of the cold and first-request sections.

- moto snapshots the *whole table* (deepcopy) before every TransactWriteItems, to roll back on
  failure: O(table size) per transaction, 0.1 s at a few hundred items, minutes at 100,000 users.
  Here only the items the transaction names are snapshotted (and restored if it fails).
- moto's stream emulation builds a record with both images on every write and keeps them all;
  the benchmarks read no stream, so the table gets none.

Both apply equally to a handler and to its bare floor; leaving them in would inflate the floor
and hide the handler's overhead. The snapshot also made the bench fail at random: against the moto
server, a transaction's time grew by about 0.5 ms per item in the table (250 ms at 500 items), and
once a response came late enough for botocore to retry the call (hellojohn.store.client's timeouts),
the retry found the first attempt's writes (moto does not honour ClientRequestToken): a create
answered 409 `email_taken`, a refresh 401, a notice's link 400. Written against moto 5.2
(requirements-dev.txt pins it).
"""

import copy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def _snapshot(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any, Any]]:
    from moto.dynamodb.models.dynamo_type import DynamoType

    saved = []
    for action in transact_items:
        ((kind, op),) = action.items()
        table = backend.get_table(op["TableName"])
        key = op["Item"] if kind == "Put" else op["Key"]
        h = DynamoType(key[table.hash_key_attr])
        r = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        current = table.items.get(h, {}).get(r) if r is not None else table.items.get(h)
        saved.append((table, h, r, copy.deepcopy(current)))
    return saved


def _restore(saved: list[tuple[Any, Any, Any, Any]]) -> None:
    for table, h, r, item in reversed(saved):
        if item is None:
            table.items.get(h, {}).pop(r, None)
            if h in table.items and not table.items[h]:
                del table.items[h]
        else:
            table.items[h][r] = item


@contextmanager
def lean(region: str) -> Iterator[None]:
    """Inside mock_aws, after the tables exist."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
    from moto.dynamodb.models.table import Table

    original = DynamoDBBackend.transact_write_items
    one_at_a_time = threading.Lock()  # the moto server answers calls in threads of its own

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        with one_at_a_time:
            saved = _snapshot(self, transact_items)
            Table.__deepcopy__ = lambda table, memo: table  # type: ignore[attr-defined]
            try:
                original(self, transact_items)
            except Exception:
                _restore(saved)
                raise
            finally:
                del Table.__deepcopy__  # type: ignore[attr-defined]

    streams = {}
    for table in dynamodb_backends[DEFAULT_ACCOUNT_ID][region].tables.values():
        streams[table] = table.stream_shard
        table.stream_shard = None
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    try:
        yield
    finally:
        DynamoDBBackend.transact_write_items = original  # type: ignore[method-assign]
        for table, shard in streams.items():
            table.stream_shard = shard
