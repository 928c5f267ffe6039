"""Records to response models: the one place that decides what a caller may see.

A view is its model's fields read off the record, timestamps as RFC 3339: the models say what each
caller sees (`AdminUser` is `SelfUser` plus `private_metadata`), so no field list is kept here.
"""

from pydantic import BaseModel

from hellojohn.models import AdminUser, SelfUser
from hellojohn.records import User
from hellojohn.timeutil import now, rfc3339


def _view[M: BaseModel](model: type[M], user: User) -> M:
    values = {
        name: rfc3339(getattr(user, name)) if name.endswith("_at") else getattr(user, name)
        for name in model.model_fields
        if name != "locked_until"
    }
    return model.model_validate(
        values | ({"locked_until": None} if "locked_until" in model.model_fields else {})
    )


def admin_view(user: User) -> AdminUser:
    """`locked_until` only while the lock holds (a past lock is no lock)."""
    locked = rfc3339(user.locked_until) if user.locked_until > now() else None
    return _view(AdminUser, user).model_copy(update={"locked_until": locked})


def self_view(user: User) -> SelfUser:
    return _view(SelfUser, user)
