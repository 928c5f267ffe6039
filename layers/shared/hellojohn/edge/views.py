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

if TYPE_CHECKING:
    from hellojohn.store.sessions import SessionItem


def admin_view(user: User) -> AdminUser:
    return view_of(AdminUser, user)


def self_view(user: User) -> SelfUser:
    return view_of(SelfUser, user)


def session_list(items: "list[SessionItem]") -> SessionList:
    return SessionList(data=[view_of(SessionInfo, s) for s in items])


def own_session_list(items: "list[SessionItem]", current: str) -> OwnSessionList:
    return OwnSessionList(data=[view_of(OwnSessionInfo, s, current=s.id == current) for s in items])
