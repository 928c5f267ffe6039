"""hellojohn.fields: one rule per user field, each normalising what it accepts."""

from typing import Any

import pytest
from hellojohn import fields
from hellojohn.fields import AvatarUrl, Email, Metadata, Name, Phone, Role
from pydantic import TypeAdapter, ValidationError


def check(kind: Any, value: Any) -> Any:
    return TypeAdapter(kind).validate_python(value)


def refused(kind: Any, value: Any) -> str:
    with pytest.raises(ValidationError) as info:
        TypeAdapter(kind).validate_python(value)
    return str(info.value.errors()[0]["msg"])


# -- email ----------------------------------------------------------------------------------------


FULLWIDTH_ALICE = "\uff41lice@example.com"  # the fullwidth "a" of the finding


@pytest.mark.parametrize(
    ("given", "stored", "key"),
    [
        ("alice@example.com", "alice@example.com", "alice@example.com"),
        ("  alice@example.com\t", "alice@example.com", "alice@example.com"),
        ("Alice.Smith@EXAMPLE.COM", "Alice.Smith@example.com", "alice.smith@example.com"),
        ("x+tag@Sub.Example.Org", "x+tag@sub.example.org", "x+tag@sub.example.org"),
        (FULLWIDTH_ALICE, "alice@example.com", "alice@example.com"),
        ("\uff21LICE\uff20example.com", "ALICE@example.com", "alice@example.com"),  # fullwidth A and @
        ("\ufb01nn@example.com", "finn@example.com", "finn@example.com"),  # the ligature fi
        ("user@bücher.example", "user@bücher.example", "user@xn--bcher-kva.example"),
        ("User@BÜCHER.example", "User@bücher.example", "user@xn--bcher-kva.example"),
        ("user@xn--bcher-kva.example", "user@bücher.example", "user@xn--bcher-kva.example"),
        ("jörg@bücher.example.com", "jörg@bücher.example.com", "jörg@xn--bcher-kva.example.com"),
        ("STRASSE@example.com", "STRASSE@example.com", "strasse@example.com"),
        ("straße@example.com", "straße@example.com", "strasse@example.com"),  # case-folded, not lowered
    ],
)
def test_email_is_stored_nfkc_domain_lowered_and_keyed_folded_with_an_idna_domain(
    given: str, stored: str, key: str
) -> None:
    assert check(Email, given) == stored
    assert fields.email_key(given) == fields.email_key(stored) == key


def test_ascii_addresses_keep_the_key_the_old_rule_gave() -> None:
    """The old key (email_validator's normalised address, lower-cased) and the new one agree on
    every ASCII address: only addresses with other characters need the migration (SECURITY.md)."""
    from email_validator import validate_email

    for given in (
        "alice@example.com",
        " Alice.Smith@EXAMPLE.COM ",
        "x+tag@Sub.Example.Org",
        "postmaster@x.io",
    ):
        old = validate_email(given.strip(), check_deliverability=False).normalized.lower()
        assert fields.email_key(given) == old


@pytest.mark.parametrize(
    ("given", "international"),
    [
        ("alice@example.com", False),
        (FULLWIDTH_ALICE, False),
        ("user@bücher.example", False),
        ("jörg@x.io", True),
    ],
)
def test_an_address_is_international_when_its_local_part_is_not_ascii(
    given: str, international: bool
) -> None:
    assert fields.address(given).international is international
    if international:
        fields.check_international(given, allowed=True)
        with pytest.raises(Exception, match="not accept internationalised addresses"):
            fields.check_international(given, allowed=False)
    else:
        fields.check_international(given, allowed=False)


def test_the_address_ses_is_given_has_its_domain_in_punycode() -> None:
    assert fields.sendable("User@Bücher.example") == "User@xn--bcher-kva.example"
    assert fields.sendable("alice@example.com") == "alice@example.com"


@pytest.mark.parametrize(
    "given",
    [
        "",
        "   ",
        "plain",
        "@example.com",
        "alice@",
        "alice@@example.com",
        "alice@localhost",
        "a b@example.com",
    ],
)
def test_invalid_email_is_refused(given: str) -> None:
    assert refused(Email, given)


def test_email_longer_than_254_is_refused() -> None:
    assert "254" in refused(Email, "a" * 64 + "@" + ("b" * 60 + ".") * 4 + "com")


@pytest.mark.parametrize("given", [42, True, None, ["a@example.com"]])
def test_email_must_be_a_string(given: Any) -> None:
    refused(Email, given)


def test_an_address_is_checked_once_and_a_bad_one_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """A create meets its address three times (body, item, claim): email_validator runs once. A
    refused address is not remembered: it is refused again, with its reason."""
    import email_validator

    seen: list[str] = []
    real = email_validator.validate_email

    def counted(value: str, **kwargs: Any) -> Any:
        seen.append(value)
        return real(value, **kwargs)

    monkeypatch.setattr(email_validator, "validate_email", counted)
    fields._address.cache_clear()
    assert check(Email, "Once@Example.COM") == "Once@example.com"
    assert (
        fields.email_key("Once@Example.COM") == fields.email_key(" Once@Example.COM ") == "once@example.com"
    )
    assert seen == ["Once@Example.COM"]
    for _ in range(2):
        assert refused(Email, "not-an-address").startswith("is not a valid email address")
    assert seen[1:] == ["not-an-address", "not-an-address"]


