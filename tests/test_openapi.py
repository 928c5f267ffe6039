"""The committed OpenAPI document is the one the resolvers generate, and covers every route."""

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pytest import MonkeyPatch

from local_runner import template
from scripts import openapi


def test_committed_document_is_current() -> None:
    assert openapi.DOC.read_text() == openapi.render(), "docs/openapi.json is stale: run `make openapi`"


def test_every_template_route_is_documented_with_the_error_shape() -> None:
    doc = json.loads(openapi.DOC.read_text())
    for function in template.functions():
        for route in function.routes:
            if route.method == "OPTIONS" or route.path.startswith("/v1/.well-known/"):
                continue
            operation = doc["paths"][route.path][route.method.lower()]
            error = operation["responses"]["401"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/ErrorResponse"}


def test_error_codes_are_an_enum_that_covers_the_templates_canned_errors() -> None:
    doc = json.loads(openapi.DOC.read_text())
    codes = doc["components"]["schemas"]["ErrorBody"]["properties"]["code"]["enum"]
    assert "validation_failed" in codes and "internal_error" in codes
    canned = set(re.findall(r'"code": "(\w+)"', template.TEMPLATE.read_text()))
    assert canned and canned <= set(codes)


def test_error_codes_refuse_a_code_that_is_not_a_literal(tmp_path: Path, monkeypatch: MonkeyPatch) -> None:
    (tmp_path / "rules.py").write_text('def f(code):\n    return errors.ApiError(400, "bad_thing", "m")\n')
    monkeypatch.setattr(openapi, "LAYER", tmp_path)
    assert openapi.error_codes() == ["bad_thing"]
    (tmp_path / "more.py").write_text('def g(code):\n    return ApiError(400, code, "m")\n')
    with pytest.raises(ValueError, match=r"more\.py:2: ApiError needs a literal status and code"):
        openapi.error_codes()


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    doc = json.loads(openapi.DOC.read_text())
    return [(m, p, op) for p, ops in doc["paths"].items() for m, op in ops.items()]


def test_every_operation_says_its_credential_and_the_headers_it_needs() -> None:
    """What a generated client needs to call it: the security scheme (JWKS: none, said as []), the
    tenant header for the keys, and a response header X-Request-ID everywhere."""
    for method, path, op in _operations():
        assert "security" in op, (method, path)
        schemes = {name for requirement in op["security"] for name in requirement}
        headers = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "header"}
        if schemes & {"secretKey", "publishableKey"}:
            assert headers["X-Tenant-ID"]["required"] is True, (method, path)
        else:
            assert "X-Tenant-ID" not in headers
        if path == "/v1/.well-known/jwks.json":
            assert op["security"] == []
        for status, response in op["responses"].items():
            assert "X-Request-ID" in response["headers"], (method, path, status)


def test_no_framework_leftovers_and_no_nullable_optional_bodies() -> None:
    doc = json.loads(openapi.DOC.read_text())
    assert not set(openapi.FRAMEWORK_SCHEMAS) & set(doc["components"]["schemas"])
    for method, path, op in _operations():
        schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
        assert {"type": "null"} not in schema.get("anyOf", []), (method, path)


def test_fields_the_server_refuses_as_null_are_not_nullable_in_the_document() -> None:
    schemas = json.loads(openapi.DOC.read_text())["components"]["schemas"]
    for model, field in [
        ("AdminUserUpdate", "email"),
        ("AdminUserUpdate", "role"),
        ("SelfUserUpdate", "email"),
    ]:
        assert "anyOf" not in schemas[model]["properties"][field], (model, field)
