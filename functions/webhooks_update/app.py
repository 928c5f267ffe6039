"""PATCH /v1/webhooks/{webhook_id}: change an endpoint's url, event types, description, echo
filter, or disable and enable it (secret key)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from hellojohn.edge import auth
from hellojohn.edge.auth import KeyCaller
from hellojohn.edge.resolver import caller_of, entry, error_responses, make_app
from hellojohn.ids import WebhookId
from hellojohn.models import Webhook, WebhookUpdate
from hellojohn.rules import webhooks

app = make_app()


@app.patch(
    "/v1/webhooks/<webhook_id>",
    tags=["Webhooks"],
    summary="Change a webhook endpoint",
    responses=error_responses(404),
)
def update_webhook(webhook_id: WebhookId, body: Annotated[WebhookUpdate, Body()]) -> Webhook:
    caller: KeyCaller = caller_of(app)
    return webhooks.update(caller.tenant, webhook_id, body)


lambda_handler: Any = entry(app, auth.secret_key, needs=("dynamodb",))
