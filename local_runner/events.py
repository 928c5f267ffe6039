"""The events Lambda gives a function: API Gateway (REST, proxy integration), DynamoDB stream, SQS."""

import base64
import fnmatch
import hashlib
import json
import re
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from local_runner.template import Function, Route

if TYPE_CHECKING:
    from mypy_boto3_dynamodbstreams.type_defs import RecordTypeDef
    from mypy_boto3_sqs.type_defs import MessageTypeDef


def match(route: Route, method: str, path: str) -> dict[str, str] | None:
    """Path parameters when `path` matches the route's resource path, else None.

    `path` is the raw request path: an encoded slash (`%2F`) is part of a segment, not a separator,
    and a parameter's value is the segment as sent, still percent-encoded, as API Gateway (REST)
    routes and passes it."""
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


Headers = Mapping[str, str] | Iterable[tuple[str, str]]


def binary_media_types() -> tuple[str, ...]:
    """The REST API's BinaryMediaTypes, from the template (none: every body is text)."""
    from local_runner import template

    found: list[str] = []
    for props in template.resources("AWS::Serverless::Api").values():
        found += [str(t).replace("~1", "/") for t in props.get("BinaryMediaTypes") or []]
    return tuple(found)


def _is_binary(content_type: str, binary: tuple[str, ...]) -> bool:
    media = content_type.split(";", maxsplit=1)[0].strip().lower()
    return any(fnmatch.fnmatchcase(media, pattern.lower()) for pattern in binary)


def proxy_body(body: str | bytes | None, content_type: str) -> tuple[str | None, bool]:
    """The request body as API Gateway (REST, proxy integration) gives it to Lambda: base64 when
    its Content-Type is one of the API's binary media types; else a text payload, a UTF-8 string,
    in which bytes that are not UTF-8 arrive as U+FFFD ("Binary media types for REST APIs")."""
    if body is None or body in (b"", ""):
        return None, False
    if isinstance(body, str):
        return body, False
    if _is_binary(content_type, binary_media_types()):
        return base64.b64encode(body).decode(), True
    return body.decode("utf-8", errors="replace"), False


def proxy_headers(headers: Headers | None) -> tuple[dict[str, str], dict[str, list[str]]]:
    """`headers` (the last value of each) and `multiValueHeaders` (all of them), as API Gateway
    builds them: names as the client spelled them, repeats of a name in any case grouped."""
    pairs = list(headers.items() if isinstance(headers, Mapping) else headers or [])
    spelled: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        key = spelled.setdefault(name.lower(), name)
        multi.setdefault(key, []).append(value)
    return {k: v[-1] for k, v in multi.items()}, multi


def header(headers: Mapping[str, str], name: str, default: str = "") -> str:
    """A header's value, its name matched case-insensitively."""
    return next((v for k, v in headers.items() if k.lower() == name.lower()), default)


def api_event(
    route: Route,
    path: str,
    *,
    headers: Headers | None = None,
    body: str | bytes | None = None,
    query: dict[str, list[str]] | None = None,
    path_params: dict[str, str] | None = None,
    source_ip: str = "127.0.0.1",
    stage: str = "dev",
) -> dict[str, Any]:
    """A REST API proxy event. `path` and `path_params` are as the client sent them: API Gateway
    (REST) neither decodes the path before routing nor decodes path parameters."""
    single, multi = proxy_headers(headers)
    text, is_base64 = proxy_body(body, header(single, "Content-Type"))
    query = query or {}
    request_id = str(uuid.uuid4())
    return {
        "resource": route.path,
        "path": path,
        "httpMethod": route.method,
        "headers": single or None,
        "multiValueHeaders": multi or None,
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
            # as API Gateway fills them: the TCP peer's address, and the User-Agent (null when none)
            "identity": {"sourceIp": source_ip, "userAgent": header(single, "User-Agent") or None},
            "accountId": "123456789012",
            "apiId": "local",
            "protocol": "HTTP/1.1",
        },
        "body": text,
        "isBase64Encoded": is_base64,
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


def stream_event(records: "Sequence[RecordTypeDef]", stream_arn: str) -> dict[str, Any]:
    """A Lambda DynamoDB stream event from `dynamodbstreams.get_records` records."""
    return {"Records": [{**_lambda_json(r), "eventSourceARN": stream_arn} for r in records]}


def sqs_event(messages: "Sequence[MessageTypeDef]", queue_arn: str, region: str) -> dict[str, Any]:
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
    messages: list[MessageTypeDef] = []
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
