"""Which self-service requests need a recent proof of the password: one table, `RULES`.

A stolen access token must not take over the account: a request in this table whose rule applies
is refused, 403 `reauthentication_required` with RFC 9470's challenge (`WWW-Authenticate: Bearer
error="insufficient_user_authentication", …, max_age="N"`), when the token's `auth_time` (the
session's last proof of the password: sign-in, `POST /v1/auth/reauthenticate`, a password change)
is more than the tenant's `reverification_max_age_seconds` old (0: never). Both times are the
service's own, so there is no clock-skew leeway. It is checked by `resolver.entry` after the
credential and the body's hygiene and before the route runs, so a refused request changes nothing
and makes no AWS call (the tenant is the one the route reads, cached). Admin requests (a secret
key) are never asked: only an access token's routes are in the table.

Every route of `template.yaml` taking an access token has a row (tests/unit/test_reverification.py
walks them), so a new route is a decision, not an omission. To require it for a new route, add one
row, as `("DELETE", "/v1/auth/me"): ALWAYS`.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hellojohn import errors, timeutil
from hellojohn.rules import tenancy

if TYPE_CHECKING:
    from hellojohn.rules.tokens import AccessClaims


@dataclass(frozen=True)
class Rule:
    """When a request of the route needs a recent proof: always, or when its JSON body names one
    of `fields`, or when it names another session than the caller's (`other_session`)."""

    always: bool = False
    fields: frozenset[str] = frozenset()
    other_session: bool = False

    def applies(self, body: Mapping[str, Any], path: Mapping[str, str], claims: "AccessClaims") -> bool:
        if self.always:
            return True
        if self.other_session and path.get("session_id", claims.session_id) != claims.session_id:
            return True
        return any(name in body for name in self.fields)


NEVER = Rule()
ALWAYS = Rule(always=True)


def naming(*fields: str) -> Rule:
    return Rule(fields=frozenset(fields))


RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/v1/auth/me"): NEVER,
    # the address (where account recovery goes: the first step of a takeover) and the phone number;
    # `name` and `avatar_url` alone never ask, on any live session
    ("PATCH", "/v1/auth/me"): naming("email", "phone_number"),
    ("POST", "/v1/auth/password/change"): NEVER,  # the current password is its own proof
    ("POST", "/v1/auth/reauthenticate"): NEVER,  # the proof itself
    ("POST", "/v1/auth/sign-out"): NEVER,
    ("GET", "/v1/auth/sessions"): NEVER,
    # ending another of one's sessions (one by one, it ends them all); one's own is a sign-out
    ("POST", "/v1/auth/sessions/{session_id}/revoke"): Rule(other_session=True),
    ("DELETE", "/v1/auth/me"): ALWAYS,  # deleting one's account (docs/SECURITY.md, "Deleting a user")
}
"""Each access-token route (method, API Gateway resource) and when its requests need a proof."""


def check(
    claims: "AccessClaims", event: Mapping[str, Any], body: Callable[[], Mapping[str, Any]]
) -> int | None:
    """The `auth_time` a request relied on when its rule applied and held (the change event's
    `actor.reverified_at`), None when no proof was needed; `ApiError` 403 when it is too old.
    `body`: the request's JSON object (parsed only for a route whose rule reads it)."""
    method = str(event.get("httpMethod", "")).upper()
    rule = RULES.get((method, str(event.get("resource", ""))), NEVER)
    if rule == NEVER:
        return None
    tenant = tenancy.tenant(claims.tenant_id)
    max_age = tenant.reverification_max_age_seconds if tenant is not None else 0
    if max_age <= 0 or not rule.applies(body(), event.get("pathParameters") or {}, claims):
        return None
    if timeutil.now() - claims.auth_time > max_age:
        raise errors.reauthentication_required(max_age)
    return claims.auth_time
