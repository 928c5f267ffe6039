"""The cost model: dollars per million requests, from the measured calls, item sizes and durations.

The prices are assumptions: us-east-1 public list prices as published on the AWS pricing pages in
2025, before free tiers and volume discounts. Re-check them before relying on the figures.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PRICE_DATE = "2025 (AWS public pricing pages, us-east-1)"
API_GATEWAY_REST_PER_M = 3.50  # REST API requests, first 333 million per month
LAMBDA_REQUEST_PER_M = 0.20
LAMBDA_ARM64_GB_SECOND = 0.0000133334  # arm64, first 7.5 billion GB-seconds per month
DDB_RRU_PER_M = 0.125  # on-demand read request units (price since November 2024)
DDB_WRU_PER_M = 0.625  # on-demand write request units
# SnapStart for Python (and .NET): the cached snapshot of each published version, per GB of the
# function's memory per second it exists (3 hours at least), and each restore, per GB of memory
SNAPSTART_CACHE_GB_SECOND = 0.0000015046
SNAPSTART_RESTORE_GB = 0.0001397998
SNAPSTART_MIN_CACHE_HOURS = 3  # a version's snapshot is billed for at least this long
FULL_VCPU_MB = 1769  # Lambda gives one vCPU's worth of CPU at 1,769 MB, proportionally less below
MB_PER_GB = 1024  # Lambda's GB-seconds are of 1,024 MB
# DynamoDB's request units (developer guide, "Read/write capacity mode"): a strongly consistent read
# of up to 4 KB is one RRU (eventually consistent: half), a write of up to 1 KB one WRU, and every
# action of a transaction costs twice
READ_UNIT_KB = 4
WRITE_UNIT_KB = 1
TRANSACTION_FACTOR = 2
BATCH_WRITE_MAX_ITEMS = 25  # BatchWriteItem's limit per call
# DynamoDB's throughput per partition (developer guide, "Partitions and data distribution")
PARTITION_RRU_PER_S = 3000
PARTITION_WRU_PER_S = 1000
# assumptions of the estimates, not prices
DAYS_PER_MONTH = 30
COLD_START_PERCENT = 1  # of requests, for the SnapStart restore charge per million requests
DEFAULT_LATENCY_MS = 5.0  # an AWS call not in LATENCY_MS
# Assumed in-region round-trip latencies from Lambda (warm connection), milliseconds
LATENCY_MS = {
    "GetItem": 5.0,
    "UpdateItem": 6.0,
    "PutItem": 6.0,
    "DeleteItem": 6.0,
    "BatchGetItem": 7.0,
    "Query": 7.0,
    "BatchWriteItem": 10.0,
    "TransactWriteItems": 15.0,
}


def _number_size(v: str) -> int:
    digits = len(str(v).lstrip("-").replace(".", "").strip("0")) or 1
    return math.ceil(digits / 2) + 1


_SCALAR_SIZE: dict[str, Callable[[Any], int]] = {
    "S": lambda v: len(v.encode()),
    "N": _number_size,
    "B": len,
    "BOOL": lambda v: 1,
    "NULL": lambda v: 1,
}


def av_size(value: dict[str, Any]) -> int:
    """Bytes of one DynamoDB attribute value (the documented rules, numbers approximated)."""
    kind, v = next(iter(value.items()))
    if kind in _SCALAR_SIZE:
        return int(_SCALAR_SIZE[kind](v))
    if kind == "M":
        return 3 + sum(len(k.encode()) + av_size(x) + 1 for k, x in v.items())
    if kind == "L":
        return 3 + sum(av_size(x) + 1 for x in v)
    return sum(av_size({kind[0]: x}) for x in v)  # SS, NS, BS


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + av_size(v) for name, v in item.items())


@dataclass(frozen=True)
class Units:
    rru: float
    wru: float
    detail: str  # how they were counted


def _reads(size: int, strong: bool) -> float:
    return max(1, math.ceil(size / (READ_UNIT_KB * 1024))) * (1.0 if strong else 0.5)


def _writes(size: int) -> int:
    return max(1, math.ceil(size / (WRITE_UNIT_KB * 1024)))


def _transaction(size_of: Any, params: dict[str, Any]) -> tuple[float, str]:
    wru = 0.0
    parts = []
    for action in params["TransactItems"]:
        ((kind, body),) = action.items()
        size = item_size(body["Item"]) if kind == "Put" else size_of(body["Key"])
        wru += TRANSACTION_FACTOR * _writes(size)
        if kind == "Put" and "GSI1PK" in body["Item"]:
            wru += 1  # the GSI1 entry (keys only), a standard write
            parts.append(f"{kind} {size} B + GSI1")
        else:
            parts.append(f"{kind} {size} B")
    return wru, "Transact[" + ", ".join(parts) + f"] x{TRANSACTION_FACTOR}"


def request_units(w: Any, captured: list[tuple[str, dict[str, Any]]]) -> Units:
    """Read and write request units of one request's calls, with today's item sizes (moto)."""

    def size_of(key: dict[str, Any]) -> int:
        item = w.ddb.get_item(TableName=w.table, Key=key, ConsistentRead=True).get("Item")
        return item_size(item) if item else 0

    rru = wru = 0.0
    notes = []
    for op, params in captured:
        if op == "GetItem":
            size = size_of(params["Key"])
            rru += _reads(size, bool(params.get("ConsistentRead")))
            notes.append(f"GetItem {size} B")
        elif op == "BatchGetItem":
            for table in params["RequestItems"].values():
                sizes = [size_of(k) for k in table["Keys"]]
                rru += sum(_reads(s, bool(table.get("ConsistentRead"))) for s in sizes)
                notes.append(f"BatchGetItem {len(sizes)} items of <= {max(sizes)} B")
        elif op == "Query":
            size = sum(item_size(i) for i in w.ddb.query(**params)["Items"])
            rru += _reads(size, False)
            notes.append(f"Query (GSI, eventually consistent) {size} B")
        elif op == "UpdateItem":
            size = size_of(params["Key"])
            wru += _writes(size)
            notes.append(f"UpdateItem {size} B")
        elif op == "TransactWriteItems":
            units, note = _transaction(size_of, params)
            wru += units
            notes.append(note)
        elif op == "BatchWriteItem":
            n = sum(len(v) for v in params["RequestItems"].values())
            wru += n
            notes.append(f"BatchWriteItem {n} items")
        else:
            notes.append(op)
    return Units(rru, wru, "; ".join(notes))


def cpu_share(memory_mb: int) -> float:
    return min(1.0, memory_mb / FULL_VCPU_MB)


@dataclass(frozen=True)
class Estimate:
    name: str
    memory_mb: int
    cpu_ms: float  # measured here, moto's time taken out
    lambda_cpu_ms: float  # scaled to the function's CPU share
    network_ms: float
    billed_ms: int
    units: Units
    lambda_usd: float  # per million requests, duration + request charge
    api_usd: float
    ddb_usd: float

    @property
    def total(self) -> float:
        return self.lambda_usd + self.api_usd + self.ddb_usd


def estimate(name: str, memory_mb: int, cpu_seconds: float, ops: list[str], units: Units) -> Estimate:
    cpu_ms = cpu_seconds * 1000
    lambda_cpu = cpu_ms / cpu_share(memory_mb)
    network = sum(LATENCY_MS.get(op.split(".")[-1], DEFAULT_LATENCY_MS) for op in ops)
    billed = math.ceil(lambda_cpu + network)
    duration_usd = memory_mb / MB_PER_GB * billed / 1000 * LAMBDA_ARM64_GB_SECOND * 1e6
    return Estimate(
        name,
        memory_mb,
        cpu_ms,
        lambda_cpu,
        network,
        billed,
        units,
        duration_usd + LAMBDA_REQUEST_PER_M,
        API_GATEWAY_REST_PER_M,
        units.rru * DDB_RRU_PER_M + units.wru * DDB_WRU_PER_M,
    )
