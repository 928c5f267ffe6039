"""One email normalisation everywhere (finding 7) and NFC passwords (finding 8), through the
handlers: an address or a password works typed in any of its equivalent forms."""

import unicodedata
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.conftest import PASSWORD, Api, Tenant, bearer, sign_in
from tests.security.helpers import assert_error

IDN_ACE = "idn@xn--bcher-kva.de"  # stored as idn@bücher.de
NFD_LOCAL = unicodedata.normalize("NFD", "josé@example.com")
NFC_PASSWORD = "Caf\u00e9-Latte-99"
NFD_PASSWORD = "Cafe\u0301-Latte-99"


def _create(api: Api, tenant: Tenant, email: str, password: str = PASSWORD) -> dict[str, Any]:
    reply = api("POST", "/v1/users", {"email": email, "password": password}, tenant.admin())
    assert reply.status == 201, reply.body
    return dict(reply.body)


@pytest.mark.parametrize(
    ("created", "typed"),
    [
        (IDN_ACE, [IDN_ACE, "idn@bücher.de", "IDN@BÜCHER.DE", " idn@XN--BCHER-KVA.DE "]),
        (NFD_LOCAL, [NFD_LOCAL, "josé@example.com", "JOSÉ@example.com"]),
        ("idn@bücher.de", [IDN_ACE]),
    ],
)
def test_sign_in_and_the_filter_take_any_form_of_the_address(
    api: Api, tenant: Tenant, created: str, typed: list[str]
) -> None:
    """Before: a user created as idn@xn--bcher-kva.de or with an NFD accent could not sign in
    with the very string they were created with, and the list filter did not find them."""
    user = _create(api, tenant, created)
    assert unicodedata.is_normalized("NFC", user["email"])
    for form in typed:
        sign_in(api, tenant, form)
        found = api("GET", f"/v1/users?{urlencode({'email': form})}", headers=tenant.admin())
        assert [u["id"] for u in found.body["data"]] == [user["id"]], form


def test_create_and_both_patches_see_one_address_in_every_form(api: Api, tenant: Tenant) -> None:
    first = _create(api, tenant, IDN_ACE)
    for form in ("idn@bücher.de", "IDN@Bücher.de"):
        assert_error(api("POST", "/v1/users", {"email": form}, tenant.admin()), 409, "email_taken")
    other = _create(api, tenant, "other@example.com")
    taken = api(
        "PATCH",
        f"/v1/users/{other['id']}",
        {"email": "Idn@BÜCHER.de", "email_verified": True},
        tenant.admin(),
    )
    assert_error(taken, 409, "email_taken")
    session = sign_in(api, tenant, "other@example.com")
    mine = api("PATCH", "/v1/auth/me", {"email": "idn@xn--bcher-kva.de"}, bearer(session["access_token"]))
    assert_error(mine, 409, "email_taken")
    # re-casing one's own address in another form is the same address: no verification starts
    session = sign_in(api, tenant, IDN_ACE)
    same = api("PATCH", "/v1/auth/me", {"email": "IDN@bücher.de"}, bearer(session["access_token"]))
    assert same.status == 200, same.body
    assert same.body["pending_email"] is None and same.body["email"] == "IDN@bücher.de"
    assert first["id"] == same.body["id"]
    sign_in(api, tenant, IDN_ACE)


def test_passwords_are_the_same_in_nfc_and_nfd(api: Api, tenant: Tenant) -> None:
    """Before: set Café-Latte-99 in NFC, sign in typing the NFD form: 401."""
    user = _create(api, tenant, "cafe@example.com", NFC_PASSWORD)
    sign_in(api, tenant, "cafe@example.com", NFD_PASSWORD)
    sign_in(api, tenant, "cafe@example.com", NFC_PASSWORD)
    # the NFD form is the current password: an admin cannot set it "again" (it must differ)
    reply = api("POST", f"/v1/users/{user['id']}/password", {"password": NFD_PASSWORD}, tenant.admin())
    assert (reply.status, reply.body["error"]["message"]) == (
        422,
        "Password must differ from the current password",
    ), reply.body
    session = sign_in(api, tenant, "cafe@example.com", NFC_PASSWORD)
    change = {"current_password": NFD_PASSWORD, "new_password": "Batterie-Agrafe-77"}
    assert api("POST", "/v1/auth/password/change", change, bearer(session["access_token"])).status == 200


def test_a_hash_made_before_normalisation_still_verifies_and_is_replaced(api: Api, tenant: Tenant) -> None:
    from hellojohn.rules import passwords
    from hellojohn.store import users as store

    user = _create(api, tenant, "legacy@example.com")
    legacy = passwords.hasher().hash(NFD_PASSWORD)  # the raw NFD form, as the old code hashed it
    update = store.Update(set={"password_hash": legacy}, touch=False)
    store.update(tenant.id, user["id"], update, 0)
    sign_in(api, tenant, "legacy@example.com", NFD_PASSWORD)
    stored = store.get(tenant.id, user["id"])
    assert stored is not None and stored.password_hash != legacy  # rehashed from the NFC form
    sign_in(api, tenant, "legacy@example.com", NFC_PASSWORD)  # so now the NFC form works too


@pytest.mark.parametrize("blank", [" " * 8, "\t" * 10, "\u3000" * 9, " \n " * 4])
def test_a_password_of_only_whitespace_is_too_weak(api: Api, tenant: Tenant, blank: str) -> None:
    reply = api("POST", "/v1/users", {"email": "blank@example.com", "password": blank}, tenant.admin())
    assert_error(reply, 422, "password_too_weak")
    user = _create(api, tenant, "blank2@example.com")
    reply = api("POST", f"/v1/users/{user['id']}/password", {"password": blank}, tenant.admin())
    assert_error(reply, 422, "password_too_weak")
    session = sign_in(api, tenant, "blank2@example.com")
    change = {"current_password": PASSWORD, "new_password": blank}
    reply = api("POST", "/v1/auth/password/change", change, bearer(session["access_token"]))
    assert_error(reply, 422, "password_too_weak")
