"""GET /v1/auth/sessions: the signed-in user's live sessions, the current one marked (access token)."""

from typing import TYPE_CHECKING, Any

from hellojohn import devices
from hellojohn.edge import auth
from hellojohn.edge.resolver import caller_of, entry, error_responses, make_app
from hellojohn.models import OwnSessionInfo, OwnSessionList, view_of
from hellojohn.rules import sessions

if TYPE_CHECKING:
    from hellojohn.rules.tokens import AccessClaims

app = make_app()


@app.get("/v1/auth/sessions", tags=["Sessions"], summary="List my sessions", responses=error_responses())
def list_my_sessions() -> OwnSessionList:
    claims: AccessClaims = caller_of(app)
    items = sessions.list_own(claims)
    return OwnSessionList(
        data=[
            view_of(OwnSessionInfo, s, current=s.id == claims.session_id, device=devices.label(s.user_agent))
            for s in items
        ]
    )


lambda_handler: Any = entry(app, auth.access_token, needs=("dynamodb", "tokens"))
