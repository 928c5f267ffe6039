"""The user record is the one list of a user's fields: the item is read and written from it."""

from dataclasses import fields
from decimal import Decimal

from hellojohn.records import COUNTER, User
from hellojohn.store.client import from_item
from hellojohn.store.users import user_item


def every_field_set() -> User:
    return User(
        id="usr_1",
        tenant_id="tnt_1",
        email="Ana@Example.com",
        email_verified=True,
        pending_email="new@example.com",
        pending_change_id="chg_1",
        pending_requested_at=11,
        pending_token_hash="ab" * 32,
        pending_expires_at=12,
        pending_sent_at=13,
        phone_number="+14155550100",
        name="Ana",
        avatar_url="https://example.com/a.png",
        role="admin",
        public_metadata={"plan": "pro", "n": [1, {"x": None}]},
        private_metadata={"crm": "42"},
        disabled=True,
        disabled_at=14,
        last_sign_in_at=15,
        created_at=16,
        updated_at=17,
        version=9,
        password_hash="$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
        password_change_required=True,
        temporary_password_expires_at=19,
        sessions={"ses_1": 18},
        failed_attempts=3,
        first_failed_at=19,
        locked_until=20,
        mail_hour=21,
        mail_count=4,
        deletion_requested_at=1_700_000_500,
        purge_at=1_701_000_500,
    )


def test_every_field_is_exercised_here() -> None:
    user = every_field_set()
    defaults = User(id="", tenant_id="", email="")
    assert [f.name for f in fields(User) if getattr(user, f.name) == getattr(defaults, f.name)] == []


def test_a_record_survives_the_item_round_trip() -> None:
    user = every_field_set()
    item = from_item(user_item(user))
    assert isinstance(item["version"], Decimal)  # what DynamoDB hands back: the decoders convert
    assert User.from_item(item) == user


def test_a_new_users_item_leaves_the_counters_absent() -> None:
    """The guess and mail conditions read "absent" as "never counted" (attribute_not_exists)."""
    item = user_item(User(id="usr_1", tenant_id="tnt_1", email="a@example.com"))
    counters = {f.name for f in fields(User) if f.metadata == COUNTER}
    assert counters == {"failed_attempts", "first_failed_at", "locked_until", "mail_hour", "mail_count"}
    assert counters.isdisjoint(item)
    assert item["sessions"] == {"M": {}}  # present: sign-in adds to it with SET sessions.#sid
    assert item["public_metadata"] == {"S": "{}"}
    assert item["email_key"] == {"S": "a@example.com"}
    assert User.from_item(from_item(item)) == User(id="usr_1", tenant_id="tnt_1", email="a@example.com")
