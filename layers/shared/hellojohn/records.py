"""What the store holds, as typed records (never serialised to a response directly)."""

import json
from dataclasses import dataclass, field, fields
from typing import Any

DEFAULT_ROLES = ("admin", "member")


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
    default_role: str = "member"
    password_policy: PasswordPolicy = field(default_factory=PasswordPolicy)
    email_from: str = "no-reply@hellojohn.dev"
    verify_url_base: str = "http://127.0.0.1:3000/verify-email"
    allowed_origins: tuple[str, ...] = ()
    created_at: int = 0

    @classmethod
    def from_item(cls, d: dict[str, Any]) -> "Tenant":
        policy = d.get("password_policy") or {}
        return cls(
            id=d["id"],
            name=d["name"],
            roles=tuple(d.get("roles") or DEFAULT_ROLES),
            default_role=d.get("default_role", "member"),
            password_policy=PasswordPolicy(
                min_length=int(policy.get("min_length", 8)),
                max_length=int(policy.get("max_length", 128)),
                reject_common=bool(policy.get("reject_common", True)),
                reject_email=bool(policy.get("reject_email", True)),
            ),
            email_from=d.get("email_from", "no-reply@hellojohn.dev"),
            verify_url_base=d.get("verify_url_base", ""),
            allowed_origins=tuple(d.get("allowed_origins") or ()),
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
            "allowed_origins": list(self.allowed_origins),
            "created_at": self.created_at,
        }


@dataclass(frozen=True)
class ApiKey:
    id: str
    tenant_id: str
    kind: str  # "secret" | "publishable"


@dataclass
class User:
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
    role: str = "member"
    public_metadata: dict[str, Any] = field(default_factory=dict)
    private_metadata: dict[str, Any] = field(default_factory=dict)
    disabled: bool = False
    disabled_at: int | None = None
    last_sign_in_at: int | None = None
    created_at: int = 0
    updated_at: int = 0
    version: int = 1
    password_hash: str | None = None
    sessions: dict[str, int] = field(default_factory=dict)
    failed_attempts: int = 0
    first_failed_at: int = 0
    locked_until: int = 0
    mail_hour: int = 0  # the hour (epoch // 3600) of the last verification email requested
    mail_count: int = 0  # verification emails requested in that hour

    @classmethod
    def from_item(cls, d: dict[str, Any]) -> "User":
        def opt_int(name: str) -> int | None:
            v = d.get(name)
            return None if v is None else int(v)

        return cls(
            id=d["id"],
            tenant_id=d["tenant_id"],
            email=d["email"],
            email_verified=bool(d.get("email_verified", False)),
            pending_email=d.get("pending_email"),
            pending_change_id=d.get("pending_change_id"),
            pending_requested_at=opt_int("pending_requested_at"),
            pending_token_hash=d.get("pending_token_hash"),
            pending_expires_at=opt_int("pending_expires_at"),
            pending_sent_at=opt_int("pending_sent_at"),
            phone_number=d.get("phone_number"),
            name=d.get("name"),
            avatar_url=d.get("avatar_url"),
            role=d.get("role", "member"),
            public_metadata=json.loads(d.get("public_metadata") or "{}"),
            private_metadata=json.loads(d.get("private_metadata") or "{}"),
            disabled=bool(d.get("disabled", False)),
            disabled_at=opt_int("disabled_at"),
            last_sign_in_at=opt_int("last_sign_in_at"),
            created_at=int(d.get("created_at", 0)),
            updated_at=int(d.get("updated_at", 0)),
            version=int(d.get("version", 1)),
            password_hash=d.get("password_hash"),
            sessions={k: int(v) for k, v in (d.get("sessions") or {}).items()},
            failed_attempts=int(d.get("failed_attempts", 0)),
            first_failed_at=int(d.get("first_failed_at", 0)),
            locked_until=int(d.get("locked_until", 0)),
            mail_hour=int(d.get("mail_hour", 0)),
            mail_count=int(d.get("mail_count", 0)),
        )

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


def dump_metadata(value: dict[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


PENDING_FIELDS = tuple(f.name for f in fields(User) if f.name.startswith("pending_"))
"""The attributes of a pending email change: all set when one starts, all removed when it ends."""
