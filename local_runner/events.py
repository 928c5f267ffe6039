"""The events Lambda gives a function: API Gateway (REST, proxy integration), DynamoDB stream, SQS."""

import base64
import hashlib
import json
import re
import time
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from local_runner.template import Function, Route


def match(route: Route, method: str, path: str) -> dict[str, str] | None:
    """Path parameters when `path` matches the route's resource path, else None."""
    if route.method != method.upper():
        return None
    pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(route.path)) + "$"
    found = re.match(pattern, path)
    return found.groupdict() if found else None


def route_table(functions: Iterable[Function]) -> list[tuple[Route, Function]]:
    """Every route with its function, as API Gateway tries them: static segments before parameters."""
    found = [(route, fn) for fn in functions for route in fn.routes]
    return sorted(found, key=lambda rf: rf[0].path.count("{"))


def find_route(
    table: list[tuple[Route, Function]], method: str, path: str
) -> tuple[Route, Function, dict[str, str]] | None:
    """The route a request goes to, its function and its path parameters; None when none matches."""
    for route, function in table:
        params = match(route, method, path)
        if params is not None:
            return route, function, params
    return None


def api_event(
    route: Route,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: str | None = None,
    query: dict[str, list[str]] | None = None,
    path_params: dict[str, str] | None = None,
    source_ip: str = "127.0.0.1",
    stage: str = "dev",
) -> dict[str, Any]:
    headers = dict(headers or {})
    query = query or {}
    request_id = str(uuid.uuid4())
    return {
        "resource": route.path,
        "path": path,
        "httpMethod": route.method,
        "headers": headers or None,
        "multiValueHeaders": {k: [v] for k, v in headers.items()} or None,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": path_params or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": route.path,
            "httpMethod": route.method,
            "path": f"/{stage}{path}",
            "stage": stage,
            "requestId": request_id,
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {"sourceIp": source_ip, "userAgent": headers.get("User-Agent", "")},
            "accountId": "123456789012",
            "apiId": "local",
            "protocol": "HTTP/1.1",
        },
        "body": body,
        "isBase64Encoded": False,
    }


def _lambda_json(value: Any) -> Any:
    """A boto3 response value as Lambda's JSON event carries it (epoch seconds, base64 binaries)."""
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: _lambda_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_lambda_json(v) for v in value]
    return value


def stream_event(records: list[dict[str, Any]], stream_arn: str) -> dict[str, Any]:
    """A Lambda DynamoDB stream event from `dynamodbstreams.get_records` records."""
    return {"Records": [{**_lambda_json(r), "eventSourceARN": stream_arn} for r in records]}


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """A Lambda SQS event from `sqs.receive_message` messages (received with all attributes)."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {
                    name: {
                        "stringValue": a.get("StringValue"),
                        "binaryValue": _lambda_json(a.get("BinaryValue")),
                        "stringListValues": [],
                        "binaryListValues": [],
                        "dataType": a["DataType"],
                    }
                    for name, a in (m.get("MessageAttributes") or {}).items()
                },
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for m in messages
        ]
    }


def job_event(bodies: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """A Lambda SQS event carrying these JSON job bodies, each on its first receive."""
    messages = []
    for i, body in enumerate(bodies):
        text = json.dumps(body)
        messages.append(
            {
                "MessageId": f"m{i}",
                "ReceiptHandle": f"r{i}",
                "Body": text,
                "Attributes": {"ApproximateReceiveCount": "1"},
                "MD5OfBody": hashlib.md5(text.encode(), usedforsecurity=False).hexdigest(),
            }
        )
    return sqs_event(messages, queue_arn, region)
