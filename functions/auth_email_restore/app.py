"""POST /v1/auth/email/restore: the "email changed" notice's link puts the old address back (publishable key).

The address is verified again and every session is revoked (docs/NOTICES.md).
"""

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
    "/v1/auth/email/restore",
    status_code=204,
    tags=["Auth"],
    summary="Restore the previous email",
    responses=error_responses(409, success=204),
)
def restore_email(body: Annotated[NoticeLink, Body()]) -> Response[str]:
    caller: KeyCaller = caller_of(app)
    notices.restore(caller.tenant.id, body.token)
    return Response(status_code=204, body="")


lambda_handler: Any = entry(app, auth.publishable_key, needs=("dynamodb", "email"))
