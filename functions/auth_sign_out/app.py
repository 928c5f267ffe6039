"""POST /v1/auth/sign-out: end this session (access token)."""

from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from hellojohn.edge import auth, idempotency
from hellojohn.edge.resolver import caller_of, entry, error_responses, make_app
from hellojohn.models import NoFields
from hellojohn.rules import account

if TYPE_CHECKING:
    from hellojohn.rules.tokens import AccessClaims

app = make_app()


@app.post(
    "/v1/auth/sign-out",
    status_code=204,
    tags=["Auth"],
    summary="Sign out",
    responses=error_responses(409, success=204),
)
def sign_out(body: Annotated[NoFields | None, Body()] = None) -> Response[str]:
    claims: AccessClaims = caller_of(app)

    def work() -> Response[str]:
        account.sign_out(claims)
        return Response(status_code=204, body="")

    return idempotency.once(app, claims, work)


lambda_handler: Any = entry(app, auth.access_token, needs=("dynamodb", "tokens"))
