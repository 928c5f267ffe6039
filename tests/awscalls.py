"""Counting the AWS calls code makes: a botocore `before-call` hook on every client.

    with counting() as calls:
        api("GET", f"/v1/users/{uid}", headers=tenant.admin())
    assert calls.names() == ["dynamodb.GetItem"]

Each call is also kept with its parameters and the function that made it (`Calls.requests`), and
`on_call` listeners see it before it is sent: the IAM check (tests/iam/) evaluates every call a
function makes against that function's role, and answers a call AWS would refuse as AWS would.

The service creates its clients once per process and caches them (the factories of
`hellojohn.edge.caches.client_factories`, and the Powertools parameters' Secrets Manager provider),
so the hook is registered both on the clients that exist when counting starts and on every client
created while it runs. `before-call` fires once per API call (retries of one
call are not extra calls). As a guard, every `BaseClient._make_api_call` is counted too: a call
made by a client the hook missed fails the block instead of going uncounted (with `strict=False`,
only a call made while a function runs does: the IAM check wraps whole tests, whose own set-up
clients may predate it). SnapStart's before-snapshot hook makes no call.

Used by the round-trip budget tests and by the benchmarks (bench/), never imported by the service.
"""

import itertools
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.client import BaseClient, ClientCreator

_HOOK_ID = "tests.awscalls"
_PARAMS = "tests.awscalls.params"  # where the request context carries a call's parameters
_blocks = itertools.count()  # each block its own hook ids, so blocks can nest


@dataclass(frozen=True)
class Call:
    """One AWS API call as the code made it."""

    service: str  # botocore's service name, e.g. "dynamodb"
    operation: str  # e.g. "TransactWriteItems"
    params: dict[str, Any]  # the API parameters, as passed to the client method
    function: str | None  # logical id of the function whose code made it (local_runner.functions.running())


# A listener may answer the call itself: botocore's (http response, parsed response), or None to send it.
Listener = Callable[[Call], tuple[Any, dict[str, Any]] | None]


@dataclass
class Calls:
    """The calls made, in order, as (service, operation), e.g. ("dynamodb", "GetItem")."""

    made: list[tuple[str, str]] = field(default_factory=list)
    requests: list[Call] = field(default_factory=list)  # the same calls, with parameters and caller
    unhooked: int = 0  # calls seen by the _make_api_call guard minus those the hook saw

    def __len__(self) -> int:
        return len(self.made)

    def names(self) -> list[str]:
        return [f"{service}.{operation}" for service, operation in self.made]

    def by_name(self) -> Counter[str]:
        return Counter(self.names())

    def count(self, operation: str) -> int:
        return sum(1 for _, op in self.made if op == operation)

    def clear(self) -> None:
        self.made.clear()
        self.requests.clear()


def cached_clients() -> list[BaseClient]:
    """The clients the service keeps per process that exist right now (creating none)."""
    from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS
    from hellojohn.edge import caches

    found: list[BaseClient] = []
    for factory in caches.client_factories():
        if factory.cache_info().currsize:
            found.append(factory())
    for provider in DEFAULT_PROVIDERS.values():
        provider_client = getattr(provider, "client", None)
        if isinstance(provider_client, BaseClient):
            found.append(provider_client)
    return found


@contextmanager
def counting(*also: BaseClient, on_call: Listener | None = None, strict: bool = True) -> Iterator[Calls]:
    """Count every AWS API call made inside the block, by the service's clients old or new, by
    clients created inside the block, and by the clients passed in `also`. `on_call` sees each
    call before it is sent and may answer it instead (see `Listener`)."""
    from local_runner.functions import running

    calls = Calls()
    seen_by_guard = 0
    hooked: list[BaseClient] = []
    block = next(_blocks)
    ids = (f"{_HOOK_ID}.params.{block}", f"{_HOOK_ID}.call.{block}")

    def keep_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[_PARAMS] = params

    def hook(model: Any, context: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]] | None:
        call = Call(model.service_model.service_name, model.name, context.get(_PARAMS) or {}, running())
        calls.made.append((call.service, call.operation))
        calls.requests.append(call)
        return on_call(call) if on_call else None

    def watch(client: BaseClient) -> None:
        client.meta.events.register("before-parameter-build", keep_params, unique_id=ids[0])
        client.meta.events.register("before-call", hook, unique_id=ids[1])  # type: ignore[arg-type]  # botocore-stubs type handlers as returning None; before-call may answer
        hooked.append(client)

    original_create = ClientCreator.create_client
    original_call = BaseClient._make_api_call  # type: ignore[attr-defined]  # private: botocore-stubs omit it

    def create_client(self: ClientCreator, *args: Any, **kwargs: Any) -> BaseClient:
        new = original_create(self, *args, **kwargs)
        watch(new)
        return new

    def make_api_call(self: BaseClient, operation_name: str, api_params: Any) -> Any:
        nonlocal seen_by_guard
        if strict or running() is not None:
            seen_by_guard += 1
        return original_call(self, operation_name, api_params)

    for existing in {id(c): c for c in [*cached_clients(), *also]}.values():
        watch(existing)
    ClientCreator.create_client = create_client  # type: ignore[method-assign]
    BaseClient._make_api_call = make_api_call  # type: ignore[attr-defined]
    try:
        yield calls
    finally:
        ClientCreator.create_client = original_create  # type: ignore[method-assign]
        BaseClient._make_api_call = original_call  # type: ignore[attr-defined]
        for client in hooked:
            for unique_id, event in zip(ids, ("before-parameter-build", "before-call"), strict=True):
                client.meta.events.unregister(event, unique_id=unique_id)
        counted = len(calls.made) if strict else sum(1 for c in calls.requests if c.function is not None)
        calls.unhooked = seen_by_guard - counted
    assert calls.unhooked == 0, f"{calls.unhooked} AWS call(s) went through a client the hook missed"


CALLS_OF_A_FRESH_INTERPRETER = """
from botocore.client import BaseClient
calls = []
_call = BaseClient._make_api_call
def _count(self, operation, params):
    calls.append(operation)
    return _call(self, operation, params)
BaseClient._make_api_call = _count
"""
"""Code that starts a `python -c` program (bench/first.py, tests/snapstart/): from then on, its list
`calls` holds the operation of every AWS call the program makes (no pytest, no hooks to register)."""
