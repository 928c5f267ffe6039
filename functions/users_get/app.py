"""GET /v1/users/{user_id}: read one user (secret key)."""

from typing import Any

from aws_lambda_powertools.event_handler import Response
from hellojohn.edge import auth
from hellojohn.edge.auth import KeyCaller
from hellojohn.edge.resolver import caller_of, entry, error_responses, make_app, with_etag
from hellojohn.ids import UserId
from hellojohn.models import AdminUser, view_of
from hellojohn.rules import users

app = make_app()


@app.get("/v1/users/<user_id>", tags=["Users"], summary="Read a user", responses=error_responses(404))
def get_user(user_id: UserId) -> Response[AdminUser]:
    caller: KeyCaller = caller_of(app)
    user = users.get(caller.tenant, user_id)
    return with_etag(view_of(AdminUser, user), user)


lambda_handler: Any = entry(app, auth.secret_key, needs=("dynamodb",))
