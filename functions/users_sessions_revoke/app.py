"""POST /v1/users/{user_id}/sessions/revoke: end every session of a user (secret key)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from hellojohn.edge import auth, idempotency
from hellojohn.edge.auth import KeyCaller
from hellojohn.edge.resolver import caller_of, entry, error_responses, make_app
from hellojohn.ids import UserId
from hellojohn.models import NoFields
from hellojohn.rules import sessions

app = make_app()


@app.post(
    "/v1/users/<user_id>/sessions/revoke",
    status_code=204,
    tags=["Sessions"],
    summary="Revoke every session of a user",
    responses=error_responses(404, 409, success=204),
)
def revoke_all_sessions(user_id: UserId, body: Annotated[NoFields | None, Body()] = None) -> Response[str]:
    caller: KeyCaller = caller_of(app)

    def work() -> Response[str]:
        sessions.revoke_all(caller.tenant.id, user_id)
        return Response(status_code=204, body="")

    return idempotency.once(app, caller, work)


lambda_handler: Any = entry(app, auth.secret_key, needs=("dynamodb",))
