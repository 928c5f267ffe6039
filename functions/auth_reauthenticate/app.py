"""POST /v1/auth/reauthenticate: the password again, for the same session with a fresh `auth_time`
(access token): what a `reauthentication_required` refusal asks for (docs/SECURITY.md)."""

from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from hellojohn.edge import auth
from hellojohn.edge.resolver import caller_of, entry, error_responses, make_app
from hellojohn.errors import session_revoked
from hellojohn.models import Reauthenticate, RefreshResult
from hellojohn.rules import account, tenancy

if TYPE_CHECKING:
    from hellojohn.rules.tokens import AccessClaims

app = make_app()


@app.post(
    "/v1/auth/reauthenticate",
    tags=["Auth"],
    summary="Prove the password again",
    responses=error_responses(409),
)
def reauthenticate(body: Annotated[Reauthenticate, Body()]) -> RefreshResult:
    claims: AccessClaims = caller_of(app)
    tenant = tenancy.tenant(claims.tenant_id)
    if tenant is None:
        raise session_revoked()
    return RefreshResult(session=account.reauthenticate(tenant, claims, body))


lambda_handler: Any = entry(app, auth.access_token, needs=("dynamodb", "tokens", "passwords"))
