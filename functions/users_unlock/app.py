"""POST /v1/users/{user_id}/unlock: clear the wrong-password lock, the admin override (secret key)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from hellojohn.edge import auth
from hellojohn.edge.auth import KeyCaller
from hellojohn.edge.resolver import caller_of, entry, error_responses, if_match, make_app, with_etag
from hellojohn.ids import UserId
from hellojohn.models import AdminUser, NoFields, view_of
from hellojohn.rules import users

app = make_app()


@app.post(
    "/v1/users/<user_id>/unlock",
    tags=["Users"],
    summary="Unlock a user locked out by wrong passwords",
    responses=error_responses(404, 409, 412),
)
def unlock_user(user_id: UserId, body: Annotated[NoFields | None, Body()] = None) -> Response[AdminUser]:
    caller: KeyCaller = caller_of(app)
    user = users.unlock(caller.tenant, user_id, if_match(app))
    return with_etag(view_of(AdminUser, user), user)


lambda_handler: Any = entry(app, auth.secret_key, needs=("dynamodb",))
