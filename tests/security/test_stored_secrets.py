"""Nothing stored from which a password can be tested but its Argon2id hash (finding 2).

Before: the idempotency records kept an unsalted SHA-256 of the request body for 24 hours, and
the bodies of create-with-password, admin set-password and password change carry the password:
a five-word dictionary recovered both an admin-set password and a self-service new_password.
Now the password fields are HMAC'd under a key held in Secrets Manager before fingerprinting.
"""

from typing import Any

from tests.conftest import PASSWORD, Api, Tenant, bearer, sign_in
from tests.security.helpers import table_items

ADMIN_SET = "Admin-Chosen-91"
SELF_SET = "Self-Chosen-37"
CREATED = "Created-With-55"
DICTIONARY = ["123456", "password", ADMIN_SET, SELF_SET, CREATED, PASSWORD, "letmein"]


def _fingerprints(items: list[dict[str, Any]]) -> set[str]:
    return {i["validation"]["S"] for i in items if i["PK"]["S"].startswith("IDEM#") and "validation" in i}


def _guesses(path: dict[str, str], body: dict[str, Any], field: str) -> set[str]:
    """What an attacker holding the table computes: Powertools' hash of the request for each
    word of the dictionary in the password field (the rest of the body is in the user's hands)."""
    from hellojohn.edge import idempotency

    layer = idempotency._prototype()
    found = set()
    for word in DICTIONARY:
        request = {"path": path, "body": {**body, field: word}, "if_match": None}
        found.add(layer._generate_hash(request))
    return found


def test_no_idempotency_record_lets_a_password_be_tested(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    created_body = {"email": "bob@example.com", "password": CREATED}
    headers = {**tenant.admin(), "Idempotency-Key": "create-1"}
    assert api("POST", "/v1/users", created_body, headers).status == 201
    set_body = {"password": ADMIN_SET}
    headers = {**tenant.admin(), "Idempotency-Key": "set-1"}
    assert api("POST", f"/v1/users/{user['id']}/password", set_body, headers).status == 200
    session = sign_in(api, tenant, password=ADMIN_SET)
    change_body = {"current_password": ADMIN_SET, "new_password": SELF_SET}
    headers = {**bearer(session["access_token"]), "Idempotency-Key": "change-1"}
    assert api("POST", "/v1/auth/password/change", change_body, headers).status == 200

    items = table_items()
    stored = _fingerprints(items)
    assert len(stored) == 3
    assert not stored & _guesses({}, created_body, "password")
    assert not stored & _guesses({"user_id": user["id"]}, set_body, "password")
    for field in ("current_password", "new_password"):
        assert not stored & _guesses({}, change_body, field)
    text = repr(items)
    for password in (CREATED, ADMIN_SET, SELF_SET):
        assert password not in text


def test_another_password_with_the_same_key_is_still_another_request(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    headers = {**tenant.admin(), "Idempotency-Key": "set-2"}
    first = api("POST", f"/v1/users/{user['id']}/password", {"password": ADMIN_SET}, headers)
    assert first.status == 200
    replay = api("POST", f"/v1/users/{user['id']}/password", {"password": ADMIN_SET}, headers)
    assert replay.status == 200 and replay.headers.get("Idempotent-Replayed") == "true"
    other = api("POST", f"/v1/users/{user['id']}/password", {"password": SELF_SET}, headers)
    assert other.status == 422 and other.error == "validation_failed"


def test_every_stored_item_derived_from_a_secret_is_a_hash_made_for_it(
    api: Api, tenant: Tenant, user: dict[str, Any]
) -> None:
    """The other item kinds: API keys, refresh tokens and verification tokens are 256-bit random
    secrets stored as SHA-256 (no dictionary applies); the password only as Argon2id."""
    sign_in(api, tenant)
    for item in table_items():
        for name, value in item.items():
            text = str(next(iter(value.values())))
            assert PASSWORD not in text, (item["PK"], name)
            if name == "password_hash":
                assert text.startswith("$argon2id$")
