"""POST /v1/auth/sessions/{session_id}/revoke: end one of the signed-in user's sessions (access token)."""

from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from hellojohn.edge import auth, idempotency
from hellojohn.edge.resolver import caller_of, entry, error_responses, make_app
from hellojohn.ids import SessionId
from hellojohn.models import NoFields
from hellojohn.rules import sessions

if TYPE_CHECKING:
    from hellojohn.rules.tokens import AccessClaims

app = make_app()


@app.post(
    "/v1/auth/sessions/<session_id>/revoke",
    status_code=204,
    tags=["Sessions"],
    summary="Revoke one of my sessions",
    responses=error_responses(404, success=204),
)
def revoke_my_session(
    session_id: SessionId, body: Annotated[NoFields | None, Body()] = None
) -> Response[str]:
    claims: AccessClaims = caller_of(app)

    def work() -> Response[str]:
        sessions.revoke_own(claims, session_id)
        return Response(status_code=204, body="")

    return idempotency.once(app, claims, work)


lambda_handler: Any = entry(app, auth.access_token, needs=("dynamodb", "tokens"))
