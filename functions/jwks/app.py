"""GET /v1/.well-known/jwks.json: the public keys that verify access tokens (anyone)."""

from typing import Any

from hellojohn.edge.resolver import entry, make_app
from hellojohn.models import Jwks
from hellojohn.rules import tokens

app = make_app()


@app.get(
    "/v1/.well-known/jwks.json", tags=["Keys"], summary="Signing keys", cache_control="public, max-age=300"
)
def jwks() -> Jwks:
    return Jwks.model_validate(tokens.jwks())


lambda_handler: Any = entry(app, needs=("keys",))
