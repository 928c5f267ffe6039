"""The change events' catalogue: every detail-type, defined once (docs/EVENTS.md), in the order a
change is named when it is several at once (`rules/change_events.py` names it; `rules/purge.py`
makes `DELETED` from a user item's REMOVE). The webhooks' `event_types` are checked against
`CATALOGUE` (`models.WebhookCreate`)."""

CREATED = "user.created"
DELETION_REQUESTED = "user.deletion_requested"
RESTORED = "user.restored"
PASSWORD_CHANGED = "user.password_changed"
DISABLED = "user.disabled"
ENABLED = "user.enabled"
EMAIL_CHANGED = "user.email_changed"
EMAIL_CHANGE_REQUESTED = "user.email_change_requested"
EMAIL_CHANGE_CANCELLED = "user.email_change_cancelled"
SIGNED_IN = "user.signed_in"
SESSIONS_REVOKED = "user.sessions_revoked"
UNLOCKED = "user.unlocked"
UPDATED = "user.updated"
DELETED = "user.deleted"

CATALOGUE = (
    CREATED,
    DELETION_REQUESTED,
    RESTORED,
    PASSWORD_CHANGED,
    DISABLED,
    ENABLED,
    EMAIL_CHANGED,
    EMAIL_CHANGE_REQUESTED,
    EMAIL_CHANGE_CANCELLED,
    SIGNED_IN,
    SESSIONS_REVOKED,
    UNLOCKED,
    UPDATED,
    DELETED,
)
