"""CORS over HTTP: the template's OPTIONS routes answer preflights; each actual response grants the
origin only when the tenant the request names allows it (the demo tenant: loopback, any port)."""

import pytest

from local_runner import template
from tests.conftest import Tenant
from tests.e2e.conftest import Http, Runner, UserFactory, bearer, make_tenant, sign_in

pytestmark = pytest.mark.e2e
APP = "http://localhost:5173"  # the SDK example's dev server: allowed by the demo tenant's http://localhost:*
EVIL = "https://evil.example"


def _preflight(api: Http, path: str, origin: str, method: str = "PATCH") -> dict[str, str | None]:
    reply = api(
        "OPTIONS",
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type, x-tenant-id, if-match",
        },
    )
    assert reply.status == 204, reply.body
    names = ("Allow-Origin", "Allow-Methods", "Allow-Headers", "Max-Age", "Allow-Credentials")
    return {n: reply.header(f"Access-Control-{n}") for n in names}


def test_every_declared_path_answers_a_preflight(api: Http) -> None:
    paths = {r.path for f in template.functions() for r in f.routes}
    for path in paths:
        concrete = path.replace("{user_id}", "usr_01HABCDEF123456")
        got = _preflight(api, concrete, APP)
        assert got["Allow-Origin"] == APP, path
        assert {"GET", "POST", "PATCH"} <= {m.strip() for m in (got["Allow-Methods"] or "").split(",")}
        allowed = {h.strip().lower() for h in (got["Allow-Headers"] or "").split(",")}
        assert {"authorization", "content-type", "x-tenant-id", "idempotency-key", "if-match"} <= allowed
        assert got["Allow-Credentials"] is None


def test_a_preflight_without_a_usable_origin_grants_nothing(api: Http) -> None:
    assert _preflight(api, "/v1/users", "null")["Allow-Origin"] is None


def test_an_allowed_origin_is_granted_on_key_and_token_requests(
    api: Http, demo: Tenant, create_user: UserFactory
) -> None:
    user = create_user(demo)
    admin = api("GET", f"/v1/users/{user['id']}", headers={**demo.admin(), "Origin": APP})
    assert admin.status == 200
    assert admin.header("Access-Control-Allow-Origin") == APP
    exposed = {h.strip() for h in (admin.header("Access-Control-Expose-Headers") or "").split(",")}
    assert {"ETag", "X-Request-ID", "Retry-After"} <= exposed
    assert "Origin" in (admin.header("Vary") or "")
    assert admin.header("Access-Control-Allow-Credentials") is None

    token = sign_in(api, demo, user["email"])["access_token"]
    me = api("GET", "/v1/auth/me", headers={**bearer(token), "Origin": "http://127.0.0.1:4173"})
    assert me.status == 200 and me.header("Access-Control-Allow-Origin") == "http://127.0.0.1:4173"
    # errors too, so that the SDK can read them (here: no such user)
    missing = api("GET", "/v1/users/usr_01HZZZZZZZZZZZZZZZZZZZZZZZ", headers={**demo.admin(), "Origin": APP})
    assert missing.status == 404 and missing.header("Access-Control-Allow-Origin") == APP


def test_a_disallowed_origin_gets_no_grant(api: Http, demo: Tenant, create_user: UserFactory) -> None:
    user = create_user(demo)
    for origin in (EVIL, "https://localhost:5173", "http://localhost.evil.example:5173", "null"):
        reply = api("GET", f"/v1/users/{user['id']}", headers={**demo.admin(), "Origin": origin})
        assert reply.status == 200
        assert reply.header("Access-Control-Allow-Origin") is None, origin
        assert reply.header("Access-Control-Expose-Headers") is None


def test_origins_are_per_tenant(api: Http, runner: Runner, demo: Tenant, create_user: UserFactory) -> None:
    acme = make_tenant(runner, "Acme CORS", "--allowed-origin", "https://app.acme.example")
    user = create_user(acme)
    mine = api(
        "GET", f"/v1/users/{user['id']}", headers={**acme.admin(), "Origin": "https://app.acme.example"}
    )
    assert mine.header("Access-Control-Allow-Origin") == "https://app.acme.example"
    local = api("GET", f"/v1/users/{user['id']}", headers={**acme.admin(), "Origin": APP})
    assert local.header("Access-Control-Allow-Origin") is None
    # the demo tenant does not list Acme's origin either
    demo_user = create_user(demo)
    theirs = api(
        "GET", f"/v1/users/{demo_user['id']}", headers={**demo.admin(), "Origin": "https://app.acme.example"}
    )
    assert theirs.header("Access-Control-Allow-Origin") is None
