"""The rules for each user field, as pydantic types: one place for each rule.

Each type normalises what it accepts and raises a readable error for what it does not.
"""

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from hellojohn import errors

NAME_MAX = 256
URL_MAX = 2048
METADATA_MAX_BYTES = 8192
EMAIL_MAX = 254


def _no_control_chars(value: str, what: str) -> str:
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in value):
        raise PydanticCustomError("invalid_characters", f"{what} must not contain control characters")
    return value


@dataclass(frozen=True)
class Address:
    """An address in the three forms the service uses (`address`)."""

    email: str  # the local part as typed after NFKC, the domain in lower-case Unicode: stored, shown
    key: str  # the tenant-wide key: the local part NFKC and case-folded, the domain in IDNA ASCII
    sendable: str  # the local part as typed (NFKC), the domain in IDNA ASCII: what SES takes
    international: bool  # the local part is not ASCII (it needs SMTPUTF8; a tenant setting allows it)


@lru_cache(maxsize=1024)
def _address(value: str) -> Address:
    """The forms of a trimmed address; raises EmailNotValidError (not cached). Cached: the check is
    pure (no DNS) and costs more than the rest of a create's own work, and one request meets the
    same address up to three times (the body, the item's `email_key`, the claim's key)."""
    from email_validator import validate_email

    typed = unicodedata.normalize("NFKC", value)  # fullwidth, ligatures, superscripts: their plain form
    found = validate_email(typed, check_deliverability=False)  # the domain through IDNA (UTS #46)
    local = found.local_part
    folded = unicodedata.normalize("NFKC", local.casefold())  # NFKC_Casefold, as UTS #39 compares
    domain = found.ascii_domain
    return Address(found.normalized, f"{folded}@{domain}", f"{local}@{domain}", not local.isascii())


def address(value: str) -> Address:
    """Trim, then NFKC (Unicode's compatibility forms: a fullwidth `a` is `a`), then the syntax and
    the domain through email_validator (IDNA 2008 with UTS #46: `BÜCHER.de`, `bücher.de` and
    `xn--bcher-kva.de` are one domain). Raises PydanticCustomError for what is no address."""
    from email_validator import EmailNotValidError

    value = value.strip()
    if not value or len(value) > EMAIL_MAX:
        raise PydanticCustomError("email", "must be an email address of at most 254 characters")
    try:
        return _address(value)
    except EmailNotValidError as exc:
        raise PydanticCustomError(
            "email", "is not a valid email address: {reason}", {"reason": str(exc)}
        ) from None


def normalise_email(value: str) -> str:
    """The address as stored and shown: trimmed and NFKC, the local part as typed (its case kept),
    the domain as UTS #46 writes it (lower case, Unicode: `xn--bcher-kva.de` is shown `bücher.de`).
    Raises PydanticCustomError."""
    return address(value).email


def email_key(email: str) -> str:
    """The tenant-wide key of an address, the one every comparison, claim and lookup uses (create,
    both PATCHes, sign-in, the `email=` filter, verification, the notices' links, the guesses for
    an unknown address and the verification emails' throttle): NFKC, the local part case-folded,
    the domain in IDNA ASCII (`Alice@BÜCHER.de` with a fullwidth `A` is `alice@xn--bcher-kva.de`).
    A string that is no valid address (sign-in and the filter take any) gets its NFKC form
    case-folded, which no stored address has."""
    try:
        return address(email).key
    except PydanticCustomError:
        return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", email.strip()).casefold())


def sendable(email: str) -> str:
    """The address as SES takes it: the domain in IDNA ASCII (SES has no SMTPUTF8, so a local part
    that is not ASCII cannot be sent to at all: docs/SECURITY.md)."""
    try:
        return address(email).sendable
    except PydanticCustomError:
        return email


def check_international(email: str, allowed: bool) -> None:
    """An address whose local part is not ASCII (after NFKC) is taken only where the tenant allows
    internationalised addresses (`Tenant.allow_international_emails`, off by default): 422."""
    if not allowed and address(email).international:
        raise errors.validation_failed(
            [
                errors.FieldIssue(
                    "email",
                    "must have only ASCII characters before the @: this tenant does not accept "
                    "internationalised addresses",
                )
            ]
        )


