"""Issue 2's "must show", over HTTP against the local runner: users, sessions, tenants, errors."""

import pytest

from tests.conftest import PASSWORD, Tenant
from tests.e2e.conftest import Http, UserFactory, assert_error, bearer, sign_in, unique_email

pytestmark = pytest.mark.e2e


def test_user_lifecycle_create_sign_in_me_refresh_sign_out(
    api: Http, demo: Tenant, create_user: UserFactory
) -> None:
    email = unique_email("lifecycle")
    created = api(
        "POST",
        "/v1/users",
        {"email": email, "password": PASSWORD, "name": "Lia", "private_metadata": {"plan": "gold"}},
        demo.admin(),
    )
    assert created.status == 201, created.body
    assert created.body["email"] == email and created.body["private_metadata"] == {"plan": "gold"}
    assert "password" not in created.body and "password_hash" not in created.body

    signed = api("POST", "/v1/auth/sign-in", {"email": email, "password": PASSWORD}, demo.public())
    assert signed.status == 200, signed.body
    session = signed.body["session"]
    assert session["access_token"] and session["refresh_token"]
    assert signed.body["user"]["id"] == created.body["id"]

    me = api("GET", "/v1/auth/me", headers=bearer(session["access_token"]))
    assert me.status == 200, me.body
    assert me.body["id"] == created.body["id"] and me.body["email"] == email
    assert "private_metadata" not in me.body

    refreshed = api("POST", "/v1/auth/refresh", {"refresh_token": session["refresh_token"]}, demo.public())
    assert refreshed.status == 200, refreshed.body
    new = refreshed.body["session"]
    assert new["refresh_token"] != session["refresh_token"]
    assert new["access_token_expires_at"] >= session["access_token_expires_at"]
    assert api("GET", "/v1/auth/me", headers=bearer(new["access_token"])).status == 200
    # presented again at once it is a retry (within the reuse interval): the same successor
    again = api("POST", "/v1/auth/refresh", {"refresh_token": session["refresh_token"]}, demo.public())
    assert again.status == 200, again.body
    assert again.body["session"]["refresh_token"] == new["refresh_token"]

    # sign in afresh
    fresh = sign_in(api, demo, email)
    out = api("POST", "/v1/auth/sign-out", headers=bearer(fresh["access_token"]))
    assert out.status == 204, out.body
    assert_error(api("GET", "/v1/auth/me", headers=bearer(fresh["access_token"])), 401, "session_revoked")
    assert (
        api("POST", "/v1/auth/refresh", {"refresh_token": fresh["refresh_token"]}, demo.public()).status
        == 401
    )


def test_refresh_then_sign_out_revokes_the_new_access_token(
    api: Http, demo: Tenant, create_user: UserFactory
) -> None:
    user = create_user(demo)
    session = sign_in(api, demo, user["email"])
    new = api("POST", "/v1/auth/refresh", {"refresh_token": session["refresh_token"]}, demo.public()).body[
        "session"
    ]
    assert api("GET", "/v1/auth/me", headers=bearer(new["access_token"])).status == 200
    assert api("POST", "/v1/auth/sign-out", headers=bearer(new["access_token"])).status == 204
    assert_error(api("GET", "/v1/auth/me", headers=bearer(new["access_token"])), 401, "session_revoked")


def test_a_secret_key_with_another_tenants_id_is_tenant_mismatch(
    api: Http, demo: Tenant, other_tenant: Tenant
) -> None:
    headers = {"Authorization": f"Bearer {demo.secret_key}", "X-Tenant-ID": other_tenant.id}
    assert_error(api("GET", "/v1/users", headers=headers), 403, "tenant_mismatch")
    public = {"Authorization": f"Bearer {demo.publishable_key}", "X-Tenant-ID": other_tenant.id}
    reply = api("POST", "/v1/auth/sign-in", {"email": "x@example.com", "password": PASSWORD}, public)
    assert_error(reply, 403, "tenant_mismatch")


def test_an_access_token_with_another_tenants_id_is_tenant_mismatch(
    api: Http, demo: Tenant, other_tenant: Tenant, create_user: UserFactory
) -> None:
    user = create_user(demo)
    token = sign_in(api, demo, user["email"])["access_token"]
    reply = api("GET", "/v1/auth/me", headers={**bearer(token), "X-Tenant-ID": other_tenant.id})
    assert_error(reply, 403, "tenant_mismatch")


def test_tenant_a_can_never_read_tenant_bs_user(
    api: Http, demo: Tenant, other_tenant: Tenant, create_user: UserFactory
) -> None:
    theirs = create_user(other_tenant)
    assert api("GET", f"/v1/users/{theirs['id']}", headers=other_tenant.admin()).status == 200
    assert_error(api("GET", f"/v1/users/{theirs['id']}", headers=demo.admin()), 404, "user_not_found")
    listed = api("GET", f"/v1/users?email={theirs['email']}", headers=demo.admin())
    assert listed.status == 200 and listed.body["data"] == []
    patch = api("PATCH", f"/v1/users/{theirs['id']}", {"name": "Mallory"}, demo.admin())
    assert_error(patch, 404, "user_not_found")
    assert api("GET", f"/v1/users/{theirs['id']}", headers=other_tenant.admin()).body["name"] is None
    # nor sign in as them through tenant A
    reply = api("POST", "/v1/auth/sign-in", {"email": theirs["email"], "password": PASSWORD}, demo.public())
    assert_error(reply, 401, "invalid_credentials")


def test_malformed_json_is_400_invalid_json(api: Http, demo: Tenant, create_user: UserFactory) -> None:
    user = create_user(demo)
    reply = api("PATCH", f"/v1/users/{user['id']}", raw='{"name": "Al', headers=demo.admin())
    assert_error(reply, 400, "invalid_json")


def test_an_unknown_field_is_422_never_dropped(api: Http, demo: Tenant, create_user: UserFactory) -> None:
    user = create_user(demo)
    reply = api("PATCH", f"/v1/users/{user['id']}", {"nmae": "Typo"}, demo.admin())
    assert_error(reply, 422, "validation_failed")
    assert [d["field"] for d in reply.body["error"]["details"]] == ["nmae"]
    assert api("GET", f"/v1/users/{user['id']}", headers=demo.admin()).body["name"] is None


def test_no_credentials_is_401_in_the_error_shape(api: Http) -> None:
    assert_error(api("GET", "/v1/users"), 401, "unauthorized")


def test_jwks_is_public(api: Http) -> None:
    reply = api("GET", "/v1/.well-known/jwks.json")
    assert reply.status == 200
    [key] = reply.body["keys"]
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519" and key["alg"] == "EdDSA"
