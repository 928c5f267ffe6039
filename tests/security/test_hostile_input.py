"""Hostile bodies: each is a clear 4xx in the contract's shape, and changes nothing (read back)."""

import base64
import json
from typing import Any

import pytest

from tests.conftest import Api, Tenant, bearer, sign_in
from tests.security.helpers import admin_user, assert_error, invoke

KB = 1024


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


# (id, raw body, content type, status, code) sent as an admin PATCH of a user
CASES: list[tuple[str, str, str, int, str]] = [
    ("body over 64 KB", json.dumps({"name": "x" * (64 * KB)}), "application/json", 413, "payload_too_large"),
    ("1 MB string", json.dumps({"name": "x" * (1024 * KB)}), "application/json", 413, "payload_too_large"),
    (
        "1 MB metadata",
        json.dumps({"public_metadata": {"k": "v" * (1024 * KB)}}),
        "application/json",
        413,
        "payload_too_large",
    ),
    ("nested 33 deep", json.dumps({"public_metadata": _nested(32)}), "application/json", 400, "invalid_json"),
    ("nested 30000 deep", "[" * 30000 + "]" * 30000, "application/json", 400, "invalid_json"),
    ("duplicate keys", '{"name": "A", "name": "B"}', "application/json", 400, "invalid_json"),
    (
        "duplicate nested keys",
        '{"public_metadata": {"a": 1, "a": 2}}',
        "application/json",
        400,
        "invalid_json",
    ),
    ("not JSON", "{name: A}", "application/json", 400, "invalid_json"),
    ("truncated JSON", '{"name": "A"', "application/json", 400, "invalid_json"),
    ("NaN", '{"public_metadata": {"n": NaN}}', "application/json", 400, "invalid_json"),
    ("Infinity", '{"public_metadata": {"n": -Infinity}}', "application/json", 400, "invalid_json"),
    (
        "huge integer",
        '{"public_metadata": {"n": ' + "9" * 5000 + "}}",
        "application/json",
        400,
        "invalid_json",
    ),
    ("escaped lone surrogate", '{"name": "A\\ud800B"}', "application/json", 400, "invalid_json"),
    ("raw lone surrogate", '{"name": "A\udcffB"}', "application/json", 400, "invalid_json"),
    ("byte order mark", '\ufeff{"name": "A"}', "application/json", 400, "invalid_json"),
    ("a list", '["name"]', "application/json", 400, "invalid_request"),
    ("a string", '"name"', "application/json", 400, "invalid_request"),
    ("null", "null", "application/json", 400, "invalid_request"),
    ("number for a string", '{"name": 123}', "application/json", 422, "validation_failed"),
    ("boolean for a string", '{"phone_number": true}', "application/json", 422, "validation_failed"),
    ("object for a string", '{"email": {"a": 1}}', "application/json", 422, "validation_failed"),
    ("string for a boolean", '{"email_verified": "yes"}', "application/json", 422, "validation_failed"),
    ("list for an object", '{"public_metadata": [1, 2]}', "application/json", 422, "validation_failed"),
    ("NUL in name", json.dumps({"name": "Ali\u0000ce"}), "application/json", 422, "validation_failed"),
    ("newline in name", json.dumps({"name": "Ali\nce"}), "application/json", 422, "validation_failed"),
    ("escape in name", json.dumps({"name": "Ali\u001b[31mce"}), "application/json", 422, "validation_failed"),
    (
        "bidi override in name",
        json.dumps({"name": "Ali\u202ece"}),
        "application/json",
        422,
        "validation_failed",
    ),
    ("zero-width in name", json.dumps({"name": "Ali\u200bce"}), "application/json", 422, "validation_failed"),
    ("DEL in name", json.dumps({"name": "Ali\u007fce"}), "application/json", 422, "validation_failed"),
    (
        "control in avatar",
        json.dumps({"avatar_url": "https://a.test/\u0000"}),
        "application/json",
        422,
        "validation_failed",
    ),
    ("name of 257", json.dumps({"name": "x" * 257}), "application/json", 422, "validation_failed"),
    ("name of 60 KB", json.dumps({"name": "x" * (60 * KB)}), "application/json", 422, "validation_failed"),
    (
        "metadata over 8 KB",
        json.dumps({"public_metadata": {"k": "v" * (8 * KB)}}),
        "application/json",
        422,
        "validation_failed",
    ),
    ("unknown field", '{"nmae": "A"}', "application/json", 422, "validation_failed"),
    ("text/plain", '{"name": "A"}', "text/plain", 415, "unsupported_media_type"),
    ("form", "name=A", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ("no content type", '{"name": "A"}', "", 415, "unsupported_media_type"),
    ("json-patch", '[{"op": "add"}]', "application/json-patch+json", 415, "unsupported_media_type"),
    ("xml", "<name>A</name>", "application/xml", 415, "unsupported_media_type"),
]


def test_admin_patch_refuses(api: Api, tenant: Tenant, user: dict[str, Any], subtests: Any) -> None:
    """Each case a subtest (one moto world for all): the answer, and the user read back unchanged."""
    before = admin_user(api, tenant, user["id"])
    for name, raw, content_type, status, code in CASES:
        with subtests.test(msg=name):
            reply = api(
                "PATCH",
                f"/v1/users/{user['id']}",
                headers={**tenant.admin(), "Content-Type": content_type},
                raw=raw,
            )
            assert_error(reply, status, code)
            assert admin_user(api, tenant, user["id"]) == before


def test_messages_name_the_field(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    reply = api("PATCH", f"/v1/users/{user['id']}", {"name": 123, "phone_number": "12"}, tenant.admin())
    assert_error(reply, 422, "validation_failed")
    fields = {d["field"] for d in reply.body["error"]["details"]}
    assert fields == {"name", "phone_number"}


def test_invalid_utf8_in_a_base64_body(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    before = admin_user(api, tenant, user["id"])
    for raw in (b'{"name": "A\xff\xfeB"}', b'{"name": "\xc3\x28"}', b'{"name": "\xed\xa0\x80"}'):
        reply = invoke(
            api,
            "PATCH",
            f"/v1/users/{user['id']}",
            headers={**tenant.admin(), "Content-Type": "application/json"},
            body=base64.b64encode(raw).decode(),
            isBase64Encoded=True,
        )
        assert_error(reply, 400, "invalid_json")
    valid = invoke(
        api,
        "PATCH",
        f"/v1/users/{user['id']}",
        headers={**tenant.admin(), "Content-Type": "application/json"},
        body=base64.b64encode('{"name": "Zoë"}'.encode()).decode(),
        isBase64Encoded=True,
    )
    assert valid.status == 200 and valid.body["name"] == "Zoë"
    assert admin_user(api, tenant, user["id"])[0]["name"] == "Zoë" != before[0]["name"]


# every route that takes a body, and who may call it
BODY_ROUTES = [
    ("POST", "/v1/users", "admin"),
    ("PATCH", "/v1/users/{uid}", "admin"),
    ("POST", "/v1/users/{uid}/password", "admin"),
    ("POST", "/v1/users/{uid}/disable", "admin"),
    ("PATCH", "/v1/auth/me", "user"),
    ("POST", "/v1/auth/password/change", "user"),
    ("POST", "/v1/auth/sign-in", "public"),
    ("POST", "/v1/auth/refresh", "public"),
    ("POST", "/v1/auth/email/verify", "public"),
    ("POST", "/v1/auth/email/cancel", "public"),
    ("POST", "/v1/auth/email/restore", "public"),
    ("POST", "/v1/webhooks", "admin"),
    ("PATCH", "/v1/webhooks/whk_01HZZZZZZZZZZZZZZZZZZZZZZZ", "admin"),
]
EVERYWHERE = [
    c
    for c in CASES
    if c[0]
    in (
        "body over 64 KB",
        "nested 33 deep",
        "duplicate keys",
        "text/plain",
        "raw lone surrogate",
        "NaN",
        "a list",
    )
]


@pytest.mark.parametrize(("method", "path", "who"), BODY_ROUTES, ids=[f"{m} {p}" for m, p, _ in BODY_ROUTES])
def test_every_body_route_refuses(
    api: Api, tenant: Tenant, user: dict[str, Any], method: str, path: str, who: str
) -> None:
    session = sign_in(api, tenant)
    headers = {
        "admin": tenant.admin(),
        "public": tenant.public(),
        "user": bearer(session["access_token"]),
    }[who]
    before = admin_user(api, tenant, user["id"])
    for name, raw, content_type, status, code in EVERYWHERE:
        reply = api(
            method, path.format(uid=user["id"]), headers={**headers, "Content-Type": content_type}, raw=raw
        )
        assert reply.status == status, (name, reply.body)
        assert_error(reply, status, code)
    assert admin_user(api, tenant, user["id"]) == before
    assert api("GET", "/v1/auth/me", headers=bearer(session["access_token"])).status == 200


def test_unauthenticated_hostile_body_is_refused_before_any_lookup(api: Api, tenant: Tenant) -> None:
    """Authentication comes first: an anonymous caller learns nothing about its body."""
    reply = api("POST", "/v1/users", headers={"Content-Type": "application/json"}, raw="[" * 30000)
    assert_error(reply, 401, "unauthorized")
    reply = api(
        "POST", "/v1/users", headers={"Content-Type": "application/json"}, raw='{"email": "a@example.com"}'
    )
    assert_error(reply, 401, "unauthorized")


def test_self_service_control_chars_and_types(api: Api, tenant: Tenant, user: dict[str, Any]) -> None:
    session = sign_in(api, tenant)
    headers = bearer(session["access_token"])
    before = admin_user(api, tenant, user["id"])
    body: dict[str, Any]
    for body in ({"name": "A\u0007B"}, {"name": 5}, {"avatar_url": 1.5}, {"phone_number": ["+1"]}):
        assert_error(api("PATCH", "/v1/auth/me", body, headers), 422, "validation_failed")
    for body in ({"current_password": 1, "new_password": "Battery-Staple-77"},):
        assert_error(api("POST", "/v1/auth/password/change", body, headers), 422, "validation_failed")
    assert_error(
        api("POST", "/v1/auth/sign-in", {"email": 1, "password": 2}, tenant.public()),
        422,
        "validation_failed",
    )
    assert admin_user(api, tenant, user["id"]) == before
