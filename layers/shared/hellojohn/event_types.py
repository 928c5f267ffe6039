"""The change events' catalogue: every detail-type, in the order a change is named when it is
several at once (docs/EVENTS.md; `rules/change_events.py` names them). The webhooks'
`event_types` are checked against it (`models.WebhookCreate`)."""

CATALOGUE = (
    "user.created",
    "user.password_changed",
    "user.disabled",
    "user.enabled",
    "user.email_changed",
    "user.email_change_requested",
    "user.email_change_cancelled",
    "user.signed_in",
    "user.sessions_revoked",
    "user.unlocked",
    "user.updated",
)
