"""What IAM authorizes for one recorded AWS call: (action, resource ARN, request context) triples.

DynamoDB is authorized item by item where AWS does so: a `TransactWriteItems` is no IAM action,
each of its items is authorized as `PutItem`, `UpdateItem`, `DeleteItem` or `ConditionCheckItem`
("Using IAM with DynamoDB transactions"), a `TransactGetItems` item as `GetItem`; a batch as
`BatchGetItem`/`BatchWriteItem` with the partition key of each of its items; a `Query` on an index
against the index's ARN, its `dynamodb:LeadingKeys` the partition key of the key condition. A call
this module has no mapping for is refused (`Unmapped`), never passed.
"""

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from local_runner import template
from tests.awscalls import Call
from tests.iam.roles import bus_arn, identity_arn, kms_key_arn, queue_arn, secret_arn, table_arn

LEADING_KEYS = "dynamodb:LeadingKeys"


class Unmapped(ValueError):
    """A call whose IAM authorization this module does not know."""


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    context: tuple[tuple[str, tuple[str, ...]], ...]  # hashable; see `context_dict`
    what: str  # which part of the call, for messages

    @property
    def context_dict(self) -> dict[str, list[str]]:
        return {k: list(v) for k, v in self.context}

    @property
    def leading_keys(self) -> tuple[str, ...]:
        return dict(self.context).get(LEADING_KEYS, ())

    def __str__(self) -> str:
        keys = f" keys {list(self.leading_keys)}" if self.leading_keys else ""
        return f"{self.action} on {self.resource}{keys} ({self.what})"


@cache
def _hash_keys() -> dict[str | None, str]:
    """The partition key attribute of the table (None) and of each of its indexes."""
    [table] = template.resources("AWS::DynamoDB::Table").values()

    def hash_of(schema: list[dict[str, str]]) -> str:
        return next(k["AttributeName"] for k in schema if k["KeyType"] == "HASH")

    keys: dict[str | None, str] = {None: hash_of(table["KeySchema"])}
    for index in table.get("GlobalSecondaryIndexes", []):
        keys[index["IndexName"]] = hash_of(index["KeySchema"])
    return keys


def _table(name: str) -> str:
    return name if name.startswith("arn:") else table_arn(name)


def _pk(key_or_item: dict[str, Any]) -> str:
    value = key_or_item[_hash_keys()[None]]
    return str(next(iter(value.values())))


def _item(action: str, table: str, key: dict[str, Any], what: str) -> Request:
    return Request(f"dynamodb:{action}", _table(table), ((LEADING_KEYS, (_pk(key),)),), what)


def _query_partition(params: dict[str, Any]) -> str:
    """The partition key value a Query's key condition names (`<pk> = :value`)."""
    hash_key = _hash_keys()[params.get("IndexName")]
    names = params.get("ExpressionAttributeNames") or {}
    values = params.get("ExpressionAttributeValues") or {}
    for term in re.split(r"\s+AND\s+", params["KeyConditionExpression"], flags=re.IGNORECASE):
        found = re.fullmatch(r"\(?\s*(#?\w+)\s*=\s*(:\w+)\s*\)?", term.strip())
        if found and names.get(found.group(1), found.group(1)) == hash_key:
            return str(next(iter(values[found.group(2)].values())))
    raise Unmapped(f"no equality on {hash_key} in {params['KeyConditionExpression']!r}")


def _dynamodb(op: str, p: dict[str, Any]) -> list[Request]:  # noqa: PLR0911 - one branch per operation
    if op in {"GetItem", "UpdateItem", "DeleteItem"}:
        return [_item(op, p["TableName"], p["Key"], op)]
    if op == "PutItem":
        return [_item(op, p["TableName"], p["Item"], op)]
    if op == "Query":
        resource = _table(p["TableName"])
        if p.get("IndexName"):
            resource = f"{resource}/index/{p['IndexName']}"
        return [Request("dynamodb:Query", resource, ((LEADING_KEYS, (_query_partition(p),)),), op)]
    if op == "TransactWriteItems":
        kinds = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem"}
        kinds["ConditionCheck"] = "ConditionCheckItem"
        out = []
        for n, entry in enumerate(p["TransactItems"]):
            [(kind, body)] = entry.items()
            key = body["Item"] if kind == "Put" else body["Key"]
            out.append(_item(kinds[kind], body["TableName"], key, f"{op} item {n} ({kind})"))
        return out
    if op == "TransactGetItems":
        return [
            _item("GetItem", e["Get"]["TableName"], e["Get"]["Key"], f"{op} item {n}")
            for n, e in enumerate(p["TransactItems"])
        ]
    if op == "BatchGetItem":
        return [
            _item(op, table, key, f"{op} item {n}")
            for table, request in p["RequestItems"].items()
            for n, key in enumerate(request["Keys"])
        ]
    if op == "BatchWriteItem":
        out = []
        for table, writes in p["RequestItems"].items():
            for n, write in enumerate(writes):
                [(kind, body)] = write.items()
                key = body["Item"] if kind == "PutRequest" else body["Key"]
                out.append(_item(op, table, key, f"{op} item {n} ({kind})"))
        return out
    raise Unmapped(f"dynamodb {op}")


def requests_of(call: Call) -> list[Request]:
    """The authorization requests AWS evaluates for the call."""
    service, op, p = call.service, call.operation, call.params
    if service == "dynamodb":
        return _dynamodb(op, p)
    if service == "sqs" and op == "SendMessage":
        return [Request("sqs:SendMessage", queue_arn(p["QueueUrl"].rstrip("/").rsplit("/", 1)[-1]), (), op)]
    if service == "secretsmanager" and op == "GetSecretValue":
        secret = p["SecretId"]
        return [
            Request(
                "secretsmanager:GetSecretValue",
                secret if secret.startswith("arn:") else secret_arn(secret),
                (),
                op,
            )
        ]
    if service == "events" and op == "PutEvents":
        # each entry is authorized against its bus (a name here, or an ARN)
        return [
            Request(
                "events:PutEvents",
                bus if (bus := e.get("EventBusName", "default")).startswith("arn:") else bus_arn(bus),
                (),
                f"{op} entry {n}",
            )
            for n, e in enumerate(p["Entries"])
        ]
    if service == "ses" and op == "SendEmail":
        # SES authorizes the identity the sender is verified as: the address, or its domain
        address = re.sub(r"^.*<([^>]+)>\s*$", r"\1", p["Source"])
        domain = address.rsplit("@", 1)[-1]
        return [Request("ses:SendEmail", identity_arn(domain), (), f"{op} from {address} (domain identity)")]
    if service == "kms" and op in ("Encrypt", "Decrypt"):
        # moto names a key by a random id: the stack's one key is the template's (roles.kms_key_arn);
        # the request's context holds each encryption context pair as AWS's condition keys do
        context = tuple(
            (f"kms:EncryptionContext:{k}", (str(v),))
            for k, v in sorted((p.get("EncryptionContext") or {}).items())
        )
        return [Request(f"kms:{op}", kms_key_arn(), context, op)]
    raise Unmapped(f"{service} {op}")
