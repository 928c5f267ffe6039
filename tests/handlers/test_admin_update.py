"""PATCH /v1/users/{user_id} (secret key): the admin column of the seed page."""

from typing import Any

import pytest

from tests.conftest import Api, Tenant, bearer, sign_in
from tests.handlers.helpers import can_sign_in, create_user, get_user

SEED_BODY = {
    "name": "Alice J. Smith",
    "email": "alice.new@example.com",
    "phone_number": "+14155552671",
    "role": "admin",
}

FULL = {
    "name": "Alice Full",
    "avatar_url": "https://cdn.example.com/alice.png",
    "phone_number": "+442071838750",
    "role": "admin",
    "email_verified": True,
    "public_metadata": {"plan": "pro"},
    "private_metadata": {"stripe": "cus_123"},
}


@pytest.fixture
def full_user(api: Api, tenant: Tenant) -> dict[str, Any]:
    """A user with every field set, so that "unchanged" means something for each of them."""
    return create_user(api, tenant, "full@example.com", **FULL)


def patch(api: Api, tenant: Tenant, uid: str, body: Any, **headers: str) -> Any:
    return api("PATCH", f"/v1/users/{uid}", body, {**tenant.admin(), **headers})


def without(d: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k not in names}


def test_seed_body_as_printed(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    """The seed's curl body: name, phone and role change at once; the email waits for verification."""
    reply = patch(api, tenant, user["id"], SEED_BODY)
    assert reply.status == 200, reply.body
    body = reply.body
    assert body["name"] == "Alice J. Smith"
    assert body["phone_number"] == "+14155552671"
    assert body["role"] == "admin"
    assert body["email"] == "alice@example.com"
    assert body["pending_email"] == "alice.new@example.com"
    assert body["email_verified"] is False
    assert "private_metadata" in body
    assert reply.headers["ETag"] == '"2"'
    # a following GET shows the same user
    assert get_user(api, tenant, user["id"]) == body
    # the old address still signs in; the new one does not until it is verified
    assert can_sign_in(api, tenant, "alice@example.com") == 200
    assert can_sign_in(api, tenant, "alice.new@example.com") == 401


NEW_VALUES: dict[str, Any] = {
    "name": "Someone Else",
    "avatar_url": "http://img.example.org/x.jpg",
    "phone_number": "+14155552671",
    "role": "member",
    "email_verified": False,
    "public_metadata": {"tier": 2},
    "private_metadata": {"note": "vip"},
}


@pytest.mark.parametrize("field", sorted(NEW_VALUES))
def test_only_the_sent_field_changes(api: Api, tenant: Tenant, full_user: dict[str, Any], field: str) -> None:
    before = get_user(api, tenant, full_user["id"])
    reply = patch(api, tenant, full_user["id"], {field: NEW_VALUES[field]})
    assert reply.status == 200, reply.body
    assert reply.body[field] == NEW_VALUES[field]
    assert before[field] != NEW_VALUES[field]
    after = get_user(api, tenant, full_user["id"])
    assert after == reply.body
    assert without(after, field, "updated_at") == without(before, field, "updated_at")


def test_only_email_sent_changes_only_pending_email(
    api: Api, tenant: Tenant, full_user: dict[str, Any]
) -> None:
    before = get_user(api, tenant, full_user["id"])
    reply = patch(api, tenant, full_user["id"], {"email": "full.new@example.com"})
    assert reply.status == 200, reply.body
    after = get_user(api, tenant, full_user["id"])
    assert after["pending_email"] == "full.new@example.com"
    assert without(after, "pending_email", "updated_at") == without(before, "pending_email", "updated_at")


def test_empty_body_changes_nothing(api: Api, tenant: Tenant, full_user: dict[str, Any]) -> None:
    before = get_user(api, tenant, full_user["id"])
    reply = patch(api, tenant, full_user["id"], {})
    assert reply.status == 200, reply.body
    assert get_user(api, tenant, full_user["id"]) == before


def test_every_admin_field_at_once(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    reply = patch(
        api, tenant, user["id"], {**FULL, "email": "everything@example.com", "email_verified": True}
    )
    assert reply.status == 200, reply.body
    for name, value in FULL.items():
        assert reply.body[name] == value, name
    assert reply.body["email"] == "everything@example.com"
    assert reply.body["pending_email"] is None


# -- validation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "alice@localhost"}, "email"),
        ({"email": ""}, "email"),
        ({"email": None}, "email"),
        ({"email": 42}, "email"),
        ({"email": "a" * 250 + "@example.com"}, "email"),
        ({"phone_number": "4155552671"}, "phone_number"),
        ({"phone_number": "+1415555"}, "phone_number"),
        ({"phone_number": "+1 (415) not a number"}, "phone_number"),
        ({"phone_number": 14155552671}, "phone_number"),
        ({"role": "owner"}, "role"),
        ({"role": "Admin"}, "role"),
        ({"role": ""}, "role"),
        ({"role": None}, "role"),
        ({"avatar_url": "javascript:alert(1)"}, "avatar_url"),
        ({"avatar_url": "ftp://example.com/a.png"}, "avatar_url"),
        ({"avatar_url": "/relative/a.png"}, "avatar_url"),
        ({"avatar_url": "https://"}, "avatar_url"),
        ({"avatar_url": "https://example.com/" + "a" * 2048}, "avatar_url"),
        ({"public_metadata": ["not", "an", "object"]}, "public_metadata"),
        ({"private_metadata": "text"}, "private_metadata"),
        ({"public_metadata": {"blob": "x" * 8200}}, "public_metadata"),
        ({"private_metadata": {"blob": "x" * 8200}}, "private_metadata"),
        ({"name": "n" * 257}, "name"),
        ({"name": "bad\u0000name"}, "name"),
        ({"name": 7}, "name"),
        ({"email_verified": None}, "email_verified"),
        ({"email_verified": "maybe"}, "email_verified"),
        ({"nmae": "typo"}, "nmae"),
    ],
)
def test_invalid_field_is_422_and_changes_nothing(
    api: Api, tenant: Tenant, full_user: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    before = get_user(api, tenant, full_user["id"])
    reply = patch(api, tenant, full_user["id"], {"name": "Should Not Apply", **body})
    assert reply.status == 422, reply.body
    assert reply.error == "validation_failed"
    assert field in [d["field"] for d in reply.body["error"]["details"]], reply.body
    assert reply.body["error"]["message"]
    assert get_user(api, tenant, full_user["id"]) == before


def test_role_must_be_one_of_the_tenants_roles(api: Api) -> None:
    from hellojohn.rules import provisioning

    custom = provisioning.create_tenant(
        "Initech",
        live=False,
        email_from="it@initech.test",
        verify_url_base="https://initech.test/verify",
        roles=("admin", "member", "billing"),
    )
    tenant = Tenant(custom.tenant.id, custom.secret_key, custom.publishable_key)
    someone = create_user(api, tenant, "peter@initech.com")
    assert patch(api, tenant, someone["id"], {"role": "billing"}).body["role"] == "billing"
    reply = patch(api, tenant, someone["id"], {"role": "auditor"})
    assert reply.status == 422
    assert "billing" in reply.body["error"]["message"]


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("  Alice.New@EXAMPLE.COM  ", "Alice.New@example.com"),
        ("bob@Example.Org", "bob@example.org"),
    ],
)
def test_email_is_trimmed_and_its_domain_lower_cased(
    api: Api, tenant: Tenant, user: dict[str, Any], sent: str, stored: str
) -> None:
    reply = patch(api, tenant, user["id"], {"email": sent})
    assert reply.status == 200, reply.body
    assert reply.body["pending_email"] == stored


