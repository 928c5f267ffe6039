"""Records to response models: the one place that decides what a caller may see.

The models say what each caller sees (`AdminUser` is `SelfUser` plus `private_metadata`), and
`models.view_of` reads their fields off the record, so no field list is kept here.
"""

from hellojohn.models import AdminUser, SelfUser, view_of
from hellojohn.records import User


def admin_view(user: User) -> AdminUser:
    return view_of(AdminUser, user)


def self_view(user: User) -> SelfUser:
    return view_of(SelfUser, user)
