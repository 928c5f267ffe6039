"""Request and response models: what crosses the API, kept apart from the stored records.

Every model here is built when a function that uses it starts, not when this module is imported
(`defer_build`): `build_models` builds the ones in a function's route signatures, which
`hellojohn.edge.resolver.entry` calls at import. So each function pays for its own few models, not for all
of them (about 0.08 of the cold-start floor, measured when this was made).
"""

from collections.abc import Callable
from typing import Annotated, Any, Self, get_args, get_type_hints

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from hellojohn.fields import AvatarUrl, Email, Metadata, Name, Password, Phone, Role
from hellojohn.ids import KeyId

SELF_SERVICE_FIELDS = ("name", "avatar_url", "email", "phone_number")
ADMIN_ONLY_FIELDS = ("role", "email_verified", "public_metadata", "private_metadata")


class _Model(BaseModel):
    model_config = ConfigDict(defer_build=True)


def build_models(*functions: Callable[..., Any]) -> None:
    """Build the models these functions take and return, and the models inside those."""
    seen: set[type] = set()

    def visit(hint: Any) -> None:
        if isinstance(hint, type) and issubclass(hint, BaseModel):
            if hint not in seen:
                seen.add(hint)
                hint.model_rebuild()  # builds a deferred model; nothing when already built
                for field in hint.model_fields.values():
                    visit(field.annotation)
            return
        for arg in get_args(hint):
            visit(arg)

    for function in functions:
        for hint in get_type_hints(function, include_extras=True).values():
            visit(hint)


class _Body(_Model):
    """Every request body: unknown fields are an error, never silently dropped."""

    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=False)  # "yes" is not true


def _never_null(schema: dict[str, Any]) -> None:
    """An optional field whose null the model refuses: documented without the null (a generated
    client would otherwise offer to send one)."""
    options = schema.pop("anyOf", [])
    schema.update(next((o for o in options if o != {"type": "null"}), {}))


class CreateUser(_Body):
    email: Email
    password: Password | None = Field(default=None, repr=False)  # never printed: see fields.Password
    name: Name = None
    avatar_url: AvatarUrl = None
    phone_number: Phone = None
    role: Role | None = None
    email_verified: bool = False
    public_metadata: Metadata = None
    private_metadata: Metadata = None