_PHONE_CHARS = re.compile(r"\+[0-9 ().\-]+")


def normalise_phone(value: str | None) -> str | None:
    """E.164 through libphonenumber: `+` and a valid number for its country; "" clears."""
    if value is None or value.strip() == "":
        return None
    import phonenumbers

    raw = value.strip()
    # digits and common separators only: libphonenumber would read letters as a keypad ("+1 415 CALL
    # NOW") and drop an extension ("ext. 5"), silently storing a different number than the one sent
    if not _PHONE_CHARS.fullmatch(raw):
        raise PydanticCustomError("phone_number", "must be in E.164 format, e.g. +14155552671")
    try:
        parsed = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        raise PydanticCustomError("phone_number", "must be in E.164 format, e.g. +14155552671") from None
    if not phonenumbers.is_valid_number(parsed):
        raise PydanticCustomError("phone_number", "is not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalise_avatar_url(value: str | None) -> str | None:
    """An absolute http(s) URL; "" or null clears the avatar."""
    if value is None or value.strip() == "":
        return None
    value = value.strip()
    if len(value) > URL_MAX:
        raise PydanticCustomError("url", f"must be at most {URL_MAX} characters")
    _no_control_chars(value, "avatar_url")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
        raise PydanticCustomError("url", "must be an absolute http(s) URL, or empty to clear")
    return value


def normalise_name(value: str | None) -> str | None:
    """Trimmed; "" or null clears; no control characters; at most 256 characters."""
    if value is None:
        return None
    value = value.strip()
    if value == "":
        return None
    _no_control_chars(value, "name")
    if len(value) > NAME_MAX:
        raise PydanticCustomError("string_too_long", f"must be at most {NAME_MAX} characters")
    return value


def check_metadata(value: dict[str, Any] | None) -> dict[str, Any]:
    """A JSON object of at most 8 KB serialised; null clears it to {}."""
    if value is None:
        return {}
    try:  # a number too large for a float (1e400) arrives as inf: it would be stored as null
        size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode())
    except ValueError:
        raise PydanticCustomError("metadata_number", "numbers must be finite (at most 1.8e308)") from None
    if size > METADATA_MAX_BYTES:
        raise PydanticCustomError(
            "metadata_too_large", f"must be at most {METADATA_MAX_BYTES} bytes serialized, got {size}"
        )
    return value


def _str_only(value: Any) -> Any:
    """Reject numbers and booleans where a string belongs (pydantic is strict, this keeps the message)."""
    if value is not None and not isinstance(value, str):
        raise PydanticCustomError("string_type", "must be a string")
    return value


Email = Annotated[str, BeforeValidator(_str_only), AfterValidator(normalise_email)]
Phone = Annotated[str | None, BeforeValidator(_str_only), AfterValidator(normalise_phone)]
AvatarUrl = Annotated[str | None, BeforeValidator(_str_only), AfterValidator(normalise_avatar_url)]
Name = Annotated[str | None, BeforeValidator(_str_only), AfterValidator(normalise_name)]
Metadata = Annotated[dict[str, Any] | None, AfterValidator(check_metadata)]
Role = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_:-]*$")]
# Every model field of this type is declared `repr=False` (hellojohn/models.py): Powertools logs
# "Calling API Route Handler: {route_args}" at debug level, the body model among them.
Password = Annotated[str, Field(min_length=1, max_length=1024)]


def masked_email(address: str) -> str:
    """An address as a notice shows it to someone who may not own it: `jane@example.com` is
    `j***@e***.com` (the first character of the local part and of the domain, and the top-level
    domain; never more of either)."""
    local, _, domain = address.strip().rpartition("@")
    labels = domain.split(".")
    tld = labels[-1] if len(labels) > 1 else ""
    return f"{local[:1]}***@{domain[:1]}***{'.' + tld if tld else ''}"
