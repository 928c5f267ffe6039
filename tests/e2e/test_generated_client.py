"""docs/openapi.json drives a generated client: openapi-python-client generates one from the
committed document, and these tests call the running API with it, as a third party would.

A change that breaks generated clients (an undeclared header, a default the server refuses, a
nullable field it rejects, a body shape a generator cannot build) fails here.
"""

import importlib.util
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import ROOT, Runner

pytestmark = pytest.mark.e2e

PACKAGE = "hellojohn_client"


@pytest.fixture(scope="module")
def gen(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The generated package, imported under its own name (no sys.path change)."""
    out = tmp_path_factory.mktemp("generated") / PACKAGE
    config = out.parent / "config.yaml"
    config.write_text(f"project_name_override: hellojohn-client\npackage_name_override: {PACKAGE}\n")
    bin_dir = Path(sys.executable).parent
    done = subprocess.run(
        [
            str(bin_dir / "openapi-python-client"),
            "generate",
            "--path",
            str(ROOT / "docs" / "openapi.json"),
            "--output-path",
            str(out),
            "--meta",
            "none",
            "--config",
            str(config),
            "--fail-on-warning",
        ],
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},  # its ruff
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    spec = importlib.util.spec_from_file_location(
        PACKAGE, out / "__init__.py", submodule_search_locations=[str(out)]
    )
    assert spec is not None and spec.loader is not None
    package = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = package
    spec.loader.exec_module(package)
    try:
        yield package
    finally:
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def _mod(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


class Clients:
    """The generated client, three ways: as an admin backend, as a browser before sign-in, as a user."""

    def __init__(self, gen: ModuleType, runner: Runner) -> None:
        client = _mod("client")
        creds = runner.credentials
        self.tid = creds["tenant_id"]
        self.admin = client.AuthenticatedClient(base_url=runner.api_url, token=creds["secret_key"])
        self.public = client.AuthenticatedClient(base_url=runner.api_url, token=creds["publishable_key"])
        self.base_url = runner.api_url

    def user(self, access_token: str) -> Any:
        return _mod("client").AuthenticatedClient(base_url=self.base_url, token=access_token)


@pytest.fixture(scope="module")
def clients(gen: ModuleType, runner: Runner) -> Clients:
    return Clients(gen, runner)


def _create(clients: Clients, **fields: Any) -> Any:
    models = _mod("models")
    email = f"gen.{uuid.uuid4().hex[:12]}@example.com"
    body = models.CreateUser(email=email, password=PASSWORD, **fields)
    reply = _mod("api.users.create_user").sync_detailed(
        client=clients.admin, body=body, x_tenant_id=clients.tid
    )
    assert reply.status_code == 201, reply.content
    return reply.parsed


def _sign_in(clients: Clients, email: str, password: str = PASSWORD) -> Any:
    body = _mod("models").SignIn(email=email, password=password)
    reply = _mod("api.auth.sign_in").sync_detailed(client=clients.public, body=body, x_tenant_id=clients.tid)
    assert reply.status_code == 200, reply.content
    return reply.parsed.session


def test_create_read_and_the_seeds_admin_patch(clients: Clients) -> None:
    models = _mod("models")
    created = _create(clients, name="Gen")
    read = _mod("api.users.get_user").sync_detailed(created.id, client=clients.admin, x_tenant_id=clients.tid)
    assert read.status_code == 200 and read.parsed.email == created.email
    etag = read.headers["ETag"]
    body = models.AdminUserUpdate(name="Alice J. Smith", phone_number="+14155552671", role="admin")
    patched = _mod("api.users.update_user").sync_detailed(
        created.id, client=clients.admin, body=body, x_tenant_id=clients.tid, if_match=etag
    )
    assert patched.status_code == 200, patched.content
    assert (patched.parsed.name, patched.parsed.role) == ("Alice J. Smith", "admin")
    stale = _mod("api.users.update_user").sync_detailed(
        created.id,
        client=clients.admin,
        body=models.AdminUserUpdate(name="B"),
        x_tenant_id=clients.tid,
        if_match=etag,
    )
    assert stale.status_code == 412
    assert stale.parsed.error.code.value == "precondition_failed"


def test_sign_in_me_and_the_password_change(clients: Clients) -> None:
    models = _mod("models")
    created = _create(clients)
    session = _sign_in(clients, created.email)
    me = _mod("api.auth.get_me").sync_detailed(client=clients.user(session.access_token))
    assert me.status_code == 200 and me.parsed.id == created.id
    body = models.ChangePassword(current_password=PASSWORD, new_password="Another-Long-Pass-93")
    changed = _mod("api.auth.change_password").sync_detailed(
        client=clients.user(session.access_token), body=body, idempotency_key=uuid.uuid4().hex
    )
    assert changed.status_code == 200, changed.content
    _sign_in(clients, created.email, "Another-Long-Pass-93")


def test_a_temporary_password_with_the_generated_defaults(clients: Clients) -> None:
    """The generated model sends `sign_out_all_sessions: false` (its default) with `temporary`."""
    models = _mod("models")
    created = _create(clients)
    body = models.SetPassword(password="Welcome-Aboard-2026", temporary=True)
    assert body.to_dict()["sign_out_all_sessions"] is False
    reply = _mod("api.users.set_password").sync_detailed(
        created.id, client=clients.admin, body=body, x_tenant_id=clients.tid
    )
    assert reply.status_code == 200, reply.content
    assert reply.parsed.password_change_required is True


def test_metadata_merge_and_an_optional_body(clients: Clients) -> None:
    models = _mod("models")
    created = _create(clients)
    patch = models.MetadataMerge.from_dict({"public_metadata": {"prefs": {"theme": "dark"}}})
    merged = _mod("api.users.merge_metadata").sync_detailed(
        created.id, client=clients.admin, body=patch, x_tenant_id=clients.tid
    )
    assert merged.status_code == 200, merged.content
    assert merged.parsed.public_metadata.to_dict() == {"prefs": {"theme": "dark"}}
    disabled = _mod("api.users.disable_user").sync_detailed(
        created.id,
        client=clients.admin,
        body=models.DisableUser(revoke_sessions=True),
        x_tenant_id=clients.tid,
    )
    assert disabled.status_code == 200 and disabled.parsed.disabled is True
    enabled = _mod("api.users.enable_user").sync_detailed(
        created.id, client=clients.admin, x_tenant_id=clients.tid
    )
    assert enabled.status_code == 200 and enabled.parsed.disabled is False


def test_sessions_listed_and_revoked(clients: Clients) -> None:
    created = _create(clients)
    first = _sign_in(clients, created.email)
    second = _sign_in(clients, created.email)
    mine = _mod("api.sessions.list_my_sessions").sync_detailed(client=clients.user(first.access_token))
    assert mine.status_code == 200
    assert {s.id for s in mine.parsed.data} == {first.id, second.id}
    revoked = _mod("api.sessions.revoke_session").sync_detailed(
        created.id, second.id, client=clients.admin, x_tenant_id=clients.tid
    )
    assert revoked.status_code == 204, revoked.content
    listed = _mod("api.sessions.list_sessions").sync_detailed(
        created.id, client=clients.admin, x_tenant_id=clients.tid
    )
    assert [s.id for s in listed.parsed.data] == [first.id]
    gone = _mod("api.auth.get_me").sync_detailed(client=clients.user(second.access_token))
    assert gone.status_code == 401 and gone.parsed.error.code.value == "session_revoked"
