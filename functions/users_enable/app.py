"""POST /v1/users/{user_id}/enable: undo disable (secret key)."""

from typing import Any

from aws_lambda_powertools.event_handler import Response
from hellojohn import auth, users
from hellojohn.http import entry, error_responses, if_match, make_app, with_etag
from hellojohn.models import AdminUser
from hellojohn.views import admin_view

app = make_app()


@app.post(
    "/v1/users/<user_id>/enable", tags=["Users"], summary="Enable a user", responses=error_responses(404, 412)
)
def enable_user(user_id: str) -> Response[AdminUser]:
    caller = auth.secret_key(app.current_event)
    user = users.set_disabled(caller.tenant, user_id, False, None, if_match(app))
    return with_etag(admin_view(user), user)


lambda_handler: Any = entry(app)
