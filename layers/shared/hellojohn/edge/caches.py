"""The layer's per-process caches, in one place: a cache added to the layer is added here.

- `forget_data()`: what a restored SnapStart copy must not share with the other copies of the
  same snapshot: tenants and API keys, the derived signing key and Powertools' cached seed, the
  access tokens it verified, the dummy password hash. It imports nothing: it clears what the
  modules already loaded hold.
- `reset()`: everything, settings and clients too, so the next request in this process is a
  cold one (the tests' fixtures, the benchmarks).
"""

import sys
from collections.abc import Callable
from typing import Any


def forget_data() -> None:
    loaded = sys.modules
    if "hellojohn.rules.tenancy" in loaded:
        loaded["hellojohn.rules.tenancy"].clear_caches()
    if "hellojohn.rules.tokens" in loaded:
        loaded["hellojohn.rules.tokens"].forget_keys()
    if "hellojohn.rules.passwords" in loaded:
        loaded["hellojohn.rules.passwords"].forget_dummy_hash()
    if "hellojohn.adapters.keys_kms" in loaded:
        loaded["hellojohn.adapters.keys_kms"].forget_secrets()


def client_factories() -> "tuple[Any, ...]":
    """The layer's boto3 clients, each made once per process by its `functools.cache` factory
    (the Secrets Manager client is Powertools' own: `parameters`)."""
    from hellojohn.adapters import bus, jobs, keys_kms, mail
    from hellojohn.store import client

    factories: tuple[Callable[[], Any], ...] = (client.dynamodb, jobs.sqs, mail.ses, bus.events, keys_kms.kms)
    return factories


def reset() -> None:
    from aws_lambda_powertools.utilities import parameters

    from hellojohn import config

    forget_data()
    config.settings.cache_clear()
    for factory in client_factories():
        factory.cache_clear()
    parameters.clear_caches()  # type: ignore[no-untyped-call]  # Powertools leaves it unannotated
