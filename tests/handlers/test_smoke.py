from tests.conftest import bearer, sign_in


def test_create_sign_in_me(api, tenant, user):
    session = sign_in(api, tenant)
    me = api("GET", "/v1/auth/me", headers=bearer(session["access_token"]))
    assert me.status == 200, me.body
    assert me.body["email"] == "alice@example.com"
    assert "private_metadata" not in me.body
