"""POST /v1/users/{user_id}/restore: undo a pending deletion within the grace period (secret key)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from hellojohn.edge import auth, idempotency
from hellojohn.edge.auth import KeyCaller
from hellojohn.edge.resolver import caller_of, entry, error_responses, if_match, make_app, with_etag
from hellojohn.ids import UserId
from hellojohn.models import AdminUser, NoFields, view_of
from hellojohn.rules import deletion

app = make_app()


@app.post(
    "/v1/users/<user_id>/restore",
    tags=["Users"],
    summary="Restore a deleted user",
    description="Within the grace period: the deletion is undone (the user can sign in again; its "
    "sessions stay revoked). After the purge: 404.",
    responses=error_responses(404, 409, 412),
)
def restore_user(user_id: UserId, body: Annotated[NoFields | None, Body()] = None) -> Response[AdminUser]:
    caller: KeyCaller = caller_of(app)

    def work() -> Response[AdminUser]:
        user = deletion.restore(caller.tenant, user_id, if_match(app))
        return with_etag(view_of(AdminUser, user), user)

    return idempotency.once(app, caller, work)


lambda_handler: Any = entry(app, auth.secret_key, needs=("dynamodb", "email"))
