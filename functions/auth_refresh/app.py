"""POST /v1/auth/refresh: rotate a refresh token for a new session object (publishable key)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from hellojohn.edge import auth
from hellojohn.edge.auth import KeyCaller
from hellojohn.edge.resolver import caller_of, entry, error_responses, make_app
from hellojohn.models import Refresh, RefreshResult
from hellojohn.rules import account

app = make_app()


@app.post("/v1/auth/refresh", tags=["Auth"], summary="Refresh a session", responses=error_responses())
def refresh(body: Annotated[Refresh, Body()]) -> RefreshResult:
    caller: KeyCaller = caller_of(app)
    return RefreshResult(session=account.refresh(caller.tenant, body.refresh_token))


lambda_handler: Any = entry(app, auth.publishable_key, needs=("dynamodb", "tokens"))
