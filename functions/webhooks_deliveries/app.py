"""GET /v1/webhooks/{webhook_id}/deliveries: the endpoint's delivery attempts, newest first (secret key)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from hellojohn.edge import auth
from hellojohn.edge.auth import KeyCaller
from hellojohn.edge.resolver import caller_of, entry, error_responses, make_app
from hellojohn.ids import WebhookId
from hellojohn.models import WebhookDeliveryList
from hellojohn.rules import webhooks

app = make_app()


@app.get(
    "/v1/webhooks/<webhook_id>/deliveries",
    tags=["Webhooks"],
    summary="A webhook endpoint's delivery attempts",
    responses=error_responses(404),
)
def webhook_deliveries(
    webhook_id: WebhookId,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> WebhookDeliveryList:
    caller: KeyCaller = caller_of(app)
    return webhooks.deliveries(caller.tenant, webhook_id, limit, cursor)


lambda_handler: Any = entry(app, auth.secret_key, needs=("dynamodb",))
