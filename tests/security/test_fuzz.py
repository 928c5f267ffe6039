"""A fixed-seed schemathesis pass over every operation of docs/openapi.json, in process (the long
run is `make fuzz`, against the local runner)."""

import sys
from typing import Any

from tests.conftest import Tenant
from tests.fuzz import clients, core

PER_OPERATION = 6  # examples per operation and mode (valid, invalid); `make fuzz` sends 1,000+


def test_fuzz_every_operation(aws: dict[str, Any], tenant: Tenant) -> None:
    raw = core.document()
    app = clients.gateway_app()
    client = clients.InProcess(app)
    creds = core.Credentials(client, tenant.id, tenant.secret_key, tenant.publishable_key)
    report = core.run_all(
        raw, client, creds, per_operation=PER_OPERATION, stateful_runs=4, seed=20261126, app=app
    )
    sys.stdout.write(report.summary() + "\n")  # shown with -s
    assert not report.failures, report.summary()
    assert set(report.by_operation) == {f"{m} {p}" for m, p in core.operations(raw)}
    assert report.requests >= 150
    assert report.stateful_steps > 0
    assert not any(status >= 500 for status in report.statuses)
