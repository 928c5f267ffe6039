"""PATCH /v1/users/{user_id}: update any field of the seed's admin column (secret key)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from hellojohn.edge import auth
from hellojohn.edge.auth import KeyCaller
from hellojohn.edge.resolver import caller_of, entry, error_responses, if_match, make_app, with_etag
from hellojohn.ids import UserId
from hellojohn.models import AdminUser, AdminUserUpdate, view_of
from hellojohn.rules import users

app = make_app()


@app.patch(
    "/v1/users/<user_id>",
    tags=["Users"],
    summary="Update a user (admin)",
    responses=error_responses(404, 409, 412),
)
def update_user(user_id: UserId, body: Annotated[AdminUserUpdate, Body()]) -> Response[AdminUser]:
    caller: KeyCaller = caller_of(app)
    sent = body.model_dump(include=body.model_fields_set)
    user = users.patch(caller.tenant, user_id, sent, if_match(app))
    return with_etag(view_of(AdminUser, user), user)


lambda_handler: Any = entry(app, auth.secret_key, needs=("dynamodb", "email", "phone"))
