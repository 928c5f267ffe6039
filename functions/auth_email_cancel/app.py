"""POST /v1/auth/email/cancel: the "change requested" notice's link ends that change (publishable key)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from hellojohn.edge import auth
from hellojohn.edge.auth import KeyCaller
from hellojohn.edge.resolver import caller_of, entry, error_responses, make_app
from hellojohn.models import NoticeLink
from hellojohn.rules import notices

app = make_app()


@app.post(
    "/v1/auth/email/cancel",
    status_code=204,
    tags=["Auth"],
    summary="Cancel a pending email change",
    responses=error_responses(success=204),
)
def cancel_email_change(body: Annotated[NoticeLink, Body()]) -> Response[str]:
    caller: KeyCaller = caller_of(app)
    notices.cancel(caller.tenant.id, body.token)
    return Response(status_code=204, body="")


lambda_handler: Any = entry(app, auth.publishable_key, needs=("dynamodb",))
