"""Records to response models: the one place that decides what a caller may see.

The models say what each caller sees (`AdminUser` is `SelfUser` plus `private_metadata`), and
`models.view_of` reads their fields off the record, so no field list is kept here.
"""

from typing import TYPE_CHECKING

from hellojohn.models import (
    AdminUser,
    OwnSessionInfo,
    OwnSessionList,
    SelfUser,
    SessionInfo,
    SessionList,
    view_of,
)
from hellojohn.records import User
from hellojohn.timeutil import rfc3339

if TYPE_CHECKING:
    from hellojohn.store.sessions import SessionItem


def admin_view(user: User) -> AdminUser:
    return view_of(AdminUser, user)


def self_view(user: User) -> SelfUser:
    return view_of(SelfUser, user)


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
