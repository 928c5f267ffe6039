"""GET /v1/users/{user_id}/sessions: a user's live sessions, newest first (secret key)."""

from typing import Any

from hellojohn import devices
from hellojohn.edge import auth
from hellojohn.edge.auth import KeyCaller
from hellojohn.edge.resolver import caller_of, entry, error_responses, make_app
from hellojohn.ids import UserId
from hellojohn.models import SessionInfo, SessionList, view_of
from hellojohn.rules import sessions

app = make_app()


@app.get(
    "/v1/users/<user_id>/sessions",
    tags=["Sessions"],
    summary="List the sessions of a user",
    responses=error_responses(404),
)
def list_sessions(user_id: UserId) -> SessionList:
    caller: KeyCaller = caller_of(app)
    items = sessions.list_for(caller.tenant.id, user_id)
    return SessionList(data=[view_of(SessionInfo, s, device=devices.label(s.user_agent)) for s in items])


lambda_handler: Any = entry(app, auth.secret_key, needs=("dynamodb",))
