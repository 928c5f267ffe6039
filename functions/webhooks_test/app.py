"""POST /v1/webhooks/{webhook_id}/test: queue a `webhook.test` delivery to the endpoint (secret key)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from hellojohn.edge import auth
from hellojohn.edge.auth import KeyCaller
from hellojohn.edge.resolver import caller_of, entry, error_responses, make_app
from hellojohn.ids import WebhookId
from hellojohn.models import NoFields, WebhookTestSent
from hellojohn.rules import webhooks

app = make_app()


@app.post(
    "/v1/webhooks/<webhook_id>/test",
    status_code=202,
    tags=["Webhooks"],
    summary="Send a test delivery to a webhook endpoint",
    responses=error_responses(404, success=202),
)
def test_webhook(
    webhook_id: WebhookId, body: Annotated[NoFields | None, Body()] = None
) -> Response[WebhookTestSent]:
    caller: KeyCaller = caller_of(app)
    sent = WebhookTestSent(event_id=webhooks.send_test(caller.tenant, webhook_id))
    return Response(status_code=202, body=sent, content_type="application/json")


lambda_handler: Any = entry(app, auth.secret_key, needs=("dynamodb", "sqs"))
