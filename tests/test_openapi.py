"""The committed OpenAPI document is the one the resolvers generate, and covers every route."""

import json

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
