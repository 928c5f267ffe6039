"""What the store holds, as typed records (never serialised to a response directly)."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, get_args, get_origin, get_type_hints

DEFAULT_ROLE = "member"
DEFAULT_ROLES = ("admin", DEFAULT_ROLE)
EMAIL_FROM = "no-reply@hellojohn.dev"  # a tenant's sender when none is set
AUDIT_RETENTION_DAYS = 90
TEMPORARY_PASSWORD_DAYS = 7  # as Cognito's default TemporaryPasswordValidityDays
REVERIFICATION_MAX_AGE_SECONDS = 600  # as Clerk's default: 10 minutes (docs/SECURITY.md)
DELETION_GRACE_DAYS = 7  # a deleted user can be restored for this long, then is purged (0-30)
DELETION_GRACE_MAX_DAYS = 30  # GDPR Art. 17's "without undue delay": at most a month
EMAIL_CHANGE_REQUESTED = "email_change_requested"  # the security notices' kinds (docs/NOTICES.md)
EMAIL_CHANGED = "email_changed"
PASSWORD_CHANGED = "password_changed"
DELETION_REQUESTED = "deletion_requested"  # with the restore deadline (rules/deletion.py)
EMAIL_RESTORED = "email_restored"
"""An email change made by a restore link: switched with EMAIL_CHANGED, and offers no restore link."""
NOTICES = (EMAIL_CHANGE_REQUESTED, EMAIL_CHANGED, PASSWORD_CHANGED, DELETION_REQUESTED)
"""The security notices a tenant can switch off (docs/NOTICES.md); every one is on by default."""


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 8
    max_length: int = 128
    reject_common: bool = True
    reject_email: bool = True


@dataclass(frozen=True)
class Tenant:
    id: str
    name: str
    roles: tuple[str, ...] = DEFAULT_ROLES
    default_role: str = DEFAULT_ROLE
    password_policy: PasswordPolicy = field(default_factory=PasswordPolicy)
    email_from: str = EMAIL_FROM
    verify_url_base: str = "http://127.0.0.1:3000/verify-email"
    cancel_url_base: str = "http://127.0.0.1:3000/cancel-email-change"  # the security notices' links
    restore_url_base: str = "http://127.0.0.1:3000/restore-email"
    notices: tuple[str, ...] = NOTICES  # the security notices sent (docs/NOTICES.md): all by default
    allowed_origins: tuple[str, ...] = ()
    audit_retention_days: int = AUDIT_RETENTION_DAYS  # how long a user's change history is kept (TTL)
    temporary_password_days: int = TEMPORARY_PASSWORD_DAYS  # a temporary password's life at sign-in
    allow_international_emails: bool = False  # addresses whose local part is not ASCII (fields.py)
    # how old a session's last proof of the password may be for a sensitive self-service request
    # (hellojohn.edge.reverification); 0: never asked
    reverification_max_age_seconds: int = REVERIFICATION_MAX_AGE_SECONDS
    deletion_grace_days: int = DELETION_GRACE_DAYS  # a deleted user's restore window (rules/deletion.py)
    created_at: int = 0

    @classmethod
    def from_item(cls, d: dict[str, Any]) -> "Tenant":
        policy = d.get("password_policy") or {}
        default = PasswordPolicy()
        return cls(
            id=d["id"],
            name=d["name"],
            roles=tuple(d.get("roles") or DEFAULT_ROLES),
            default_role=d.get("default_role", DEFAULT_ROLE),
            password_policy=PasswordPolicy(
                min_length=int(policy.get("min_length", default.min_length)),
                max_length=int(policy.get("max_length", default.max_length)),
                reject_common=bool(policy.get("reject_common", default.reject_common)),
                reject_email=bool(policy.get("reject_email", default.reject_email)),
            ),
            email_from=d.get("email_from", EMAIL_FROM),
            verify_url_base=d.get("verify_url_base", ""),
            cancel_url_base=d.get("cancel_url_base", ""),
            restore_url_base=d.get("restore_url_base", ""),
            notices=tuple(n for n in NOTICES if n not in (d.get("notices_off") or ())),
            allowed_origins=tuple(d.get("allowed_origins") or ()),
            audit_retention_days=int(d.get("audit_retention_days", AUDIT_RETENTION_DAYS)),
            temporary_password_days=int(d.get("temporary_password_days", TEMPORARY_PASSWORD_DAYS)),
            allow_international_emails=bool(d.get("allow_international_emails", False)),
            reverification_max_age_seconds=int(
                d.get("reverification_max_age_seconds", REVERIFICATION_MAX_AGE_SECONDS)
            ),
            deletion_grace_days=int(d.get("deletion_grace_days", DELETION_GRACE_DAYS)),
            created_at=int(d.get("created_at", 0)),
        )

    def to_item(self) -> dict[str, Any]:
        p = self.password_policy
        return {
            "id": self.id,
            "name": self.name,
            "roles": list(self.roles),
            "default_role": self.default_role,
            "password_policy": {
                "min_length": p.min_length,
                "max_length": p.max_length,
                "reject_common": p.reject_common,
                "reject_email": p.reject_email,
            },
            "email_from": self.email_from,
            "verify_url_base": self.verify_url_base,
            "cancel_url_base": self.cancel_url_base,
            "restore_url_base": self.restore_url_base,
            "notices_off": [n for n in NOTICES if n not in self.notices],
            "allowed_origins": list(self.allowed_origins),
            "audit_retention_days": self.audit_retention_days,
            "temporary_password_days": self.temporary_password_days,
            "allow_international_emails": self.allow_international_emails,
            "reverification_max_age_seconds": self.reverification_max_age_seconds,
            "deletion_grace_days": self.deletion_grace_days,
            "created_at": self.created_at,
        }


@dataclass(frozen=True)
class ApiKey:
    id: str
    tenant_id: str
    kind: str  # "secret" | "publishable"


USER_AGENT_MAX = 512
"""A session keeps at most this many characters of the User-Agent it was created with."""
IP_MAX = 64
"""Longer than any IPv4 or IPv6 address in text (45 characters); API Gateway's sourceIp is one."""