def test_email_taken_case_insensitively_is_409(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    create_user(api, tenant, "bob@example.com")
    before = get_user(api, tenant, user["id"])
    for address in ("bob@example.com", "BOB@Example.COM", "  Bob@example.com "):
        reply = patch(api, tenant, user["id"], {"email": address})
        assert reply.status == 409, reply.body
        assert reply.error == "email_taken"
        assert reply.body["error"]["details"][0]["field"] == "email"
    assert get_user(api, tenant, user["id"]) == before


def test_email_taken_in_another_tenant_is_free_here(
    api: Api, tenant: Tenant, other_tenant: Tenant, user: dict[str, Any]
) -> None:
    create_user(api, other_tenant, "bob@example.com")
    reply = patch(api, tenant, user["id"], {"email": "bob@example.com"})
    assert reply.status == 200, reply.body
    assert reply.body["pending_email"] == "bob@example.com"


@pytest.mark.parametrize(
    ("sent", "stored"),
    [("+1 415-555-2671", "+14155552671"), ("+44 20 7183 8750", "+442071838750"), ("", None), (None, None)],
)
def test_phone_number_is_stored_in_e164(
    api: Api, tenant: Tenant, full_user: dict[str, Any], sent: str | None, stored: str | None
) -> None:
    reply = patch(api, tenant, full_user["id"], {"phone_number": sent})
    assert reply.status == 200, reply.body
    assert reply.body["phone_number"] == stored
    assert get_user(api, tenant, full_user["id"])["phone_number"] == stored


@pytest.mark.parametrize("empty", ["", None, "   "])
def test_avatar_url_empty_or_null_clears_it(
    api: Api, tenant: Tenant, full_user: dict[str, Any], empty: str | None
) -> None:
    reply = patch(api, tenant, full_user["id"], {"avatar_url": empty})
    assert reply.status == 200, reply.body
    assert reply.body["avatar_url"] is None
    assert get_user(api, tenant, full_user["id"])["avatar_url"] is None


def test_name_is_trimmed_and_empty_clears_it(api: Api, tenant: Tenant, full_user: dict[str, Any]) -> None:
    assert patch(api, tenant, full_user["id"], {"name": "  Alice  "}).body["name"] == "Alice"
    assert patch(api, tenant, full_user["id"], {"name": "n" * 256}).body["name"] == "n" * 256
    assert patch(api, tenant, full_user["id"], {"name": "Zoë Ñúñez 山田"}).body["name"] == "Zoë Ñúñez 山田"
    assert patch(api, tenant, full_user["id"], {"name": ""}).body["name"] is None
    assert get_user(api, tenant, full_user["id"])["name"] is None


def test_metadata_is_replaced_not_merged(api: Api, tenant: Tenant, full_user: dict[str, Any]) -> None:
    reply = patch(api, tenant, full_user["id"], {"public_metadata": {"b": [1, 2, {"c": None}]}})
    assert reply.body["public_metadata"] == {"b": [1, 2, {"c": None}]}
    assert reply.body["private_metadata"] == {"stripe": "cus_123"}
    reply = patch(api, tenant, full_user["id"], {"private_metadata": None})
    assert reply.status == 200, reply.body
    assert reply.body["private_metadata"] == {}
    assert get_user(api, tenant, full_user["id"])["public_metadata"] == {"b": [1, 2, {"c": None}]}


def test_metadata_of_exactly_8_kb_is_accepted(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    overhead = len('{"k":""}')
    exactly = {"k": "x" * (8192 - overhead)}
    reply = patch(api, tenant, user["id"], {"public_metadata": exactly, "private_metadata": exactly})
    assert reply.status == 200, reply.body
    assert get_user(api, tenant, user["id"])["private_metadata"] == exactly
    one_more = {"k": "x" * (8193 - overhead)}
    assert patch(api, tenant, user["id"], {"public_metadata": one_more}).status == 422


def test_metadata_size_counts_utf8_bytes(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    # 3000 characters of 3 bytes each: 9000 bytes serialised, over the limit in bytes but not in characters
    reply = patch(api, tenant, user["id"], {"public_metadata": {"k": "山" * 3000}})
    assert reply.status == 422, reply.body


def test_metadata_number_too_large_for_a_float_is_refused(
    api: Api, tenant: Tenant, full_user: dict[str, Any]
) -> None:
    """1e400 parses as infinity: stored, it would silently come back as null."""
    reply = api(
        "PATCH",
        f"/v1/users/{full_user['id']}",
        headers=tenant.admin(),
        raw='{"public_metadata": {"a": 1e400}}',
    )
    assert reply.status == 422, reply.body
    assert reply.body["error"]["details"][0]["field"] == "public_metadata"
    assert get_user(api, tenant, full_user["id"])["public_metadata"] == {"plan": "pro"}


def test_admin_can_set_email_verified_alone(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    reply = patch(api, tenant, user["id"], {"email_verified": True})
    assert reply.status == 200, reply.body
    assert reply.body["email_verified"] is True
    assert reply.body["email"] == "alice@example.com"


# -- If-Match -------------------------------------------------------------------------------------


def test_if_match_current_version_applies(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    etag = api("GET", f"/v1/users/{user['id']}", headers=tenant.admin()).headers["ETag"]
    reply = patch(api, tenant, user["id"], {"name": "Matched"}, **{"If-Match": etag})
    assert reply.status == 200, reply.body
    assert reply.headers["ETag"] != etag


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Stale"},
        {"email": "stale@example.com"},
        {"email": "stale@example.com", "email_verified": True},
    ],
)
def test_if_match_stale_is_412_and_nothing_changes(
    api: Api, tenant: Tenant, user: dict[str, Any], body: dict[str, Any]
) -> None:
    stale = api("GET", f"/v1/users/{user['id']}", headers=tenant.admin()).headers["ETag"]
    assert patch(api, tenant, user["id"], {"phone_number": "+14155552671"}).status == 200
    before = get_user(api, tenant, user["id"])
    reply = patch(api, tenant, user["id"], body, **{"If-Match": stale})
    assert reply.status == 412, reply.body
    assert reply.error == "precondition_failed"
    assert get_user(api, tenant, user["id"]) == before


def test_if_match_garbage_is_412(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    reply = patch(api, tenant, user["id"], {"name": "X"}, **{"If-Match": '"abc"'})
    assert reply.status == 412


# -- who may call ---------------------------------------------------------------------------------


def test_unknown_user_is_404(api: Api, tenant: Tenant) -> None:
    reply = patch(api, tenant, "usr_00000000000000000000000000", {"name": "X"})
    assert (reply.status, reply.error) == (404, "user_not_found"), reply.body
    for malformed in ("usr_01HABCDEF123456", "nope"):  # tests/security/test_path_ids.py
        reply = patch(api, tenant, malformed, {"name": "X"})
        assert (reply.status, reply.error) == (422, "validation_failed"), reply.body


def test_another_tenants_user_is_404(
    api: Api, tenant: Tenant, other_tenant: Tenant, user: dict[str, Any]
) -> None:
    reply = patch(api, other_tenant, user["id"], {"name": "Hijack"})
    assert reply.status == 404
    assert get_user(api, tenant, user["id"])["name"] == "Alice"


def test_secret_key_of_another_tenant_is_tenant_mismatch(
    api: Api, tenant: Tenant, other_tenant: Tenant, user: dict[str, Any]
) -> None:
    headers = {"Authorization": f"Bearer {other_tenant.secret_key}", "X-Tenant-ID": tenant.id}
    reply = api("PATCH", f"/v1/users/{user['id']}", {"name": "X"}, headers)
    assert reply.status == 403
    assert reply.error == "tenant_mismatch"


def test_publishable_key_and_access_token_are_forbidden(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    assert api("PATCH", f"/v1/users/{user['id']}", {"name": "X"}, tenant.public()).status == 403
    session = sign_in(api, tenant)
    reply = api("PATCH", f"/v1/users/{user['id']}", {"role": "admin"}, bearer(session["access_token"]))
    assert reply.status == 403
    assert reply.error == "forbidden"
    assert get_user(api, tenant, user["id"])["role"] == "member"


def test_no_credentials_is_401(api: Api, user: dict[str, Any]) -> None:
    reply = api("PATCH", f"/v1/users/{user['id']}", {"name": "X"})
    assert reply.status == 401
    assert reply.error == "unauthorized"


def test_body_must_be_json(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    reply = api(
        "PATCH",
        f"/v1/users/{user['id']}",
        headers={**tenant.admin(), "Content-Type": "text/plain"},
        raw="name=x",
    )
    assert reply.status == 415
    reply = api("PATCH", f"/v1/users/{user['id']}", headers=tenant.admin(), raw="{not json")
    assert reply.status == 400
    assert reply.error == "invalid_json"
