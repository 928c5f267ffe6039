"""Domain errors: each carries the contract's status, code and message.

`ApiError.payload` is the contract's error shape, built here only: the API's responses
(`hellojohn.edge.resolver` maps exceptions to errors), the local runner's own refusals, and the
template's canned gateway and WAF bodies (held to it by tests/unit/test_error_shape.py).
"""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldIssue:
    field: str
    message: str


@dataclass
class ApiError(Exception):
    status: int
    code: str
    message: str
    details: list[FieldIssue] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"

    def payload(self, request_id: str) -> dict[str, Any]:
        """The contract's error body."""
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "status": self.status,
                "request_id": request_id,
                "details": [{"field": d.field, "message": d.message} for d in self.details],
            }
        }


def invalid_json(message: str = "The request body is not valid JSON") -> ApiError:
    return ApiError(400, "invalid_json", message)


def invalid_request(message: str) -> ApiError:
    return ApiError(400, "invalid_request", message)


def unauthorized(message: str = "Missing or invalid credentials") -> ApiError:
    return ApiError(401, "unauthorized", message)


def invalid_token(message: str = "The token is invalid") -> ApiError:
    return ApiError(401, "invalid_token", message)


def token_expired() -> ApiError:
    return ApiError(401, "token_expired", "The access token has expired")


def session_revoked() -> ApiError:
    return ApiError(401, "session_revoked", "The session has been revoked")


def invalid_credentials(message: str = "Invalid email or password") -> ApiError:
    return ApiError(401, "invalid_credentials", message)


def forbidden(message: str = "This credential may not call this endpoint") -> ApiError:
    return ApiError(403, "forbidden", message)


def tenant_mismatch() -> ApiError:
    return ApiError(403, "tenant_mismatch", "X-Tenant-ID does not match the credential's tenant")


def forbidden_field(fields: list[str]) -> ApiError:
    return ApiError(
        403,
        "forbidden_field",
        f"These fields can only be changed by an admin: {', '.join(fields)}",
        [FieldIssue(f, "admin-only field") for f in fields],
    )


def user_disabled() -> ApiError:
    return ApiError(403, "user_disabled", "This user is disabled")


def user_deleted() -> ApiError:
    return ApiError(403, "user_deleted", "This user has been deleted")


def user_pending_deletion() -> ApiError:
    return ApiError(
        409,
        "user_pending_deletion",
        "This user is to be deleted: restore it (POST /v1/users/{user_id}/restore) before changing it",
    )


def password_change_required() -> ApiError:
    return ApiError(
        403,
        "password_change_required",
        "The password is temporary: change it (POST /v1/auth/password/change), then refresh the session",
    )


def temporary_password_expired() -> ApiError:
    return ApiError(
        403,
        "temporary_password_expired",
        "The temporary password has expired; ask an administrator for a new one",
    )


REAUTHENTICATE = "A recent proof of the password is required: POST /v1/auth/reauthenticate, then retry"


def reauthentication_required(max_age: int) -> ApiError:
    """403 with RFC 9470's challenge: the access token's `auth_time` is older than `max_age`."""
    challenge = (
        f'Bearer error="insufficient_user_authentication", error_description="{REAUTHENTICATE}", '
        f'max_age="{max_age}"'
    )
    return ApiError(403, "reauthentication_required", REAUTHENTICATE, headers={"WWW-Authenticate": challenge})


def user_not_found() -> ApiError:
    return ApiError(404, "user_not_found", "No such user in this tenant")


def not_found(message: str = "Not found") -> ApiError:
    return ApiError(404, "not_found", message)


def email_taken(field_name: str = "email") -> ApiError:
    return ApiError(
        409,
        "email_taken",
        "This email address is already used by another user of this tenant",
        [FieldIssue(field_name, "already in use")],
    )


def conflict(message: str = "The resource changed concurrently; retry the request") -> ApiError:
    return ApiError(409, "conflict", message)


def precondition_failed() -> ApiError:
    return ApiError(412, "precondition_failed", "If-Match does not match the user's current version")


def payload_too_large(limit: int) -> ApiError:
    return ApiError(413, "payload_too_large", f"The request body is larger than {limit} bytes")


def unsupported_media_type() -> ApiError:
    return ApiError(415, "unsupported_media_type", "Send the request body as application/json")


def validation_failed(details: list[FieldIssue], message: str | None = None) -> ApiError:
    summary = message or (f"{details[0].field}: {details[0].message}" if details else "Invalid request")
    return ApiError(422, "validation_failed", summary, details)


def password_too_weak(reason: str, field_name: str = "password") -> ApiError:
    return ApiError(422, "password_too_weak", reason, [FieldIssue(field_name, reason)])


def too_many_attempts(retry_after: int) -> ApiError:
    return ApiError(
        429,
        "too_many_attempts",
        "Too many failed attempts; try again later",
        headers={"Retry-After": str(retry_after)},
    )


def service_unavailable(retry_after: int = 1) -> ApiError:
    return ApiError(
        503,
        "service_unavailable",
        "The service is briefly unavailable; retry shortly",
        headers={"Retry-After": str(retry_after)},
    )
