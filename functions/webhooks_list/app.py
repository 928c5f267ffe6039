"""GET /v1/webhooks: the tenant's webhook endpoints, cursor-paginated, without secrets (secret key)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from hellojohn.edge import auth
from hellojohn.edge.auth import KeyCaller
from hellojohn.edge.resolver import caller_of, entry, error_responses, make_app
from hellojohn.models import WebhookList
from hellojohn.rules import webhooks

app = make_app()


@app.get("/v1/webhooks", tags=["Webhooks"], summary="List webhook endpoints", responses=error_responses())
def list_webhooks(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> WebhookList:
    caller: KeyCaller = caller_of(app)
    return webhooks.page(caller.tenant, limit, cursor)


lambda_handler: Any = entry(app, auth.secret_key, needs=("dynamodb",))
