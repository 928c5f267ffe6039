"""The race tests' world: one moto server per module that applies each call atomically, with the
template's resources (tests/security/race.py); requests come from separate processes."""

from collections.abc import Iterator

import pytest

from tests.conftest import Api, Tenant, make_tenant
from tests.security.race import world


@pytest.fixture(scope="module")
def shared() -> Iterator[dict[str, str]]:
    with world() as refs:
        yield refs


@pytest.fixture
def api(shared: dict[str, str]) -> Api:
    return Api()


@pytest.fixture
def tenant(shared: dict[str, str]) -> Tenant:
    return make_tenant()
