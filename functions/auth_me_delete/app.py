"""DELETE /v1/auth/me: delete one's own account (access token), as an admin's deletion would."""

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import Response
from hellojohn.edge import auth, idempotency
from hellojohn.edge.resolver import JSON, caller_of, entry, error_responses, make_app
from hellojohn.errors import session_revoked
from hellojohn.models import PendingDeletion
from hellojohn.rules import deletion, tenancy
from hellojohn.timeutil import rfc3339

if TYPE_CHECKING:
    from hellojohn.rules.tokens import AccessClaims

app = make_app()

PURGED_AT_ONCE: dict[int, Any] = {
    200: {"description": "Pending deletion", "content": {JSON: {"model": PendingDeletion}}},
    204: {"description": "Purged at once (the tenant's grace is 0 days)", "content": {}},
}
"""Both answers documented here: the return type (`PendingDeletion | None`) is what validation needs."""


@app.delete(
    "/v1/auth/me",
    tags=["Auth"],
    summary="Delete my account",
    description="Every session ends at once (this one included); the account is purged after the "
    "tenant's `deletion_grace_days` (200: an administrator can restore it until `purge_at`), "
    "or at once (204).",
    responses=error_responses(409) | PURGED_AT_ONCE,
)
def delete_me() -> Response[PendingDeletion | None]:
    claims: AccessClaims = caller_of(app)

    def work() -> Response[Any]:
        tenant = tenancy.tenant(claims.tenant_id)
        if tenant is None:
            raise session_revoked()
        user = deletion.delete(tenant, claims.user_id, None, session_id=claims.session_id)
        if user is None:
            return Response(status_code=204, body=None)
        pending = PendingDeletion(
            deletion_requested_at=rfc3339(user.deletion_requested_at) or "",
            purge_at=rfc3339(user.purge_at) or "",
        )
        return Response(status_code=200, content_type="application/json", body=pending)

    return idempotency.once(app, claims, work)


lambda_handler: Any = entry(app, auth.access_token, needs=("dynamodb", "tokens", "email"))
