"""DELETE /v1/users/{user_id}: delete a user, restorable for the tenant's grace period (secret key)."""

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from hellojohn.edge import auth, idempotency
from hellojohn.edge.auth import KeyCaller
from hellojohn.edge.resolver import JSON, caller_of, entry, error_responses, if_match, make_app, with_etag
from hellojohn.ids import UserId
from hellojohn.models import AdminUser, view_of
from hellojohn.rules import deletion

app = make_app()

PURGED_AT_ONCE: dict[int, Any] = {
    200: {"description": "Pending deletion", "content": {JSON: {"model": AdminUser}}},
    204: {"description": "Purged at once (a grace of 0 days, or `purge=now`)", "content": {}},
}
"""Both answers documented here: the route's return type (`AdminUser | None`) is what the validation needs."""


@app.delete(
    "/v1/users/<user_id>",
    tags=["Users"],
    summary="Delete a user",
    description="Every session is revoked and sign-in refused at once; the user is purged after the "
    "tenant's `deletion_grace_days` (200: restorable until `purge_at`), or at once (204).",
    responses=error_responses(404, 409, 412) | PURGED_AT_ONCE,
)
def delete_user(
    user_id: UserId,
    purge: Annotated[Literal["now"] | None, Query(description="`now`: purge at once, no grace")] = None,
) -> Response[AdminUser | None]:
    caller: KeyCaller = caller_of(app)

    def work() -> Response[Any]:
        user = deletion.delete(caller.tenant, user_id, if_match(app), purge_now=purge == "now")
        if user is None:
            return Response(status_code=204, body=None)
        return with_etag(view_of(AdminUser, user), user)

    return idempotency.once(app, caller, work)


lambda_handler: Any = entry(app, auth.secret_key, needs=("dynamodb", "email"))
