"""Calls a function makes only when its own process is cold.

In the tests every function shares one process, so one function's cached tenant or signing key
spares another the read it would make on AWS, where each function has its own instances. These
tests empty the caches before each request, so each function makes its own reads under its own
role: a browser's request to every route reads its tenant for CORS, and every route that verifies
or issues an access token reads the signing key.
"""

import re
from typing import Any

import pytest

from tests.awscalls import counting
from tests.conftest import PASSWORD, Api, Tenant, _reset_caches, make_tenant, sign_in

ORIGIN = "https://app.acme.test"


@pytest.fixture
def browser_tenant(aws: dict[str, str]) -> Tenant:
    return make_tenant("Acme", origins=(ORIGIN,))


def _routes() -> list[tuple[str, str]]:
    from local_runner import events, template

    table = events.route_table(template.functions())
    return sorted({(r.method, r.path) for r, _ in table if r.method != "OPTIONS"})


def _concrete(path: str) -> str:
    return re.sub(r"\{\w+\}", "usr_01M8TN5KPM1818D420TNH5Z82J", path)


@pytest.mark.parametrize(("method", "path"), _routes())
def test_a_browser_gets_its_origin_granted_on_every_route_cold(
    api: Api, browser_tenant: Tenant, method: str, path: str
) -> None:
    """Unauthenticated or not, the response names the origin the tenant allows (AuthSignOutFunction
    could not read its tenant on the template of 47d7ac6: its sign-outs got no grant)."""
    _reset_caches()
    body: dict[str, Any] | None = {} if method in {"POST", "PATCH"} else None
    headers = {"Origin": ORIGIN, "X-Tenant-ID": browser_tenant.id}
    reply = api(method, _concrete(path), body, headers)
    assert reply.status < 500, reply.body
    assert reply.headers.get("Access-Control-Allow-Origin") == ORIGIN


def _token_calls(tenant: Tenant, session: dict[str, Any]) -> list[tuple[str, str, Any, dict[str, str]]]:
    bearer = {"Authorization": f"Bearer {session['access_token']}"}
    return [
        ("GET", "/v1/auth/me", None, bearer),
        ("PATCH", "/v1/auth/me", {"name": "Alice B"}, bearer),
        (
            "POST",
            "/v1/auth/password/change",
            {"current_password": "wrong-one-42", "new_password": PASSWORD + "!"},
            bearer,
        ),
        ("POST", "/v1/auth/refresh", {"refresh_token": session["refresh_token"]}, tenant.public()),
        ("POST", "/v1/auth/reauthenticate", {"password": PASSWORD}, bearer),  # after the refresh: it rotates
        ("GET", "/v1/.well-known/jwks.json", None, {}),
        ("GET", "/v1/auth/sessions", None, bearer),
        ("POST", f"/v1/auth/sessions/{session['id']}/revoke", None, bearer),  # its own: a sign-out
        ("POST", "/v1/auth/sign-out", None, bearer),
        ("DELETE", "/v1/auth/me", None, bearer),  # last: the session is over (401), the key read first
    ]


def test_every_token_route_reads_the_signing_key_cold(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    session = sign_in(api, tenant)
    for method, path, body, headers in _token_calls(tenant, session):
        _reset_caches()
        with counting() as calls:
            reply = api(method, path, body, headers)
        assert reply.status < 500, (path, reply.body)
        assert ("secretsmanager", "GetSecretValue") in calls.made, path
