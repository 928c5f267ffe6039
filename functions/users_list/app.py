"""GET /v1/users: list a tenant's users, cursor-paginated, optionally by exact email (secret key)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from hellojohn.edge import auth
from hellojohn.edge.auth import KeyCaller
from hellojohn.edge.resolver import caller_of, entry, error_responses, make_app
from hellojohn.models import AdminUser, Pagination, UserList, view_of
from hellojohn.rules import users

app = make_app()


@app.get("/v1/users", tags=["Users"], summary="List users", responses=error_responses())
def list_users(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    email: Annotated[str | None, Query(max_length=320)] = None,
) -> UserList:
    caller: KeyCaller = caller_of(app)
    found, next_cursor = users.list_users(caller.tenant, limit, cursor, email)
    return UserList(
        data=[view_of(AdminUser, u) for u in found],
        pagination=Pagination(limit=limit, has_more=next_cursor is not None, next_cursor=next_cursor),
    )


lambda_handler: Any = entry(app, auth.secret_key, needs=("dynamodb",))
