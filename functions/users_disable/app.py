"""POST /v1/users/{user_id}/disable: refuse sign-in; optionally revoke every session (secret key)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from hellojohn.edge import auth, idempotency
from hellojohn.edge.auth import KeyCaller
from hellojohn.edge.resolver import caller_of, entry, error_responses, if_match, make_app, with_etag
from hellojohn.ids import UserId
from hellojohn.models import AdminUser, DisableUser, view_of
from hellojohn.rules import users

app = make_app()


@app.post(
    "/v1/users/<user_id>/disable",
    tags=["Users"],
    summary="Disable a user",
    responses=error_responses(404, 409, 412),
)
def disable_user(user_id: UserId, body: Annotated[DisableUser | None, Body()] = None) -> Response[AdminUser]:
    caller: KeyCaller = caller_of(app)

    def work() -> Response[AdminUser]:
        user = users.set_disabled(caller.tenant, user_id, True, body, if_match(app))
        return with_etag(view_of(AdminUser, user), user)

    return idempotency.once(app, caller, work)


lambda_handler: Any = entry(app, auth.secret_key, needs=("dynamodb",))
