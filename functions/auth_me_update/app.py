"""PATCH /v1/auth/me: the self-service column; admin-only fields are 403 forbidden_field."""

from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from hellojohn.edge import auth
from hellojohn.edge.resolver import caller_of, entry, error_responses, if_match, make_app, with_etag
from hellojohn.errors import session_revoked
from hellojohn.models import SelfUser, SelfUserUpdate, view_of
from hellojohn.rules import account, tenancy

if TYPE_CHECKING:
    from hellojohn.rules.tokens import AccessClaims

app = make_app()


@app.patch("/v1/auth/me", tags=["Auth"], summary="Update my profile", responses=error_responses(409, 412))
def update_me(body: Annotated[SelfUserUpdate, Body()]) -> Response[SelfUser]:
    claims: AccessClaims = caller_of(app)
    tenant = tenancy.tenant(claims.tenant_id)
    if tenant is None:
        raise session_revoked()
    sent = body.model_dump(include=body.model_fields_set)
    user = account.update_me(tenant, claims, sent, if_match(app))
    return with_etag(view_of(SelfUser, user), user)


lambda_handler: Any = entry(app, auth.access_token, needs=("dynamodb", "tokens", "email", "phone"))
