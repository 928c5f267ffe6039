"""API Gateway (REST, proxy integration) events, built as API Gateway builds them."""

import re
import time
import uuid
from typing import Any

from local_runner.template import Route


def match(route: Route, method: str, path: str) -> dict[str, str] | None:
    """Path parameters when `path` matches the route's resource path, else None."""
    if route.method != method.upper():
        return None
    pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(route.path)) + "$"
    found = re.match(pattern, path)
    return found.groupdict() if found else None


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
