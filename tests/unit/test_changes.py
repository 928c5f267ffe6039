"""hellojohn.rules.changes: what a PATCH will do, computed from the fields sent (only those change)."""

import pytest
from hellojohn.errors import ApiError
from hellojohn.records import Tenant, User
from hellojohn.rules import changes

TENANT = Tenant(id="tnt_01HABCDEF0000000000000000A", name="Acme", roles=("admin", "member", "billing"))
USER = User(
    id="usr_01HABCDEF0000000000000000A",
    tenant_id=TENANT.id,
    email="alice@example.com",
    name="Alice",
    version=7,
    updated_at=100,
    public_metadata={"a": 1},
)


def test_plain_fields_are_copied_only_when_sent() -> None:
    plan = changes.plan(TENANT, {"name": "Bob", "phone_number": None})
    assert plan.values == {"name": "Bob", "phone_number": None}
    assert not plan.touches_email
    assert changes.plan(TENANT, {}).values == {}


def test_role_must_be_a_tenant_role() -> None:
    assert changes.plan(TENANT, {"role": "billing"}).values == {"role": "billing"}
    with pytest.raises(ApiError) as info:
        changes.plan(TENANT, {"role": "owner"})
    assert (info.value.status, info.value.code) == (422, "validation_failed")
    assert info.value.details[0].field == "role"


def test_email_alone_starts_a_verification() -> None:
    plan = changes.plan(TENANT, {"email": "new@example.com"})
    assert (plan.email_pending, plan.email_switch) == ("new@example.com", None)
    assert "email" not in plan.values


def test_email_with_email_verified_true_switches() -> None:
    plan = changes.plan(TENANT, {"email": "new@example.com", "email_verified": True})
    assert (plan.email_pending, plan.email_switch) == (None, "new@example.com")
    assert "email_verified" not in plan.values


def test_email_with_email_verified_false_still_verifies() -> None:
    plan = changes.plan(TENANT, {"email": "new@example.com", "email_verified": False})
    assert plan.email_pending == "new@example.com"


def test_email_verified_alone_is_a_plain_value() -> None:
    plan = changes.plan(TENANT, {"email_verified": True})
    assert plan.values == {"email_verified": True}
    assert not plan.touches_email


def test_pending_values_name_a_new_change_and_move_no_claim() -> None:
    plan = changes.plan(TENANT, {"email": "new@example.com"})
    values, put, delete = changes.email_values(USER, plan, now=500)
    assert (put, delete) == (None, None)
    assert values["pending_email"] == "new@example.com"
    assert values["pending_change_id"].startswith("chg_")
    assert values["pending_requested_at"] == 500
    assert values["pending_token_hash"] is None  # an older link stops working
    again, _, _ = changes.email_values(USER, plan, now=501)
    assert again["pending_change_id"] != values["pending_change_id"]


def test_switch_values_move_the_claim() -> None:
    plan = changes.plan(TENANT, {"email": "New@Example.com", "email_verified": True})
    values, put, delete = changes.email_values(USER, plan, now=500)
    assert values["email"] == "New@Example.com"
    assert values["email_verified"] is True
    assert values["pending_email"] is None
    assert (put, delete) == ("new@example.com", "alice@example.com")


def test_same_address_recased_cancels_a_pending_change_and_moves_nothing() -> None:
    pending = User(**{**USER.__dict__, "pending_email": "x@example.com", "pending_change_id": "chg_1"})
    plan = changes.plan(TENANT, {"email": "ALICE@example.com"})
    values, put, delete = changes.email_values(pending, plan, now=500)
    assert (put, delete) == (None, None)
    assert values["email"] == "ALICE@example.com"
    assert values["pending_email"] is None
    assert values["pending_change_id"] is None
    assert "email_verified" not in values


def test_applied_bumps_version_and_keeps_the_rest() -> None:
    after = changes.applied(USER, {"name": "Bob", "public_metadata": None, "not_a_field": 1}, now=900)
    assert (after.name, after.version, after.updated_at) == ("Bob", 8, 900)
    assert after.public_metadata == {}
    assert after.email == USER.email
    same = changes.applied(USER, {"last_sign_in_at": 900}, now=900, bump=False)
    assert (same.version, same.updated_at, same.last_sign_in_at) == (7, 100, 900)
