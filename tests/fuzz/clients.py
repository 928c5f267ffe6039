"""The two ways the fuzzer reaches the API: HTTP to the local runner, or WSGI in process."""

import json
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import requests

if TYPE_CHECKING:
    from schemathesis.specs.openapi.schemas import OpenApiCase


class Http:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()

    def send(self, method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
        r = self.session.request(method, self.base_url + path, json=body, headers=headers, timeout=30)
        return r.status_code, (r.json() if r.content else None)

    def call(self, case: "OpenApiCase", headers: dict[str, str]) -> Any:
        return case.call(base_url=self.base_url, session=self.session, headers=headers, timeout=30)


def gateway_app() -> Any:
    """The local runner's gateway (routing as API Gateway) as a WSGI app: no socket, no server."""
    from local_runner import template
    from local_runner.server import Gateway

    gateway = Gateway([f for f in template.functions() if f.routes])

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        target = environ.get("RAW_URI") or quote(environ.get("PATH_INFO", "/"), safe="/:@!$&'()*+,;=-._~%")
        if environ.get("QUERY_STRING") and "?" not in target:
            target += "?" + environ["QUERY_STRING"]
        headers = {k[5:].replace("_", "-").title(): v for k, v in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        reply = gateway.handle(environ["REQUEST_METHOD"], target, headers, body)
        start_response(f"{reply.status} {HTTPStatus(reply.status).phrase}", reply.headers)
        return [reply.body]

    return app


class InProcess:
    def __init__(self, app: Any) -> None:
        from werkzeug.test import Client

        self.app = app
        self.client = Client(app)

    def send(self, method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
        r = self.client.open(
            path,
            method=method,
            data=json.dumps(body) if body is not None else None,
            headers={**headers, "Content-Type": "application/json"},
        )
        return r.status_code, (json.loads(r.get_data()) if r.get_data() else None)

    def call(self, case: "OpenApiCase", headers: dict[str, str]) -> Any:
        return case.call(headers=headers, app=self.app)
