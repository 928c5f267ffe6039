"""POST /v1/auth/password/change: the current password, then the new one (access token)."""

from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from hellojohn.edge import auth, idempotency
from hellojohn.edge.resolver import caller_of, entry, error_responses, if_match, make_app, with_etag
from hellojohn.errors import session_revoked
from hellojohn.models import ChangePassword, SelfUser, view_of
from hellojohn.rules import account, tenancy

if TYPE_CHECKING:
    from hellojohn.rules.tokens import AccessClaims

app = make_app()


@app.post(
    "/v1/auth/password/change",
    tags=["Auth"],
    summary="Change my password",
    responses=error_responses(409, 412),
)
def change_password(body: Annotated[ChangePassword, Body()]) -> Response[SelfUser]:
    claims: AccessClaims = caller_of(app)
    tenant = tenancy.tenant(claims.tenant_id)
    if tenant is None:
        raise session_revoked()

    def work() -> Response[SelfUser]:
        user = account.change_password(tenant, claims, body, if_match(app))
        return with_etag(view_of(SelfUser, user), user)

    return idempotency.once(app, claims, work)


lambda_handler: Any = entry(app, auth.access_token, needs=("dynamodb", "tokens", "passwords", "email"))
