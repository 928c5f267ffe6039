"""One email normalisation everywhere (finding 7) and NFC passwords (finding 8), through the
handlers: an address or a password works typed in any of its equivalent forms."""

import unicodedata
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.conftest import PASSWORD, Api, Tenant, bearer, make_tenant, sign_in
from tests.security.helpers import assert_error, table_items

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
    api: Api, created: str, typed: list[str]
) -> None:
    """Before: a user created as idn@xn--bcher-kva.de or with an NFD accent could not sign in
    with the very string they were created with, and the list filter did not find them."""
    tenant = make_tenant("Intl", allow_international_emails=True)  # josé is not ASCII before the @
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


# -- look-alike addresses (the third audit, finding 4): NFKC, case-folding, IDNA ---------------------

FULLWIDTH = "\uff41lice@example.com"  # the fullwidth "a" of the finding: alice@example.com after NFKC
LOOK_ALIKES = [
    FULLWIDTH,
    "\uff21LICE@EXAMPLE.COM",  # fullwidth capital A
    "alice\uff20example.com",  # fullwidth @
    "alice@\uff45xample.com",  # fullwidth e in the domain
    "ALICE@example.com",
]


def _claims() -> dict[str, str]:
    """The email claims in the table: key -> user id."""
    return {
        item["PK"]["S"].split("#EMAIL#", 1)[1]: item["user_id"]["S"]
        for item in table_items()
        if "#EMAIL#" in item["PK"]["S"]
    }


@pytest.mark.parametrize("look_alike", LOOK_ALIKES)
def test_a_look_alike_is_the_same_address_in_create_and_both_patches(
    api: Api, tenant: Tenant, user: dict[str, Any], look_alike: str
) -> None:
    """Before: alice@example.com with a fullwidth "a" created a second user beside alice@example.com."""
    before = table_items()
    assert_error(api("POST", "/v1/users", {"email": look_alike}, tenant.admin()), 409, "email_taken")
    other = _create(api, tenant, "bob@example.com")
    for verified in (True, False):
        sent = {"email": look_alike, "email_verified": verified}
        assert_error(api("PATCH", f"/v1/users/{other['id']}", sent, tenant.admin()), 409, "email_taken")
    session = sign_in(api, tenant, "bob@example.com")
    mine = api("PATCH", "/v1/auth/me", {"email": look_alike}, bearer(session["access_token"]))
    assert_error(mine, 409, "email_taken")
    assert {k: v for k, v in _claims().items()} == {
        "alice@example.com": user["id"],
        "bob@example.com": other["id"],
    }
    assert len([i for i in table_items() if i["SK"]["S"] == "USER"]) == 1 + len(
        [i for i in before if i["SK"]["S"] == "USER"]
    )


@pytest.mark.parametrize("look_alike", LOOK_ALIKES)
def test_sign_in_and_the_filter_find_the_user_by_a_look_alike(
    api: Api, tenant: Tenant, user: dict[str, Any], look_alike: str
) -> None:
    sign_in(api, tenant, look_alike)
    found = api("GET", f"/v1/users?{urlencode({'email': look_alike})}", headers=tenant.admin())
    assert [u["id"] for u in found.body["data"]] == [user["id"]]


def test_a_look_alike_guesses_on_the_same_count(api: Api, tenant: Tenant) -> None:
    """The stand-in that counts guesses for an unknown address is keyed by the normalised address:
    alternating the two forms does not double the guesses (5, then 429)."""
    forms = ["nobody@example.com", "\uff4eobody@example.com"]
    answers = [
        api(
            "POST",
            "/v1/auth/sign-in",
            {"email": forms[i % 2], "password": "wrong-password-1"},
            tenant.public(),
        )
        for i in range(5)
    ]
    assert [a.status for a in answers] == [401, 401, 401, 401, 429]
    assert len([i for i in table_items() if "#GUESS#" in i["PK"]["S"]]) == 1


