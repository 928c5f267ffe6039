"""GET /v1/webhooks/{webhook_id}: one webhook endpoint, without its secret (secret key)."""

from typing import Any

from hellojohn.edge import auth
from hellojohn.edge.auth import KeyCaller
from hellojohn.edge.resolver import caller_of, entry, error_responses, make_app
from hellojohn.ids import WebhookId
from hellojohn.models import Webhook
from hellojohn.rules import webhooks

app = make_app()


@app.get(
    "/v1/webhooks/<webhook_id>",
    tags=["Webhooks"],
    summary="Read a webhook endpoint",
    responses=error_responses(404),
)
def get_webhook(webhook_id: WebhookId) -> Webhook:
    caller: KeyCaller = caller_of(app)
    return webhooks.get(caller.tenant, webhook_id)


lambda_handler: Any = entry(app, auth.secret_key, needs=("dynamodb",))
