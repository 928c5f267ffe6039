"""The OpenAPI 3.1 document of the whole API, merged from every function's resolver.

`python -m scripts.openapi --write` regenerates docs/openapi.json; `--check` fails when it is stale.
"""

import argparse
import ast
import json
import os
import sys
from typing import Any

from local_runner import functions, template

DOC = template.ROOT / "docs" / "openapi.json"
LAYER = template.ROOT / "layers" / "shared" / "hellojohn"
SECURITY_SCHEMES = {
    "secretKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "sk_live_… / sk_test_… with X-Tenant-ID",
    },
    "publishableKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "pk_live_… / pk_test_… with X-Tenant-ID",
    },
    "accessToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT (EdDSA)"},
}


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


def build() -> dict[str, Any]:
    from unittest import mock

    from local_runner.aws import safe_environment

    # the functions' cold start (SnapStart's hook makes clients) needs a region; no AWS is called
    with mock.patch.dict(os.environ, {**PLACEHOLDER_ENV, **safe_environment(os.environ)}):
        return _build()


def _build() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for function in template.functions():
        if not function.routes:
            continue
        app = functions.module(function).app
        part = json.loads(app.get_openapi_json_schema(title="HelloJohn Users", version="1"))
        for path, operations in part.get("paths", {}).items():
            paths.setdefault(path, {}).update(operations)
        schemas.update(part.get("components", {}).get("schemas", {}))
    schemas["ErrorBody"]["properties"]["code"]["enum"] = error_codes()
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "HelloJohn Users",
            "version": "1.0.0",
            "description": "Update users: admins with a secret key, users with their session token.",
        },
        "servers": [{"url": "http://127.0.0.1:3000", "description": "make run"}],
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": dict(sorted(schemas.items())), "securitySchemes": SECURITY_SCHEMES},
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
