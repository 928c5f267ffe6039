"""SnapStart's runtime hooks: what every API function does before its snapshot and after a restore.

Lambda snapshots an initialised process when a version is published and restores copies of it on
cold starts, many copies of one snapshot. So:

- before the snapshot (`prepare`), build what the first request would otherwise build: the modules
  its routes import lazily, its AWS clients with botocore's models and event names of the operations
  they call, the Argon2 hasher object and the common-password list, each route's validation
  (Powertools' dependant, body and response validators), and the ABC checks of a dispatch. No
  request is sent, no AWS call is made, nothing is hashed and no id is made: the snapshot holds code
  and clients, no data;
- after a restore (`refresh`), reseed `random`, start a fresh ULID generator (python-ulid's keeps
  the last timestamp and randomness, which every copy would share), and empty every cache that
  holds data read from AWS or made at a given time (`caches.forget_data`), so that no copy serves
  what another read before.

`hellojohn.edge.resolver.entry` registers both for every API function with `snapshot_restore_py`
(part of Lambda's Python runtime; `snapshot-restore-py` on PyPI for local use). The local runner
and the tests run the registered hooks as Lambda does (`run_before_snapshot` once the handler is
imported, `run_after_restore` before its first request).
"""

import importlib
import os
import random
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from snapshot_restore_py import (  # type: ignore[import-untyped]
    get_after_restore,
    get_before_snapshot,
    register_after_restore,
    register_before_snapshot,
)

from hellojohn.edge import caches

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver


# What botocore emits for each call (botocore/client.py, endpoint.py, signers.py): a client aliases
# each event name on its first emit (EventAliaser: a scan of every alias, cached per name), and
# registering a handler aliases the name the same way.
_CALL_EVENTS = (
    "provide-client-params.{s}.{o}",
    "before-parameter-build.{s}.{o}",
    "before-endpoint-resolution.{s}",
    "before-call.{s}.{o}",
    "request-created.{s}.{o}",
    "choose-signer.{s}.{o}",
    "before-sign.{s}.{o}",
    "before-send.{s}.{o}",
    "before-parse.{s}.{o}",
    "response-received.{s}.{o}",
    "needs-retry.{s}.{o}",
    "after-call.{s}.{o}",
)


def _nothing(**_: Any) -> None:
    return None


def _shapes(client: Any, operations: Iterable[str]) -> None:
    """botocore's models of these operations, their input and output shapes built down to the leaves,
    the client's error classes, and the names of the events a call of each operation emits aliased
    (botocore does each on first use, the first request's)."""

    def walk(shape: Any, seen: set[str]) -> None:
        if shape is None or shape.name in seen:
            return
        seen.add(shape.name)
        for member in getattr(shape, "members", {}).values():
            walk(member, seen)
        for part in ("member", "key", "value"):
            walk(getattr(shape, part, None), seen)

    client.exceptions  # noqa: B018  (its error classes: what an error response's first parse builds)
    events, service = client.meta.events, client.meta.service_model.service_id.hyphenize()
    for name in operations:
        operation = client.meta.service_model.operation_model(name)
        walk(operation.input_shape, set())
        walk(operation.output_shape, set())
        for event in _CALL_EVENTS:
            events.register(event.format(s=service, o=name), _nothing, unique_id=__name__)
            events.unregister(event.format(s=service, o=name), unique_id=__name__)


def _dynamodb() -> None:
    from hellojohn.store.client import dynamodb

    operations = ("GetItem", "UpdateItem", "PutItem", "Query", "BatchGetItem", "TransactWriteItems")
    _shapes(dynamodb(), operations)


def _tokens() -> None:
    from hellojohn.adapters.secrets_manager import secrets_provider

    _shapes(secrets_provider().client, ("GetSecretValue",))


def _kms() -> None:
    from hellojohn.adapters.keys_kms import kms

    _shapes(kms(), ("Encrypt", "Decrypt"))


def _sqs() -> None:
    from hellojohn.adapters.jobs import sqs

    _shapes(sqs(), ("SendMessage",))


def _passwords() -> None:
    from hellojohn.rules import passwords

    passwords.hasher()  # imports argon2 and builds the hasher: no hash is made
    passwords.common_passwords()


