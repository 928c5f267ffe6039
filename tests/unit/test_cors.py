"""CORS (hellojohn.edge.cors, hellojohn.rules.origins): origin patterns, the preflight answer, the
per-tenant grant, its cost, and the template's OPTIONS route on every path."""

import pytest
from hellojohn.edge import cors
from hellojohn.rules import origins

from local_runner import template
from tests.awscalls import counting
from tests.conftest import Api, Tenant, bearer, make_tenant, sign_in

APP = "https://app.acme.test"


@pytest.mark.parametrize(
    ("origin", "entries", "granted"),
    [
        ("https://app.acme.test", ["https://app.acme.test"], True),
        ("https://APP.acme.test", ["https://app.acme.test"], True),
        ("https://app.acme.test:443", ["https://app.acme.test"], True),
        ("https://app.acme.test:8443", ["https://app.acme.test"], False),
        ("http://app.acme.test", ["https://app.acme.test"], False),
        ("https://evil.app.acme.test", ["https://app.acme.test"], False),
        ("https://app.acme.test.evil.example", ["https://app.acme.test"], False),
        ("http://localhost:5173", ["http://localhost:*"], True),
        ("http://localhost", ["http://localhost:*"], True),
        ("https://localhost:5173", ["http://localhost:*"], False),
        ("http://127.0.0.1:3000", ["http://127.0.0.1:*"], True),
        ("http://[::1]:3000", ["http://[::1]:*"], True),
        ("null", ["http://localhost:*"], False),
        ("http://localhost:*", ["http://localhost:*"], False),  # a pattern is not an origin
        ("https://app.acme.test/", ["https://app.acme.test"], False),
        ("https://app.acme.test", [], False),
    ],
)
def test_allowed(origin: str, entries: list[str], granted: bool) -> None:
    assert origins.allowed(origin, entries) is granted


def test_allowed_origins_are_checked_and_normalised() -> None:
    assert origins.check_allowed_origins(
        ["HTTPS://App.Acme.test:443", "http://localhost:*", "http://x.test:8080"]
    ) == (
        "https://app.acme.test",
        "http://localhost:*",
        "http://x.test:8080",
    )
    for bad in (
        "app.acme.test",
        "https://app.acme.test/path",
        "ftp://x.test",
        "https://*.acme.test",
        "*",
        "",
    ):
        with pytest.raises(ValueError, match="is not an origin"):
            origins.check_allowed_origins([bad])


def test_the_preflight_answers_any_origin_and_never_allows_credentials() -> None:
    got = cors.preflight({"Origin": "https://anyone.example", "Access-Control-Request-Method": "PATCH"})
    assert got["Access-Control-Allow-Origin"] == "https://anyone.example"
    assert "PATCH" in got["Access-Control-Allow-Methods"]
    assert "If-Match" in got["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in got
    assert "Access-Control-Allow-Origin" not in cors.preflight({"Origin": "null"})
    assert "Access-Control-Allow-Origin" not in cors.preflight({})


def test_every_api_path_has_an_options_route_and_every_method_is_allowed() -> None:
    routes = [r for f in template.functions() for r in f.routes]
    paths = {r.path for r in routes}
    assert {r.path for r in routes if r.method == "OPTIONS"} == paths
    assert {r.method for r in routes} - {"OPTIONS"} <= set(cors.ALLOWED_METHODS)


@pytest.fixture
def browser_tenant(aws: dict[str, str]) -> Tenant:
    return make_tenant("Acme", origins=(APP, "http://localhost:*"))


def test_the_grant_follows_the_tenant_of_the_key(
    api: Api, browser_tenant: Tenant, other_tenant: Tenant
) -> None:
    granted = api("GET", "/v1/users", headers={**browser_tenant.admin(), "Origin": APP})
    assert granted.status == 200
    assert granted.headers["Access-Control-Allow-Origin"] == APP
    exposed = "ETag, X-Request-ID, Retry-After, WWW-Authenticate"  # the last: RFC 9470's max_age, for the SDK
    assert granted.headers["Access-Control-Expose-Headers"] == exposed
    refused = api("GET", "/v1/users", headers={**other_tenant.admin(), "Origin": APP})
    assert refused.status == 200 and "Access-Control-Allow-Origin" not in refused.headers
    # naming a tenant that allows the origin, with another tenant's key: only the error is readable
    headers = {**other_tenant.admin(), "X-Tenant-ID": browser_tenant.id, "Origin": APP}
    assert api("GET", "/v1/users", headers=headers).error == "tenant_mismatch"


def test_the_grant_follows_the_tid_of_an_access_token(api: Api, browser_tenant: Tenant) -> None:
    created = api(
        "POST",
        "/v1/users",
        {"email": "b@example.com", "password": "Correct-Horse-42"},
        browser_tenant.admin(),
    )
    assert created.status == 201
    token = sign_in(api, browser_tenant, "b@example.com")["access_token"]
    me = api("GET", "/v1/auth/me", headers={**bearer(token), "Origin": "http://localhost:5173"})
    assert me.status == 200 and me.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
    garbage = api("GET", "/v1/auth/me", headers={**bearer("a.b.c"), "Origin": "http://localhost:5173"})
    assert garbage.status == 401 and "Access-Control-Allow-Origin" not in garbage.headers


def test_cors_costs_no_call_without_origin_and_only_the_cached_tenant_with_one(
    api: Api, browser_tenant: Tenant
) -> None:
    created = api(
        "POST",
        "/v1/users",
        {"email": "c@example.com", "password": "Correct-Horse-42"},
        browser_tenant.admin(),
    )
    uid = created.body["id"]
    api("GET", f"/v1/users/{uid}", headers=browser_tenant.admin())  # warm: key and tenant cached
    with counting() as plain:
        api("GET", f"/v1/users/{uid}", headers=browser_tenant.admin())
    with counting() as browser:
        reply = api("GET", f"/v1/users/{uid}", headers={**browser_tenant.admin(), "Origin": APP})
    assert reply.headers["Access-Control-Allow-Origin"] == APP
    assert browser.names() == plain.names() == ["dynamodb.GetItem"]

    token = sign_in(api, browser_tenant, "c@example.com")["access_token"]
    with counting() as plain_me:
        api("GET", "/v1/auth/me", headers=bearer(token))
    with counting() as browser_me:
        api("GET", "/v1/auth/me", headers={**bearer(token), "Origin": APP})
    assert browser_me.names() == plain_me.names()  # the tenant was cached by the key requests above
