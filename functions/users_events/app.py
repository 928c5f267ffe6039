"""GET /v1/users/{user_id}/events: a user's change history, newest first, cursor-paginated (secret key)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from hellojohn.edge import auth
from hellojohn.edge.auth import KeyCaller
from hellojohn.edge.resolver import caller_of, entry, error_responses, make_app
from hellojohn.ids import UserId
from hellojohn.models import HistoryEntry, HistoryPage, Pagination
from hellojohn.rules import history

app = make_app()


@app.get(
    "/v1/users/<user_id>/events",
    tags=["Users"],
    summary="A user's change history",
    responses=error_responses(),
)
def user_events(
    user_id: UserId,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> HistoryPage:
    caller: KeyCaller = caller_of(app)
    entries, next_cursor = history.page(caller.tenant, user_id, limit, cursor)
    return HistoryPage(
        data=[HistoryEntry.model_validate(e) for e in entries],
        pagination=Pagination(limit=limit, has_more=next_cursor is not None, next_cursor=next_cursor),
    )


lambda_handler: Any = entry(app, auth.secret_key, needs=("dynamodb",))
