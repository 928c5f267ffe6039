"""Small readers shared by the handler tests."""

from typing import Any

from tests.conftest import PASSWORD, Api, Tenant


def get_user(api: Api, tenant: Tenant, uid: str) -> dict[str, Any]:
    reply = api("GET", f"/v1/users/{uid}", headers=tenant.admin())
    assert reply.status == 200, reply.body
    return dict(reply.body)


def create_user(api: Api, tenant: Tenant, email: str, **fields: Any) -> dict[str, Any]:
    reply = api("POST", "/v1/users", {"email": email, "password": PASSWORD, **fields}, tenant.admin())
    assert reply.status == 201, reply.body
    return dict(reply.body)


def can_sign_in(api: Api, tenant: Tenant, email: str, password: str = PASSWORD) -> int:
    reply = api("POST", "/v1/auth/sign-in", {"email": email, "password": password}, tenant.public())
    return reply.status


def session_items(tenant_id: str, user_id: str) -> list[str]:
    """The ids of the user's session items (`SES#…` in the user's item collection)."""
    import boto3
    from hellojohn.config import settings
    from hellojohn.store import keys

    out = boto3.client("dynamodb").query(
        TableName=settings().table_name,
        KeyConditionExpression="PK = :pk AND begins_with(SK, :ses)",
        ExpressionAttributeValues={":pk": {"S": keys.user_pk(tenant_id, user_id)}, ":ses": {"S": "SES#"}},
    )
    return sorted(item["SK"]["S"].removeprefix("SES#") for item in out.get("Items", []))


def notices_off(tenant: Tenant) -> None:
    """Switch every security notice off for the tenant (for tests about the verification email
    alone; the notices have their own: test_notices.py). The router still queues their jobs; the
    worker drops them, sending nothing."""
    set_notices_off(tenant.id, ["email_change_requested", "email_changed", "password_changed"])


def set_notices_off(tid: str, off: list[str]) -> None:
    import boto3
    from hellojohn.config import settings
    from hellojohn.rules import tenancy
    from hellojohn.store import keys

    boto3.client("dynamodb").update_item(
        TableName=settings().table_name,
        Key=keys.tenant(tid),
        UpdateExpression="SET notices_off = :off",
        ExpressionAttributeValues={":off": {"L": [{"S": kind} for kind in off]}},
    )
    tenancy.clear_caches()