class AdminUserUpdate(_Body):
    """PATCH /v1/users/{id}: the admin column of the seed page. Only the fields sent change."""

    name: Name = None
    avatar_url: AvatarUrl = None
    email: Email | None = Field(default=None, json_schema_extra=_never_null)
    phone_number: Phone = None
    role: Role | None = Field(default=None, json_schema_extra=_never_null)
    email_verified: bool | None = Field(default=None, json_schema_extra=_never_null)
    public_metadata: Metadata = None
    private_metadata: Metadata = None

    @model_validator(mode="after")
    def _not_null_where_required(self) -> Self:
        for name in ("email", "role", "email_verified"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise PydanticCustomError("not_nullable", "{field} cannot be null", {"field": name})
        return self


class MetadataMerge(_Body):
    """PATCH /v1/users/{id}/metadata: each field sent is an RFC 7386 merge patch of that field.

    Objects merge recursively, null deletes a key, anything else replaces. A field must stay an
    object: a null patch clears it to {} (RFC 7386: a non-object patch replaces the whole value,
    and a metadata field's null is {}); an array or scalar patch is refused (422). The 8 KB limit
    is checked on the result."""

    public_metadata: dict[str, Any] | None = None
    private_metadata: dict[str, Any] | None = None


class SelfUserUpdate(_Body):
    """PATCH /v1/auth/me: the self-service column. Admin-only fields are refused (403)."""

    name: Name = None
    avatar_url: AvatarUrl = None
    email: Email | None = Field(default=None, json_schema_extra=_never_null)
    phone_number: Phone = None

    @model_validator(mode="before")
    @classmethod
    def _refuse_admin_fields(cls, data: Any) -> Any:
        if isinstance(data, dict):
            named = [f for f in ADMIN_ONLY_FIELDS if f in data]
            if named:
                raise PydanticCustomError("forbidden_field", "{fields}", {"fields": ",".join(named)})
        return data

    @model_validator(mode="after")
    def _email_not_null(self) -> Self:
        if "email" in self.model_fields_set and self.email is None:
            raise PydanticCustomError("not_nullable", "{field} cannot be null", {"field": "email"})
        return self


class SignIn(_Body):
    email: str = Field(min_length=1, max_length=320)
    password: Password = Field(repr=False)


class Refresh(_Body):
    refresh_token: str = Field(min_length=1, max_length=512)


class VerifyEmail(_Body):
    token: str = Field(min_length=1, max_length=512)


class NoticeLink(_Body):
    """The token of a security notice's link (cancel an email change, restore the old address)."""

    token: str = Field(min_length=1, max_length=512)


class ChangePassword(_Body):
    current_password: Password = Field(repr=False)
    new_password: Password = Field(repr=False)
    sign_out_other_sessions: bool = False


class Reauthenticate(_Body):
    """The password again, for a fresh `auth_time` in this session (POST /v1/auth/reauthenticate)."""

    password: Password = Field(repr=False)


class SetPassword(_Body):
    password: Password = Field(repr=False)
    sign_out_all_sessions: bool = Field(
        default=False,
        description="End every session of the user in the same write. A temporary password always "
        "does, whatever this says.",
    )
    temporary: bool = Field(
        default=False,
        description="The user must change it at the next sign-in; it expires after the tenant's "
        "temporary_password_days and signs every session out.",
    )


class DisableUser(_Body):
    revoke_sessions: bool = False


class NoFields(_Body):
    """The body of an endpoint that takes none: absent, or `{}`; any field is unknown (422)."""


class SelfUser(_Model):
    """A user as the user sees themself (no private_metadata)."""

    id: str
    tenant_id: str
    email: str
    email_verified: bool
    pending_email: str | None
    phone_number: str | None
    name: str | None
    avatar_url: str | None
    role: str
    public_metadata: dict[str, Any]
    disabled: bool
    disabled_at: str | None
    last_sign_in_at: str | None
    created_at: str
    updated_at: str
    password_change_required: bool  # a temporary password: only GET /me, password change, sign-out


class AdminUser(SelfUser):
    """A user as an admin sees them."""

    private_metadata: dict[str, Any]
    locked_until: str | None = Field(
        description="Until when sign-in is refused after wrong passwords (RFC 3339); null when not locked"
    )
    deletion_requested_at: str | None = Field(
        description="When the user was deleted (RFC 3339); null unless a deletion is pending"
    )
    purge_at: str | None = Field(
        description="When a pending deletion becomes final (RFC 3339): restorable until then; null otherwise"
    )


class PendingDeletion(_Model):
    """`DELETE /v1/auth/me` with a grace period: when the account goes for good."""

    deletion_requested_at: str
    purge_at: str = Field(description="Until then an administrator can restore the account (RFC 3339)")


def view_of[M: BaseModel](model: type[M], record: Any, **extra: Any) -> M:
    """The model's fields read off the record (a user, a session), timestamps as RFC 3339, plus
    `extra`: a model says what its reader sees (a route returns `view_of(AdminUser, user)` or
    `view_of(SelfUser, user)`, so users never see `private_metadata`; the change events' consumers
    have theirs). `locked_until` is the lock's end only while the lock holds."""
    from hellojohn.timeutil import now, rfc3339

    def value(name: str) -> Any:
        if name == "locked_until":
            return rfc3339(record.locked_until) if record.locked_until > now() else None
        return rfc3339(getattr(record, name)) if name.endswith("_at") else getattr(record, name)

    return model.model_validate(
        {name: value(name) for name in model.model_fields if name not in extra} | extra
    )


class Pagination(_Model):
    limit: int
    has_more: bool
    next_cursor: str | None


class Actor(_Model):
    type: str = Field(description="`secret_key`, `user` or `system`")
    key_id: str | None = None
    user_id: str | None = None
    reverified_at: str | None = Field(
        default=None,
        description="A change that needed a recent proof of the password (docs/SECURITY.md, "
        '"Reverification"): when the user last proved it in the session that made it',
    )


class SessionChanges(_Model):
    added: list[str]
    revoked: list[str]


class HistoryEntry(_Model):
    """One change of a user, as its change event's detail (docs/EVENTS.md), under the event's name."""

    type: str = Field(description="the event's detail-type, e.g. `user.updated`")
    tenant_id: str
    user_id: str
    version: int
    sequence: str
    change_id: str
    actor: Actor
    request_id: str | None = None
    time: str
    changed: list[str]
    before: dict[str, Any]
    after: dict[str, Any]
    sessions: SessionChanges | None = None


class HistoryPage(_Model):
    data: list[HistoryEntry]
    pagination: "Pagination"


class UserList(_Model):
    data: list[AdminUser]
    pagination: Pagination


class Session(_Model):
    id: str
    access_token: str
    refresh_token: str
    access_token_expires_at: str
    refresh_token_expires_at: str


class SignInResult(_Model):
    user: SelfUser
    session: Session


class RefreshResult(_Model):
    session: Session


class SessionInfo(_Model):
    """A live session as a listing shows it (never its tokens). `last_refreshed_at`, `user_agent`
    and `ip` are null when unknown: not refreshed yet, no User-Agent sent, or a session created
    before they were recorded. `device` is `user_agent` as people read it, parsed when listed."""

    id: str
    created_at: str
    last_refreshed_at: str | None
    expires_at: str
    user_agent: str | None
    device: str | None = Field(
        description='The User-Agent as people read it, e.g. "Chrome 156 on Linux"; null when unknown '
        "or not recognised (show `user_agent` then)",
        examples=["Chrome 156 on Linux"],
    )
    ip: str | None


class OwnSessionInfo(SessionInfo):
    """One of the caller's own sessions; `current` marks the one the request's token belongs to."""

    current: bool


class SessionList(_Model):
    data: list[SessionInfo]


class OwnSessionList(_Model):
    data: list[OwnSessionInfo]


class Jwk(_Model):
    kty: str
    crv: str
    x: str
    kid: str
    alg: str
    use: str


class Jwks(_Model):
    keys: list[Jwk]


class ErrorDetail(_Model):
    field: str
    message: str


class ErrorBody(_Model):
    code: str
    message: str
    status: int
    request_id: str
    details: list[ErrorDetail] = []


class ErrorResponse(_Model):
    error: ErrorBody


# -- webhooks (docs/WEBHOOKS.md) -----------------------------------------------------------------


def _event_type(value: str) -> str:
    from hellojohn.event_types import CATALOGUE

    if value not in CATALOGUE:
        raise PydanticCustomError("event_type", "is not an event type of the catalogue (docs/EVENTS.md)")
    return value


EventType = Annotated[str, AfterValidator(_event_type)]
WebhookUrl = Annotated[str, Field(min_length=1, max_length=2048, description="https:// to a public host")]
EventTypes = Annotated[
    list[EventType],
    Field(min_length=1, max_length=20, description="the change events delivered; absent or null: all"),
]
KeyIds = Annotated[
    list[KeyId],
    Field(
        max_length=20, description="events caused by these secret keys are not delivered (the echo filter)"
    ),
]


class WebhookCreate(_Body):
    url: WebhookUrl
    event_types: EventTypes | None = None
    description: Annotated[str, Field(max_length=256)] | None = None
    exclude_actor_key_ids: KeyIds | None = None


class WebhookUpdate(_Body):
    """Only the fields sent change; `event_types: null` is all of them again, `description: null` none."""

    url: WebhookUrl | None = Field(default=None, json_schema_extra=_never_null)
    event_types: EventTypes | None = None
    description: Annotated[str, Field(max_length=256)] | None = None
    exclude_actor_key_ids: KeyIds | None = Field(default=None, json_schema_extra=_never_null)
    disabled: bool | None = Field(default=None, json_schema_extra=_never_null)

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        nulled = [f for f in ("url", "exclude_actor_key_ids", "disabled") if f in self.model_fields_set]
        nulled = [f for f in nulled if getattr(self, f) is None]
        if nulled:
            raise PydanticCustomError("not_null", "{fields} may not be null", {"fields": ", ".join(nulled)})
        return self


class Webhook(_Model):
    id: str
    url: str
    event_types: list[str] | None = Field(description="null: every event type")
    description: str | None
    exclude_actor_key_ids: list[str]
    disabled: bool
    disabled_reason: str | None = Field(description="`gone`: the endpoint answered 410; null when enabled")
    created_at: str
    updated_at: str


class WebhookCreated(Webhook):
    secret: str = Field(description="`whsec_…`: shown here only; verify deliveries with it")


class WebhookSecret(_Model):
    id: str
    secret: str = Field(description="the new `whsec_…`, shown here only")
    previous_secret_expires_at: str = Field(description="until when the old secret also signs")


class WebhookList(_Model):
    data: list[Webhook]
    pagination: Pagination


class WebhookDelivery(_Model):
    id: str
    event_id: str = Field(description="the `webhook-id` header: the change id, or `msg_…` for a test")
    event_type: str
    attempt: int = Field(description="1 to 8")
    outcome: str = Field(description="`delivered`, `retrying`, `failed` (no retry left) or `disabled` (410)")
    status: int | None = Field(description="the endpoint's HTTP status; null when there was none")
    error: str | None = Field(description="why there was no status (timeout, connection, refused address)")
    duration_ms: int
    attempted_at: str
    next_retry_at: str | None


class WebhookDeliveryList(_Model):
    data: list[WebhookDelivery]
    pagination: Pagination


class WebhookTestSent(_Model):
    event_id: str = Field(description="the test delivery's `webhook-id` (`msg_…`)")