def test_the_verification_throttle_counts_a_look_alike_target_as_one(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    """Each verification email to an address counts on one item per hour, whatever its form."""
    import hashlib

    session = sign_in(api, tenant)
    for form in ("new@example.com", "\uff4eew@example.com", "NEW@EXAMPLE.COM"):
        reply = api("PATCH", "/v1/auth/me", {"email": form}, bearer(session["access_token"]))
        assert reply.status == 200, reply.body
    digest = hashlib.sha256(b"new@example.com").hexdigest()
    [counter] = [i for i in table_items() if "#MAILTO#" in i["PK"]["S"]]
    assert f"#MAILTO#{digest}#" in counter["PK"]["S"]


def test_an_idn_domain_is_stored_as_typed_and_keyed_in_punycode(api: Api, tenant: Tenant) -> None:
    user = _create(api, tenant, "User@bücher.example")
    assert user["email"] == "User@bücher.example"
    assert _claims() == {"user@xn--bcher-kva.example": user["id"]}
    [item] = [i for i in table_items() if i["SK"]["S"] == "USER"]
    assert item["email"]["S"] == "User@bücher.example"
    assert item["email_key"]["S"] == "user@xn--bcher-kva.example"
    for form in ("user@xn--bcher-kva.example", "USER@BÜCHER.EXAMPLE", "user@bu\u0308cher.example"):
        assert_error(api("POST", "/v1/users", {"email": form}, tenant.admin()), 409, "email_taken")
        sign_in(api, tenant, form)


INTERNATIONAL = "jörg@example.com"


def test_a_local_part_that_is_not_ascii_is_refused_by_default(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    before = table_items()
    replies = [api("POST", "/v1/users", {"email": INTERNATIONAL}, tenant.admin())]
    replies.append(api("PATCH", f"/v1/users/{user['id']}", {"email": INTERNATIONAL}, tenant.admin()))
    sent = {"email": INTERNATIONAL, "email_verified": True}
    replies.append(api("PATCH", f"/v1/users/{user['id']}", sent, tenant.admin()))
    session = sign_in(api, tenant)
    replies.append(api("PATCH", "/v1/auth/me", {"email": INTERNATIONAL}, bearer(session["access_token"])))
    for reply in replies:
        assert_error(reply, 422, "validation_failed")
        [detail] = reply.body["error"]["details"]
        assert detail["field"] == "email" and "internationalised" in detail["message"], detail
    users = [i for i in table_items() if i["SK"]["S"] == "USER"]
    assert len(users) == len([i for i in before if i["SK"]["S"] == "USER"]) == 1
    assert users[0]["email"]["S"] == "alice@example.com" and "pending_email" not in users[0]
    # a fullwidth letter is not "international": it is its ASCII letter after NFKC
    assert _create(api, tenant, "\uff42ob@example.com")["email"] == "bob@example.com"


def test_a_tenant_that_allows_them_takes_them_everywhere(api: Api) -> None:
    tenant = make_tenant("Intl", allow_international_emails=True)
    user = _create(api, tenant, INTERNATIONAL)
    assert user["email"] == INTERNATIONAL
    sign_in(api, tenant, "JÖRG@example.com")  # case-folded
    other = _create(api, tenant, "ana@example.com")
    sent = {"email": "maría@example.com", "email_verified": True}
    assert api("PATCH", f"/v1/users/{other['id']}", sent, tenant.admin()).body["email"] == "maría@example.com"
    session = sign_in(api, tenant, "MARÍA@example.com")
    mine = api("PATCH", "/v1/auth/me", {"email": "zoë@example.com"}, bearer(session["access_token"]))
    assert mine.status == 200 and mine.body["pending_email"] == "zoë@example.com", mine.body
    assert_error(
        api("POST", "/v1/users", {"email": "J\u00d6RG@example.com"}, tenant.admin()), 409, "email_taken"
    )
