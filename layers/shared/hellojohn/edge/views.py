"""Records to response models: the one place that decides what a caller may see."""

from hellojohn.models import AdminUser, SelfUser
from hellojohn.records import User
from hellojohn.timeutil import rfc3339


def _common(user: User) -> dict[str, object]:
    return {
        "id": user.id,
        "tenant_id": user.tenant_id,
        "email": user.email,
        "email_verified": user.email_verified,
        "pending_email": user.pending_email,
        "phone_number": user.phone_number,
        "name": user.name,
        "avatar_url": user.avatar_url,
        "role": user.role,
        "public_metadata": user.public_metadata,
        "disabled": user.disabled,
        "disabled_at": rfc3339(user.disabled_at),
        "last_sign_in_at": rfc3339(user.last_sign_in_at),
        "created_at": rfc3339(user.created_at),
        "updated_at": rfc3339(user.updated_at),
    }


def admin_view(user: User) -> AdminUser:
    return AdminUser.model_validate({**_common(user), "private_metadata": user.private_metadata})


def self_view(user: User) -> SelfUser:
    return SelfUser.model_validate(_common(user))
