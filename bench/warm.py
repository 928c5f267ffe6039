"""Warm overhead: each endpoint's handler latency against its floor, the same boto3 calls made bare.

In-process moto (mock_aws). Handler and floor alternate, request by request, after a few warm-up
requests, so both see the same machine.
"""

import time
from dataclasses import dataclass, field
from typing import Any, get_args

from hellojohn import ids

from bench import lambdas
from bench.scenarios import Scenario, World, scenarios
from tests.awscalls import Calls, counting

WARM_UP = 3
_EXPRESSIONS = {"UpdateExpression", "ConditionExpression", "KeyConditionExpression", "ProjectionExpression"}
_ITEMS = {"Key", "Item", "ExclusiveStartKey"}


def _named(name: str) -> str:
    """An attribute name, or `<id>` for an id used as one (a session's key in the `sessions` map:
    each request has its own)."""
    return "<id>" if any(ids.is_id(name, prefix) for prefix in get_args(ids.Prefix)) else name


def shape(params: Any) -> Any:
    """A call's parameters with the values left out: the attributes it names, how many values it
    binds, the keys of the items it writes. A floor must make its handler's calls in this shape
    (the same attributes written, the same conditions), or moto's work differs between the two and
    the ratio measures that instead of the handler."""
    if isinstance(params, dict):
        out: dict[str, Any] = {}
        for k, v in params.items():
            if k == "ExpressionAttributeNames":
                out[k] = sorted(_named(n) for n in v.values())
            elif k == "ExpressionAttributeValues":
                out[k] = len(v)
            else:
                out[k] = "<expression>" if k in _EXPRESSIONS else sorted(v) if k in _ITEMS else shape(v)
        return out
    if isinstance(params, list):
        return [shape(v) for v in params]
    return type(params).__name__


def same_calls(name: str, handler: Calls, floor: Calls) -> None:
    """Raises if the floor's calls are not the handler's, by name and in `shape`."""
    made = [(c.operation, shape(c.params)) for c in handler.requests]
    bare = [(c.operation, shape(c.params)) for c in floor.requests]
    if handler.names() != floor.names() or made != bare:
        differ = next(((h, f) for h, f in zip(made, bare, strict=False) if h != f), (made, bare))
        raise AssertionError(f"{name}: the floor's calls differ from the handler's: {differ}")


@dataclass
class WarmResult:
    name: str
    target: float  # the p50 ratio's
    argon2: str  # the Argon2id work in both
    handler: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)


def _handler(w: World, s: Scenario, i: int) -> float:
    reply = lambdas.call(*s.request(w, i))
    if reply.status != s.status:
        raise AssertionError(f"{s.name}: {reply.status} {reply.body}")
    if s.after:
        s.after(w, i, reply)
    return reply.seconds


def _floor(w: World, s: Scenario, i: int) -> float:
    if s.prepare:
        s.prepare(w, i)
    start = time.perf_counter()
    s.floor(w, i)
    return time.perf_counter() - start


def run_one(w: World, s: Scenario) -> WarmResult:
    result = WarmResult(s.name, s.target, s.argon2)
    for i in range(WARM_UP):
        _handler(w, s, i)
        _floor(w, s, i)
    with counting() as handler_calls:
        _handler(w, s, WARM_UP)
    with counting(w.ddb) as floor_calls:
        _floor(w, s, WARM_UP)
    same_calls(s.name, handler_calls, floor_calls)
    result.calls = handler_calls.names()
    for i in range(WARM_UP + 1, WARM_UP + 1 + s.iterations):
        if i % 2:  # which goes first alternates
            result.handler.append(_handler(w, s, i))
            result.floor.append(_floor(w, s, i))
        else:
            result.floor.append(_floor(w, s, i))
            result.handler.append(_handler(w, s, i))
    return result


def run(w: World, iterations: int = 200, hash_iterations: int = 30) -> list[WarmResult]:
    """Every scenario, inside `lambdas.moto_env()` on `w` (bench.scenarios.build_world)."""
    return [run_one(w, s) for s in scenarios(hash_iterations=hash_iterations, iterations=iterations)]
