"""PATCH /v1/users/{user_id}/metadata: RFC 7386 merge of public/private metadata (secret key)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from hellojohn.edge import auth
from hellojohn.edge.auth import KeyCaller
from hellojohn.edge.resolver import caller_of, entry, error_responses, if_match, make_app, with_etag
from hellojohn.ids import UserId
from hellojohn.models import AdminUser, MetadataMerge, view_of
from hellojohn.rules import users

app = make_app()


@app.patch(
    "/v1/users/<user_id>/metadata",
    tags=["Users"],
    summary="Merge a user's metadata (RFC 7386)",
    responses=error_responses(404, 409, 412),
)
def merge_metadata(user_id: UserId, body: Annotated[MetadataMerge, Body()]) -> Response[AdminUser]:
    caller: KeyCaller = caller_of(app)
    patches = body.model_dump(include=body.model_fields_set)
    user = users.merge_metadata(caller.tenant, user_id, patches, if_match(app))
    return with_etag(view_of(AdminUser, user), user)


lambda_handler: Any = entry(app, auth.secret_key, needs=("dynamodb",))
