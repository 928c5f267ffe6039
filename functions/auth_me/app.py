"""GET /v1/auth/me: the signed-in user (access token)."""

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import Response
from hellojohn.edge import auth
from hellojohn.edge.resolver import caller_of, entry, error_responses, make_app, with_etag
from hellojohn.models import SelfUser, view_of
from hellojohn.rules import account

if TYPE_CHECKING:
    from hellojohn.rules.tokens import AccessClaims

app = make_app()


@app.get("/v1/auth/me", tags=["Auth"], summary="The signed-in user", responses=error_responses())
def get_me() -> Response[SelfUser]:
    claims: AccessClaims = caller_of(app)
    user = account.me(claims)
    return with_etag(view_of(SelfUser, user), user)


lambda_handler: Any = entry(app, auth.access_token, needs=("dynamodb", "tokens"))
