"""POST /v1/users/{user_id}/enable: undo disable (secret key)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from hellojohn.edge import auth, idempotency
from hellojohn.edge.auth import KeyCaller
from hellojohn.edge.resolver import caller_of, entry, error_responses, if_match, make_app, with_etag
from hellojohn.ids import UserId
from hellojohn.models import AdminUser, NoFields, view_of
from hellojohn.rules import users

app = make_app()


@app.post(
    "/v1/users/<user_id>/enable",
    tags=["Users"],
    summary="Enable a user",
    responses=error_responses(404, 409, 412),
)
def enable_user(user_id: UserId, body: Annotated[NoFields | None, Body()] = None) -> Response[AdminUser]:
    caller: KeyCaller = caller_of(app)

    def work() -> Response[AdminUser]:
        user = users.set_disabled(caller.tenant, user_id, False, None, if_match(app))
        return with_etag(view_of(AdminUser, user), user)

    return idempotency.once(app, caller, work)


lambda_handler: Any = entry(app, auth.secret_key, needs=("dynamodb",))
