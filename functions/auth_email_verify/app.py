"""POST /v1/auth/email/verify: use the emailed token to make the pending email active (publishable key)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from hellojohn.edge import auth
from hellojohn.edge.auth import KeyCaller
from hellojohn.edge.resolver import caller_of, entry, error_responses, make_app, with_etag
from hellojohn.models import SelfUser, VerifyEmail, view_of
from hellojohn.rules import verification

app = make_app()


@app.post(
    "/v1/auth/email/verify", tags=["Auth"], summary="Verify a new email", responses=error_responses(409)
)
def verify_email(body: Annotated[VerifyEmail, Body()]) -> Response[SelfUser]:
    caller: KeyCaller = caller_of(app)
    user = verification.verify(caller.tenant.id, body.token)
    return with_etag(view_of(SelfUser, user), user)


lambda_handler: Any = entry(app, auth.publishable_key, needs=("dynamodb", "profile", "email"))
