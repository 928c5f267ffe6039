"""Tenant settings and API keys (looked up by the key's hash, never by the key)."""

from typing import Any

from hellojohn.records import ApiKey, Tenant
from hellojohn.store import keys
from hellojohn.store.client import dynamodb, from_item, table_name, to_item


def get(tid: str) -> Tenant | None:
    out = dynamodb().get_item(TableName=table_name(), Key=keys.tenant(tid))
    item = out.get("Item")
    return Tenant.from_item(from_item(item)) if item else None


def key_by_hash(key_hash: str) -> ApiKey | None:
    out = dynamodb().get_item(TableName=table_name(), Key=keys.api_key(key_hash))
    item = out.get("Item")
    if not item:
        return None
    d = from_item(item)
    return ApiKey(id=d["key_id"], tenant_id=d["tenant_id"], kind=d["kind"])


def create(tenant: Tenant, api_keys: list[tuple[str, ApiKey]]) -> None:
    """The tenant and its first keys ((hash, key) pairs), all or nothing."""
    items: list[Any] = [
        {
            "Put": {
                "TableName": table_name(),
                "Item": {**keys.tenant(tenant.id), **to_item(tenant.to_item())},
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }
    ]
    for key_hash, key in api_keys:
        items.append(
            {
                "Put": {
                    "TableName": table_name(),
                    "Item": {
                        **keys.api_key(key_hash),
                        **to_item({"key_id": key.id, "tenant_id": key.tenant_id, "kind": key.kind}),
                    },
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            }
        )
    dynamodb().transact_write_items(TransactItems=items)