_KEYS = ("encodings.idna", "hellojohn.rules.tokens", "aws_lambda_powertools.utilities.parameters")
# what each need imports, beyond what its builder does (a first request would import it lazily)
MODULES: dict[str, tuple[str, ...]] = {
    "dynamodb": ("encodings.idna", "ulid"),  # urllib3 encodes the host name; every write makes a change id
    "keys": _KEYS,  # the signing key alone: the JWKS function signs and verifies no token
    "tokens": (*_KEYS, "jwt"),
    "passwords": ("argon2.exceptions",),
    "email": ("email_validator",),
    "phone": ("phonenumbers",),
    "profile": ("hellojohn.rules.changes",),
    "kms": (),  # the webhook secrets' Encrypt and Decrypt
    "sqs": (),  # a job sent from the request (a webhook test delivery)
}
BUILDERS: dict[str, Callable[[], None]] = {
    "dynamodb": _dynamodb,
    "keys": _tokens,
    "tokens": _tokens,
    "passwords": _passwords,
    "kms": _kms,
    "sqs": _sqs,
}


def prepare(app: "APIGatewayRestResolver", needs: Iterable[str]) -> None:
    """Before the snapshot: the function's `needs` imported and built, its routes' validation built."""
    from aws_lambda_powertools.utilities.data_classes import ALBEvent, APIGatewayProxyEvent, VPCLatticeEventV2
    from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

    from hellojohn.edge.resolver import routes_of  # the resolver imports this module: not at the top

    for need in needs:
        for name in MODULES[need]:
            importlib.import_module(name)
        if need in BUILDERS:
            BUILDERS[need]()
    for route in routes_of(app):
        # the route's dependant and body field, and the validators of its body and its response
        # (Powertools' ModelField makes a TypeAdapter that pydantic defers for our defer_build models)
        for field in (route.body_field, route.dependant.return_param):
            if field is not None:
                field._type_adapter.rebuild()
    # the ABC checks of a dispatch, each cached after the first: Powertools asks whether the event is
    # one of its event classes, and its validation whether an API Gateway event is a VPC Lattice or
    # ALB one; botocore whether a request's headers (a list of pairs) are a mapping
    isinstance({}, BaseProxyEvent)
    isinstance(APIGatewayProxyEvent({}), (VPCLatticeEventV2, ALBEvent))
    isinstance([], Mapping)


def refresh() -> None:
    """After a restore: fresh randomness, and no cached data that another copy may hold too (only
    for modules the function has loaded: the hook imports nothing)."""
    random.seed(os.urandom(32))
    loaded = sys.modules
    if "ulid" in loaded:
        import ulid

        ulid.default_generator = ulid.ULIDGenerator()
    caches.forget_data()
    if "aws_lambda_powertools.logging.logger" in loaded:  # the first request after it is a cold start
        setattr(loaded["aws_lambda_powertools.logging.logger"], "is_cold_start", True)  # noqa: B010


def install(app: "APIGatewayRestResolver", needs: Iterable[str]) -> None:
    """Register the function's hooks (called by `hellojohn.edge.resolver.entry`)."""
    unknown = set(needs) - set(MODULES)
    if unknown:
        raise ValueError(f"unknown needs: {sorted(unknown)}")
    register_before_snapshot(prepare, app, tuple(needs))
    register_after_restore(refresh)


def registered() -> tuple[int, int]:
    """How many before-snapshot and after-restore hooks are registered so far."""
    return len(get_before_snapshot()), len(get_after_restore())


def _run(hooks: list[Any], since: int) -> int:
    for func, args, kwargs in hooks[since:]:
        func(*args, **kwargs)
    return len(hooks)


def run_before_snapshot(since: int = 0) -> int:
    """Run the registered before-snapshot hooks (from index `since`), as Lambda does at publish;
    returns how many there are, to pass as `since` next time."""
    return _run(get_before_snapshot(), since)


def run_after_restore(since: int = 0) -> int:
    """Run the registered after-restore hooks, as Lambda does before a restored copy's first request."""
    return _run(get_after_restore(), since)
