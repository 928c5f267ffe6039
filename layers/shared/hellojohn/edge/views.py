"""Records to response models: the one place that decides what a caller may see.

A view is its model's fields read off the record, timestamps as RFC 3339: the models say what each
caller sees (`AdminUser` is `SelfUser` plus `private_metadata`), so no field list is kept here.
"""

from typing import TYPE_CHECKING

from pydantic import BaseModel

from hellojohn.models import AdminUser, OwnSessionInfo, OwnSessionList, SelfUser, SessionInfo, SessionList
from hellojohn.records import User
from hellojohn.timeutil import rfc3339

if TYPE_CHECKING:
    from hellojohn.store.sessions import SessionItem


def _view[M: BaseModel](model: type[M], user: User) -> M:
    values = {
        name: rfc3339(getattr(user, name)) if name.endswith("_at") else getattr(user, name)
        for name in model.model_fields
    }
    return model.model_validate(values)


def admin_view(user: User) -> AdminUser:
    return _view(AdminUser, user)


def self_view(user: User) -> SelfUser:
    return _view(SelfUser, user)


def _session_values(item: "SessionItem") -> dict[str, object]:
    return {
        name: rfc3339(getattr(item, name)) if name.endswith("_at") else getattr(item, name)
        for name in SessionInfo.model_fields
    }


def session_list(items: "list[SessionItem]") -> SessionList:
    return SessionList(data=[SessionInfo.model_validate(_session_values(s)) for s in items])


def own_session_list(items: "list[SessionItem]", current: str) -> OwnSessionList:
    return OwnSessionList(
        data=[
            OwnSessionInfo.model_validate({**_session_values(s), "current": s.id == current}) for s in items
        ]
    )
