"""GET /v1/users/{user_id}/sessions: a user's live sessions, newest first (secret key)."""

from typing import Any

from hellojohn.edge import auth
from hellojohn.edge.auth import KeyCaller
from hellojohn.edge.resolver import caller_of, entry, error_responses, make_app
from hellojohn.edge.views import session_list
from hellojohn.ids import UserId
from hellojohn.models import SessionList
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
    return session_list(sessions.list_for(caller.tenant.id, user_id))


lambda_handler: Any = entry(app, auth.secret_key, needs=("dynamodb",))
