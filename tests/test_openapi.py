"""The committed OpenAPI document is the one the resolvers generate, and covers every route."""

import json
import re
from pathlib import Path

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
