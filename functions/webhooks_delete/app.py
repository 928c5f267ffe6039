"""DELETE /v1/webhooks/{webhook_id}: remove an endpoint; nothing more is delivered to it (secret key)."""

from typing import Any

from aws_lambda_powertools.event_handler import Response
from hellojohn.edge import auth
from hellojohn.edge.auth import KeyCaller
from hellojohn.edge.resolver import caller_of, entry, error_responses, make_app
from hellojohn.ids import WebhookId
from hellojohn.rules import webhooks

app = make_app()


@app.delete(
    "/v1/webhooks/<webhook_id>",
    status_code=204,
    tags=["Webhooks"],
    summary="Delete a webhook endpoint",
    responses=error_responses(404, success=204),
)
def delete_webhook(webhook_id: WebhookId) -> Response[str]:
    caller: KeyCaller = caller_of(app)
    webhooks.delete(caller.tenant, webhook_id)
    return Response(status_code=204, body="")


lambda_handler: Any = entry(app, auth.secret_key, needs=("dynamodb",))
