"""POST /v1/webhooks/{webhook_id}/rotate-secret: a new secret, shown here only; the old one signs
beside it for 24 hours (secret key)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from hellojohn.edge import auth
from hellojohn.edge.auth import KeyCaller
from hellojohn.edge.resolver import caller_of, entry, error_responses, make_app
from hellojohn.ids import WebhookId
from hellojohn.models import NoFields, WebhookSecret
from hellojohn.rules import webhooks

app = make_app()


@app.post(
    "/v1/webhooks/<webhook_id>/rotate-secret",
    tags=["Webhooks"],
    summary="Rotate a webhook endpoint's secret",
    responses=error_responses(404, 409),
)
def rotate_secret(webhook_id: WebhookId, body: Annotated[NoFields | None, Body()] = None) -> WebhookSecret:
    caller: KeyCaller = caller_of(app)
    return webhooks.rotate(caller.tenant, webhook_id)


lambda_handler: Any = entry(app, auth.secret_key, needs=("dynamodb", "kms"))
