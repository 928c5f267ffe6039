"""Warm overhead: each endpoint's handler latency against its floor, the same boto3 calls made bare.

In-process moto (mock_aws). Handler and floor alternate, request by request, after a few warm-up
requests, so both see the same machine. Time spent inside moto itself is measured too (its
`before-send` stub), so the cost model can replace moto with real DynamoDB latencies.
"""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, get_args

from hellojohn import ids

from bench import lambdas
from bench.scenarios import Scenario, World, build_world, scenarios
from bench.stats import median
from tests.awscalls import counting

WARM_UP = 3


@contextmanager
def wrapped(owner: Any, name: str, wrap: Callable[[Any], Any]) -> Iterator[None]:
    """For the block, `owner.name` is `wrap(original)`; the original again after it."""
    original = getattr(owner, name)
    setattr(owner, name, wrap(original))
    try:
        yield
    finally:
        setattr(owner, name, original)


class MotoClock:
    """Seconds spent inside moto's request stub (the 'server' side of every call)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    @contextmanager
    def installed(self) -> Iterator["MotoClock"]:
        from botocore.awsrequest import AWSPreparedRequest, AWSResponse
        from moto.core.botocore_stubber import BotocoreStubber

        clock = self

        def timing(original: Callable[..., AWSResponse | None]) -> Callable[..., AWSResponse | None]:
            def timed(
                self: BotocoreStubber, event_name: str, request: AWSPreparedRequest, **kwargs: Any
            ) -> AWSResponse | None:
                start = time.perf_counter()
                try:
                    return original(self, event_name, request, **kwargs)
                finally:
                    clock.seconds += time.perf_counter() - start

            return timed

        with wrapped(BotocoreStubber, "__call__", timing):
            yield self


@contextmanager
def capturing() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """(operation, parameters) of every call made inside the block, for the cost model."""
    from botocore.client import BaseClient

    made: list[tuple[str, dict[str, Any]]] = []

    def recording(original: Callable[..., Any]) -> Callable[..., Any]:
        def record(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            made.append((operation, params))
            return original(client, operation, params)

        return record

    with wrapped(BaseClient, "_make_api_call", recording):  # private: botocore-stubs omit it
        yield made


def _named(name: str) -> str:
    """An attribute name, or `<id>` for an id used as one (a session's key in the `sessions` map:
    each request has its own)."""
    return "<id>" if any(ids.is_id(name, prefix) for prefix in get_args(ids.Prefix)) else name


_EXPRESSIONS = {"UpdateExpression", "ConditionExpression", "KeyConditionExpression", "ProjectionExpression"}
_ITEMS = {"Key", "Item", "ExclusiveStartKey"}


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
            elif k in _EXPRESSIONS:
                out[k] = "<expression>"
            elif k in _ITEMS:
                out[k] = sorted(v)
            else:
                out[k] = shape(v)
        return out
    if isinstance(params, list):
        return [shape(v) for v in params]
    return type(params).__name__


def same_shape(
    name: str, handler: list[tuple[str, dict[str, Any]]], floor: list[tuple[str, dict[str, Any]]]
) -> None:
    """Raises if the floor's calls are not the handler's, in `shape`."""
    made = [(op, shape(p)) for op, p in handler]
    bare = [(op, shape(p)) for op, p in floor]
    if made != bare:
        differ = next(((h, f) for h, f in zip(made, bare, strict=False) if h != f), (made, bare))
        raise AssertionError(f"{name}: the floor's calls differ from the handler's: {differ}")


@dataclass
class WarmResult:
    scenario: Scenario
    handler: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)
    moto: list[float] = field(default_factory=list)  # moto's share of each handler request
    calls: list[str] = field(default_factory=list)
    units: Any = None  # bench.cost.Units of one request
    memory_mb: int = 0

    @property
    def client_cpu(self) -> float:
        """The handler's own time, moto's taken out (median)."""
        return median([h - m for h, m in zip(self.handler, self.moto, strict=True)])


def _handler(w: World, s: Scenario, i: int, clock: MotoClock) -> tuple[float, float]:
    method, path, body, headers = s.request(w, i)
    before = clock.seconds
    reply = lambdas.call(method, path, body, headers)
    if reply.status != s.status:
        raise AssertionError(f"{s.name}: {reply.status} {reply.body}")
    if s.after:
        s.after(w, i, reply)
    return reply.seconds, clock.seconds - before


def _floor(w: World, s: Scenario, i: int) -> float:
    if s.prepare:
        s.prepare(w, i)
    start = time.perf_counter()
    s.floor(w, i)
    return time.perf_counter() - start


def run_one(w: World, s: Scenario, clock: MotoClock) -> WarmResult:
    from bench import cost

    result = WarmResult(s, memory_mb=lambdas.memory_mb(s.function))
    for i in range(WARM_UP):
        _handler(w, s, i, clock)
        _floor(w, s, i)
    first = WARM_UP
    with counting() as handler_calls, capturing() as captured:
        _handler(w, s, first, clock)
    with counting(w.ddb) as floor_calls, capturing() as bare:
        _floor(w, s, first)
    if handler_calls.names() != floor_calls.names():
        raise AssertionError(f"{s.name}: floor makes {floor_calls.names()}, handler {handler_calls.names()}")
    same_shape(s.name, captured, bare)
    result.calls = handler_calls.names()
    result.units = cost.request_units(w, captured)  # with the item sizes of right now
    for i in range(first + 1, first + 1 + s.iterations):
        if i % 2:
            seconds, moto = _handler(w, s, i, clock)
            result.floor.append(_floor(w, s, i))
        else:
            result.floor.append(_floor(w, s, i))
            seconds, moto = _handler(w, s, i, clock)
        result.handler.append(seconds)
        result.moto.append(moto)
    return result


def run(iterations: int = 200, hash_iterations: int = 30) -> tuple[list[WarmResult], dict[str, Any]]:
    """Every scenario, and the request units of each (for the cost model)."""
    results = []
    with lambdas.moto_env(), MotoClock().installed() as clock:
        w = build_world()
        for s in scenarios(hash_iterations=hash_iterations, iterations=iterations):
            results.append(run_one(w, s, clock))
    return results, {r.scenario.name: r.units for r in results}
