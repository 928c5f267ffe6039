"""POST /v1/users: create a user (secret key)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from hellojohn.edge import auth, idempotency
from hellojohn.edge.auth import KeyCaller
from hellojohn.edge.resolver import caller_of, entry, error_responses, make_app, with_etag
from hellojohn.models import AdminUser, CreateUser, view_of
from hellojohn.rules import users

app = make_app()


@app.post(
    "/v1/users",
    status_code=201,
    tags=["Users"],
    summary="Create a user",
    responses=error_responses(409, success=201),
)
def create_user(body: Annotated[CreateUser, Body()]) -> Response[AdminUser]:
    caller: KeyCaller = caller_of(app)

    def work() -> Response[AdminUser]:
        user = users.create(caller.tenant, body)
        return with_etag(view_of(AdminUser, user), user, status=201)

    return idempotency.once(app, caller, work)


lambda_handler: Any = entry(app, auth.secret_key, needs=("dynamodb", "passwords", "email", "phone"))