def test_email_key_is_case_insensitive_and_trimmed() -> None:
    assert (
        fields.email_key("  Alice@Example.COM ")
        == fields.email_key("alice@example.com")
        == "alice@example.com"
    )


# -- phone ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("+14155552671", "+14155552671"),
        ("+1 (415) 555-2671", "+14155552671"),
        (" +44 20 7183 8750 ", "+442071838750"),
        ("+81 3-1234-5678", "+81312345678"),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_phone_is_e164(given: str | None, stored: str | None) -> None:
    assert check(Phone, given) == stored


@pytest.mark.parametrize(
    "given",
    [
        "4155552671",
        "+1415555",
        "+999 123",
        "00 1 415 555 2671",
        "+1 415 CALL NOW",  # libphonenumber would read the letters as a keypad
        "+1 415 555 267l",  # a typo must not become another number
        "+1 415 555 2671 ext. 5",  # an extension would be dropped silently
        "+1 415 555 2671;ext=5",
        "+1\u00a0415\u00a0555\u00a02671",
    ],
)
def test_phone_not_e164_is_refused(given: str) -> None:
    message = refused(Phone, given)
    assert "E.164" in message or "valid" in message


def test_phone_must_be_a_string() -> None:
    assert "string" in refused(Phone, 14155552671)


# -- avatar_url -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("https://cdn.example.com/a.png", "https://cdn.example.com/a.png"),
        ("http://example.com/a.png?size=64#x", "http://example.com/a.png?size=64#x"),
        ("  https://example.com/a.png  ", "https://example.com/a.png"),
        ("", None),
        ("  ", None),
        (None, None),
    ],
)
def test_avatar_url_http_or_empty(given: str | None, stored: str | None) -> None:
    assert check(AvatarUrl, given) == stored


@pytest.mark.parametrize(
    "given",
    [
        "javascript:alert(1)",
        "data:image/png;base64,AAAA",
        "ftp://example.com/a.png",
        "//example.com/a.png",
        "/a.png",
        "https://",
        "https://exa mple.com/a.png",
        "https://example.com/\u0000.png",
        "https://example.com/" + "a" * 2048,
    ],
)
def test_avatar_url_other_is_refused(given: str) -> None:
    refused(AvatarUrl, given)


# -- name -----------------------------------------------------------------------------------------


def test_name_rules() -> None:
    assert check(Name, "  Alice  ") == "Alice"
    assert check(Name, "") is None
    assert check(Name, None) is None
    assert check(Name, "n" * fields.NAME_MAX) == "n" * fields.NAME_MAX
    assert check(Name, "Zoë 山田 O'Brien-Smith") == "Zoë 山田 O'Brien-Smith"
    assert "256" in refused(Name, "n" * (fields.NAME_MAX + 1))
    assert "control" in refused(Name, "Ali\nce")
    assert "control" in refused(Name, "Ali\u200bce")  # zero-width space (Cf)
    refused(Name, 12)


# -- metadata -------------------------------------------------------------------------------------


def test_metadata_is_an_object_of_at_most_8_kb() -> None:
    assert check(Metadata, None) == {}
    assert check(Metadata, {}) == {}
    nested = {"a": [1, {"b": None, "c": True}], "d": "é"}
    assert check(Metadata, nested) == nested
    overhead = len('{"k":""}')
    exactly = {"k": "x" * (fields.METADATA_MAX_BYTES - overhead)}
    assert check(Metadata, exactly) == exactly
    assert "8192" in refused(Metadata, {"k": "x" * (fields.METADATA_MAX_BYTES - overhead + 1)})
    assert "8192" in refused(Metadata, {"k": "é" * 4100})  # bytes, not characters
    assert "finite" in refused(Metadata, {"big": float("inf")})  # what 1e400 parses as
    assert "finite" in refused(Metadata, {"n": [float("nan")]})
    for not_an_object in ([], "x", 1, [{"a": 1}]):
        refused(Metadata, not_an_object)


# -- role -----------------------------------------------------------------------------------------


def test_role_shape() -> None:
    assert check(Role, "admin") == "admin"
    assert check(Role, "org:billing_admin-2") == "org:billing_admin-2"
    for bad in ("", "Admin", "1admin", "ad min", "a" * 65):
        refused(Role, bad)


def test_a_model_holding_a_password_never_prints_it() -> None:
    """Powertools logs the route's arguments (the body model) at debug level."""
    from hellojohn.models import ChangePassword, CreateUser, SignIn

    secret = "Correct-Horse-Battery-9"
    for model in (
        SignIn(email="a@example.com", password=secret),
        ChangePassword(current_password=secret, new_password=secret),
        CreateUser(email="a@example.com", password=secret),
    ):
        assert secret not in repr(model)
        assert secret not in str(model)


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("jane.doe@example.com", "j***@e***.com"),
        ("a@b.co.uk", "a***@b***.uk"),
        ("x@localhost", "x***@l***"),
    ],
)
def test_a_masked_address_shows_one_character_of_each_part_and_the_tld(address: str, masked: str) -> None:
    assert fields.masked_email(address) == masked
