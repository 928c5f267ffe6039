"""POST /v1/webhooks: register a webhook endpoint; its secret is shown here only (secret key)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from hellojohn.edge import auth
from hellojohn.edge.auth import KeyCaller
from hellojohn.edge.resolver import caller_of, entry, error_responses, make_app
from hellojohn.models import WebhookCreate, WebhookCreated
from hellojohn.rules import webhooks

app = make_app()


@app.post(
    "/v1/webhooks",
    status_code=201,
    tags=["Webhooks"],
    summary="Register a webhook endpoint",
    responses=error_responses(409, success=201),
)
def create_webhook(body: Annotated[WebhookCreate, Body()]) -> Response[WebhookCreated]:
    caller: KeyCaller = caller_of(app)
    created = webhooks.create(caller.tenant, body)
    return Response(status_code=201, body=created, content_type="application/json")


lambda_handler: Any = entry(app, auth.secret_key, needs=("dynamodb", "kms"))
