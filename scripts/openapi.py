"""The OpenAPI 3.1 document of the whole API, merged from every function's resolver.

`python -m scripts.openapi --write` regenerates docs/openapi.json; `--check` fails when it is stale.
"""

import argparse
import ast
import json
import os
import sys
from pathlib import Path
from typing import Any

from local_runner import functions, template

DOC = template.ROOT / "docs" / "openapi.json"
LAYER = template.ROOT / "layers" / "shared" / "hellojohn"
# importing a function runs its cold start, which refuses an environment that cannot work
PLACEHOLDER_ENV = {"TABLE_NAME": "openapi-only", "SIGNING_KEY_SECRET": "openapi-only"}


def error_codes() -> list[str]:
    """Every `code` the layer can answer with, read from its `ApiError(status, code, ...)` calls.

    Ordered by status, then name. A code that is not a string literal fails the build, so that
    no code can escape the document's enum (and the SDK's types generated from it).
    """
    found: dict[str, int] = {}
    for path in sorted(LAYER.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.Call) and _called_name(node.func) == "ApiError"):
                continue
            keywords = {k.arg: k.value for k in node.keywords}
            status = node.args[0] if node.args else keywords.get("status")
            code = node.args[1] if len(node.args) > 1 else keywords.get("code")
            if not (
                isinstance(status, ast.Constant)
                and isinstance(status.value, int)
                and isinstance(code, ast.Constant)
                and isinstance(code.value, str)
            ):
                raise ValueError(f"{path}:{node.lineno}: ApiError needs a literal status and code")
            found[code.value] = status.value
    if not found:
        raise ValueError(f"no ApiError(status, code, ...) found under {LAYER}")
    return sorted(found, key=lambda code: (found[code], code))


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


TENANT_HEADER = {
    "name": "X-Tenant-ID",
    "in": "header",
    "required": True,
    "description": "The tenant the key belongs to (`tnt_…`); a key of another tenant is 403 tenant_mismatch.",
    "schema": {"type": "string", "pattern": "^tnt_[0-9A-HJKMNP-TV-Z]{26}$"},
}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": "The ETag of the user as last read: the change applies only to that version (412 "
    "precondition_failed otherwise). Without it, the last writer wins.",
    "schema": {"type": "string"},
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Repeating a request with the same key (within 24 hours) answers the first one's "
    "response without doing it again.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
}
RESPONSE_HEADERS = {
    "X-Request-ID": {
        "description": "This request's id (also in every error body)",
        "schema": {"type": "string"},
    },
    "ETag": {"description": "The user's version, for If-Match", "schema": {"type": "string"}},
    "Retry-After": {"description": "Seconds to wait before trying again", "schema": {"type": "integer"}},
    "WWW-Authenticate": {
        "description": "On a 403 `reauthentication_required` (RFC 9470): `Bearer "
        'error="insufficient_user_authentication", error_description="…", max_age="<seconds>"`: '
        "prove the password again (POST /v1/auth/reauthenticate), then retry",
        "schema": {"type": "string"},
    },
}
# schemas Powertools adds for its own validation errors, which this API answers in its one shape instead
FRAMEWORK_SCHEMAS = ("HTTPValidationError", "ValidationError", "ResponseValidationError")


def _calls(path: Path) -> set[str]:
    """The names a handler module calls (`if_match`, `with_etag`, `once`, ...)."""
    return {
        name
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Call) and (name := _called_name(node.func)) is not None
    }


def _headers(operation: dict[str, Any], uses: set[str], stepped_up: bool = False) -> None:
    """The headers an operation reads and writes, declared, as a generated client needs them."""
    operation.setdefault("security", [])  # public (JWKS): said explicitly, no credential
    schemes = {name for requirement in operation["security"] for name in requirement}
    params: list[dict[str, Any]] = operation.setdefault("parameters", [])
    if schemes & {"secretKey", "publishableKey"}:
        params.append(TENANT_HEADER)
    if "if_match" in uses:
        params.append(IF_MATCH)
    if "once" in uses:  # edge.idempotency.once
        params.append(IDEMPOTENCY_KEY)
    if not params:
        del operation["parameters"]
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    alternatives = body.get("schema", {}).get("anyOf", [])
    if len(alternatives) == 2 and {"type": "null"} in alternatives:
        # an optional body (`X | None = None`): documented as the object, the request body not
        # required; the `null` alternative (also accepted) makes generators fail
        [body["schema"]] = [a for a in alternatives if a != {"type": "null"}]
        operation["requestBody"]["required"] = False
    responses: dict[str, Any] = operation["responses"]
    for status, response in list(responses.items()):
        if (
            response.get("content", {})
            .get("application/json", {})
            .get("schema", {})
            .get("$ref", "")
            .endswith("/HTTPValidationError")
        ):
            del responses[status]  # never answered in that shape: 422 is the contract's error
            continue
        names = ["X-Request-ID"]
        if status.startswith("2") and "with_etag" in uses:
            names.append("ETag")
        if status in ("429", "503"):
            names.append("Retry-After")
        if status == "403" and stepped_up:  # hellojohn.edge.reverification
            names.append("WWW-Authenticate")
        response["headers"] = {name: {"$ref": f"#/components/headers/{name}"} for name in names}


def build() -> dict[str, Any]:
    from unittest import mock

    from local_runner.aws import safe_environment

    # the functions' cold start (SnapStart's hook makes clients) needs a region; no AWS is called
    with mock.patch.dict(os.environ, {**PLACEHOLDER_ENV, **safe_environment(os.environ)}):
        return _build()


def _build() -> dict[str, Any]:
    from hellojohn.edge.resolver import SECURITY_SCHEMES, routes_of
    from hellojohn.edge.reverification import NEVER, RULES

    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for function in template.functions():
        if not function.routes:
            continue
        app = functions.module(function).app
        part = json.loads(
            app.get_openapi_json_schema(
                title="HelloJohn Users",
                version="1",
                security_schemes=SECURITY_SCHEMES,
            )
        )
        uses = _calls(function.code_dir / "app.py")
        [route] = routes_of(app)  # one route a function
        for path, operations in part.get("paths", {}).items():
            for operation in operations.values():
                # the handler's name (`update_user`), not Powertools' `update_user_v1_users__user_id__patch`:
                # what a generated client calls
                operation["operationId"] = route.func.__name__
                stepped_up = RULES.get((route.method.upper(), path), NEVER) != NEVER  # paths: the resources
                _headers(operation, uses, stepped_up)
            paths.setdefault(path, {}).update(operations)
        schemas.update(part.get("components", {}).get("schemas", {}))
    schemas["ErrorBody"]["properties"]["code"]["enum"] = error_codes()
    for unused in FRAMEWORK_SCHEMAS:
        schemas.pop(unused, None)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "HelloJohn Users",
            "version": "1.0.0",
            "description": "Update users: admins with a secret key, users with their session token.",
        },
        "servers": [{"url": "http://127.0.0.1:3000", "description": "make run"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": SECURITY_SCHEMES,
            "headers": RESPONSE_HEADERS,
        },
    }


def render() -> str:
    return json.dumps(build(), indent=2, sort_keys=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="rewrite docs/openapi.json")
    args = parser.parse_args()
    text = render()
    if args.write:
        DOC.write_text(text)
        return 0
    if not DOC.exists() or DOC.read_text() != text:
        sys.stderr.write("docs/openapi.json is stale: run `make openapi`\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
