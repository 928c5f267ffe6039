"""Counting the AWS calls code makes: a botocore `before-call` hook on every client.

    with counting() as calls:
        api("GET", f"/v1/users/{uid}", headers=tenant.admin())
    assert calls.names() == ["dynamodb.GetItem"]

The service creates its clients once per process and caches them (hellojohn.store.client.dynamodb,
hellojohn.jobs.sqs, hellojohn.mailer.ses, and the Powertools parameters' Secrets Manager provider),
so the hook is registered both on the clients that exist when counting starts and on every client
created while it runs. `before-call` fires once per API call (retries of one call are not extra
calls). As a guard, every `BaseClient._make_api_call` is counted too: a call made by a client the
hook missed fails the block instead of going uncounted. The calls SnapStart's before-snapshot hook
makes when a handler loads inside the block reach only its loopback server, not AWS
(`hellojohn.snapstart.priming`): they are not counted.

Used by the round-trip budget tests and by the benchmarks (bench/), never imported by the service.
"""

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.client import BaseClient, ClientCreator

_HOOK_ID = "tests.awscalls.before-call"


@dataclass
class Calls:
    """The calls made, in order, as (service, operation), e.g. ("dynamodb", "GetItem")."""

    made: list[tuple[str, str]] = field(default_factory=list)
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


def cached_clients() -> list[BaseClient]:
    """The clients the service keeps per process that exist right now (creating none)."""
    from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS
    from hellojohn import jobs, mailer
    from hellojohn.store import client

    found: list[BaseClient] = []
    for factory in (client.dynamodb, jobs.sqs, mailer.ses):
        if factory.cache_info().currsize:
            found.append(factory())  # type: ignore[arg-type]
    for provider in DEFAULT_PROVIDERS.values():
        provider_client = getattr(provider, "client", None)
        if isinstance(provider_client, BaseClient):
            found.append(provider_client)
    return found


@contextmanager
def counting(*also: BaseClient) -> Iterator[Calls]:
    """Count every AWS API call made inside the block, by the service's clients old or new, by
    clients created inside the block, and by the clients passed in `also`."""
    calls = Calls()
    seen_by_guard = 0
    hooked: list[BaseClient] = []

    from hellojohn import snapstart

    def hook(model: Any, **_: Any) -> None:
        if snapstart.priming():
            return
        calls.made.append((model.service_model.service_name, model.name))

    def watch(client: BaseClient) -> None:
        client.meta.events.register("before-call", hook, unique_id=_HOOK_ID)
        hooked.append(client)

    original_create = ClientCreator.create_client
    original_call = BaseClient._make_api_call

    def create_client(self: ClientCreator, *args: Any, **kwargs: Any) -> BaseClient:
        new = original_create(self, *args, **kwargs)
        watch(new)
        return new

    def make_api_call(self: BaseClient, operation_name: str, api_params: Any) -> Any:
        nonlocal seen_by_guard
        seen_by_guard += 0 if snapstart.priming() else 1
        return original_call(self, operation_name, api_params)

    for existing in {id(c): c for c in [*cached_clients(), *also]}.values():
        watch(existing)
    ClientCreator.create_client = create_client  # type: ignore[method-assign]
    BaseClient._make_api_call = make_api_call  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        ClientCreator.create_client = original_create  # type: ignore[method-assign]
        BaseClient._make_api_call = original_call  # type: ignore[method-assign]
        for client in hooked:
            client.meta.events.unregister("before-call", unique_id=_HOOK_ID)
        calls.unhooked = seen_by_guard - len(calls.made)
    assert calls.unhooked == 0, f"{calls.unhooked} AWS call(s) went through a client the hook missed"
