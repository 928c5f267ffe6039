"""What IAM authorizes for a call (tests/iam/requests.py): the actions AWS really checks."""

import pytest

from tests.awscalls import Call
from tests.iam.requests import Unmapped, requests_of

TABLE = "hellojohn-local-Table"
ARN = f"arn:aws:dynamodb:us-east-1:123456789012:table/{TABLE}"


def of(service: str, operation: str, **params: object) -> list[tuple[str, str, tuple[str, ...]]]:
    return [
        (r.action, r.resource, r.leading_keys) for r in requests_of(Call(service, operation, params, "F"))
    ]


def test_a_transaction_is_authorized_item_by_item_by_their_own_actions() -> None:
    items = [
        {"Put": {"TableName": TABLE, "Item": {"PK": {"S": "A"}, "SK": {"S": "x"}}}},
        {"Update": {"TableName": TABLE, "Key": {"PK": {"S": "B"}, "SK": {"S": "x"}}}},
        {"Delete": {"TableName": TABLE, "Key": {"PK": {"S": "C"}, "SK": {"S": "x"}}}},
        {"ConditionCheck": {"TableName": TABLE, "Key": {"PK": {"S": "D"}, "SK": {"S": "x"}}}},
    ]
    assert of("dynamodb", "TransactWriteItems", TransactItems=items) == [
        ("dynamodb:PutItem", ARN, ("A",)),
        ("dynamodb:UpdateItem", ARN, ("B",)),
        ("dynamodb:DeleteItem", ARN, ("C",)),
        ("dynamodb:ConditionCheckItem", ARN, ("D",)),
    ]


def test_batches_carry_each_items_partition_key() -> None:
    writes = {
        TABLE: [
            {"DeleteRequest": {"Key": {"PK": {"S": "A"}, "SK": {"S": "1"}}}},
            {"PutRequest": {"Item": {"PK": {"S": "B"}, "SK": {"S": "2"}}}},
        ]
    }
    assert of("dynamodb", "BatchWriteItem", RequestItems=writes) == [
        ("dynamodb:BatchWriteItem", ARN, ("A",)),
        ("dynamodb:BatchWriteItem", ARN, ("B",)),
    ]
    reads = {TABLE: {"Keys": [{"PK": {"S": "C"}, "SK": {"S": "1"}}]}}
    assert of("dynamodb", "BatchGetItem", RequestItems=reads) == [("dynamodb:BatchGetItem", ARN, ("C",))]


def test_a_query_on_an_index_is_authorized_on_the_index_with_its_partition_key() -> None:
    assert of(
        "dynamodb",
        "Query",
        TableName=TABLE,
        IndexName="GSI1",
        KeyConditionExpression="#pk = :pk AND begins_with(GSI1SK, :after)",
        ExpressionAttributeNames={"#pk": "GSI1PK"},
        ExpressionAttributeValues={":pk": {"S": "TNT#t#USERS"}, ":after": {"S": "x"}},
    ) == [("dynamodb:Query", f"{ARN}/index/GSI1", ("TNT#t#USERS",))]


def test_other_services() -> None:
    url = "https://sqs.us-east-1.amazonaws.com/123456789012/hellojohn-local-EmailQueue"
    assert of("sqs", "SendMessage", QueueUrl=url, MessageBody="{}") == [
        ("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:hellojohn-local-EmailQueue", ())
    ]
    assert of("ses", "SendEmail", Source="Acme <no-reply@acme.test>") == [
        ("ses:SendEmail", "arn:aws:ses:us-east-1:123456789012:identity/acme.test", ())
    ]
    [(action, arn, _)] = of("secretsmanager", "GetSecretValue", SecretId="hellojohn-local-SigningKeySecret")
    assert action == "secretsmanager:GetSecretValue"
    assert arn.startswith(
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:hellojohn-local-SigningKeySecret-"
    )


def test_a_call_without_a_mapping_is_refused() -> None:
    with pytest.raises(Unmapped):
        of("dynamodb", "Scan", TableName=TABLE)
    with pytest.raises(Unmapped):
        of("sqs", "DeleteMessage", QueueUrl="u", ReceiptHandle="r")