@dataclass(frozen=True)
class Device:
    """Where a session was created from: API Gateway's `requestContext.identity`, bounded."""

    ip: str | None = None
    user_agent: str | None = None

    @classmethod
    def of(cls, ip: object, user_agent: object) -> "Device":
        def bounded(value: object, limit: int) -> str | None:
            text = value.strip() if isinstance(value, str) else ""
            return text[:limit] or None

        return cls(ip=bounded(ip, IP_MAX), user_agent=bounded(user_agent, USER_AGENT_MAX))


# How a field is kept on the user item when its type alone does not say it
JSON_TEXT = {"item": "json"}
"""Stored as compact JSON text (the metadata): one attribute, whatever the keys, for the 8 KB check."""
COUNTER = {"item": "counter"}
"""Written only by its counter's own update; absent until then, and conditions test that absence."""


@dataclass
class User:
    """The user item's attributes: the one list of a user's fields (item, record and views)."""

    id: str
    tenant_id: str
    email: str
    email_verified: bool = False
    pending_email: str | None = None
    pending_change_id: str | None = None
    pending_requested_at: int | None = None
    pending_token_hash: str | None = None
    pending_expires_at: int | None = None
    pending_sent_at: int | None = None  # the pending change's email went out (a duplicate job sends none)
    phone_number: str | None = None
    name: str | None = None
    avatar_url: str | None = None
    role: str = DEFAULT_ROLE
    public_metadata: dict[str, Any] = field(default_factory=dict, metadata=JSON_TEXT)
    private_metadata: dict[str, Any] = field(default_factory=dict, metadata=JSON_TEXT)
    disabled: bool = False
    disabled_at: int | None = None
    last_sign_in_at: int | None = None
    created_at: int = 0
    updated_at: int = 0
    version: int = 1
    password_hash: str | None = None
    password_change_required: bool = False  # the password is temporary: set by an admin with `temporary`
    temporary_password_expires_at: int | None = None  # when that temporary password stops signing in
    sessions: dict[str, int] = field(default_factory=dict)  # session id -> its expiry
    deletion_requested_at: int | None = None  # deleted: restorable until `purge_at` (rules/deletion.py)
    purge_at: int | None = None  # from then on the user is gone everywhere; TTL removes the item
    failed_attempts: int = field(default=0, metadata=COUNTER)
    first_failed_at: int = field(default=0, metadata=COUNTER)
    locked_until: int = field(default=0, metadata=COUNTER)
    mail_hour: int = field(default=0, metadata=COUNTER)  # the hour (epoch // 3600) of the last one mailed
    mail_count: int = field(default=0, metadata=COUNTER)  # verification emails requested in that hour

    @classmethod
    def from_item(cls, d: dict[str, Any]) -> "User":
        """The record from a deserialised item (numbers arrive as Decimal); absent means default."""
        values = {}
        for f, decode in _USER_DECODERS:
            raw = d.get(f.name)
            if raw is not None:
                values[f.name] = decode(raw)
        return cls(**values)

    def to_item(self) -> dict[str, Any]:
        """The attributes a new user's item starts with: every set field, counters left absent."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or (f.metadata == COUNTER and value == f.default):
                continue
            out[f.name] = dump_metadata(value) if f.metadata == JSON_TEXT else value
        return out

    @property
    def etag(self) -> str:
        return f'"{self.version}"'

    def gone(self, now: int) -> bool:
        """Past its purge time: treated as absent everywhere, before DynamoDB's TTL removes it."""
        return self.purge_at is not None and self.purge_at <= now


def dump_metadata(value: dict[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _decoder(f: Any, hint: Any) -> Callable[[Any], Any]:
    if f.metadata == JSON_TEXT:
        return json.loads
    base = next((t for t in get_args(hint) if t is not type(None)), hint)  # X | None -> X
    if base is bool:
        return bool
    if base is int:
        return int
    if get_origin(base) is dict and get_args(base)[1] is int:
        return lambda m: {k: int(v) for k, v in m.items()}
    return lambda v: v


_USER_HINTS = get_type_hints(User)  # once: each call evaluates every annotation (~0.4 ms)
_USER_DECODERS = tuple((f, _decoder(f, _USER_HINTS[f.name])) for f in fields(User))

PENDING_FIELDS = tuple(f.name for f in fields(User) if f.name.startswith("pending_"))
"""The attributes of a pending email change: all set when one starts, all removed when it ends."""
TEMPORARY_PASSWORD = ("password_change_required", "temporary_password_expires_at")
"""What a temporary password sets on the user item, removed when a password of their own is set."""
