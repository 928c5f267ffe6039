"""The request's media type is compared case-insensitively and with its parameters (RFC 9110,
8.3.1): `Application/Json` and `application/json; charset=utf-8` are JSON, on every route."""

from typing import Any

import pytest

from tests.conftest import PASSWORD, Api, Tenant, bearer, sign_in


@pytest.mark.parametrize(
    "media_type",
    [
        "application/json",
        "Application/Json",
        "APPLICATION/JSON",
        "application/json; charset=utf-8",
        "Application/JSON;Charset=UTF-8",
    ],
)
def test_sign_in_answers_the_same_whatever_the_case(
    api: Api, tenant: Tenant, user: dict[str, Any], media_type: str
) -> None:
    body = {"email": "alice@example.com", "password": PASSWORD}
    reply = api("POST", "/v1/auth/sign-in", body, {**tenant.public(), "content-type": media_type})
    assert reply.status == 200, reply.body
    assert reply.body["user"]["id"] == user["id"]
    wrong = api(
        "POST",
        "/v1/auth/sign-in",
        {**body, "password": "wrong"},
        {**tenant.public(), "Content-Type": media_type},
    )
    assert wrong.status == 401, wrong.body


@pytest.mark.parametrize("media_type", ["Application/Json", "application/json; charset=utf-8"])
def test_admin_and_self_updates_accept_it_too(
    api: Api, tenant: Tenant, user: dict[str, Any], media_type: str
) -> None:
    admin = api(
        "PATCH", f"/v1/users/{user['id']}", {"name": "Ann"}, {**tenant.admin(), "Content-Type": media_type}
    )
    assert admin.status == 200, admin.body
    session = sign_in(api, tenant)
    me = api(
        "PATCH",
        "/v1/auth/me",
        {"name": "Bea"},
        {**bearer(session["access_token"]), "CONTENT-TYPE": media_type},
    )
    assert me.status == 200, me.body
    assert me.body["name"] == "Bea"


@pytest.mark.parametrize("media_type", ["text/plain", "application/jsonx", "Application/Xml"])
def test_another_media_type_is_415(api: Api, tenant: Tenant, user: dict[str, Any], media_type: str) -> None:
    body = {"email": "alice@example.com", "password": PASSWORD}
    reply = api("POST", "/v1/auth/sign-in", body, {**tenant.public(), "Content-Type": media_type})
    assert (reply.status, reply.error) == (415, "unsupported_media_type")


def test_another_media_type_without_a_body_is_not_a_500(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    session = sign_in(api, tenant)
    reply = api(
        "POST", "/v1/auth/sign-out", headers={**bearer(session["access_token"]), "Content-Type": "text/plain"}
    )
    assert (reply.status, reply.error) == (415, "unsupported_media_type"), reply.body
