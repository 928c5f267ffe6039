"""Prefixed ULID identifiers (`usr_`, `tnt_`, `ses_`, `key_`, `chg_`; `whk_` a
webhook endpoint, `msg_` a test delivery, `att_` a delivery attempt) and their validation.

`UserId` and `SessionId` are the types of the API's path parameters: Powertools validates them
with the rest of the request, after authentication and before the route's code runs, so an id of
the wrong shape is 422 `validation_failed` naming the parameter, and no AWS call is made for it
(an unchecked id could be any length: a DynamoDB key over 2,048 bytes is an error there).
"""

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

Prefix = Literal["usr", "tnt", "ses", "key", "chg", "whk", "msg", "att"]

_ULID = "[0-9A-HJKMNP-TV-Z]{26}"  # Crockford base32, upper case, as python-ulid writes it
_SHAPE = re.compile(rf"^(usr|tnt|ses|key|chg|whk|msg|att)_{_ULID}$")
_NAMES: dict[Prefix, str] = {
    "usr": "user",
    "tnt": "tenant",
    "ses": "session",
    "key": "key",
    "chg": "change",
    "whk": "webhook",
    "msg": "message",
    "att": "attempt",
}


def new_id(prefix: Prefix) -> str:
    from ulid import ULID  # imported on first use: its import reads package metadata (~15 ms)

    return f"{prefix}_{ULID()}"


def is_id(value: str, prefix: Prefix) -> bool:
    """True when `value` is a well-formed id of that kind (cheap; no lookup)."""
    return len(value) == len(prefix) + 27 and value.startswith(prefix + "_") and bool(_SHAPE.match(value))


def _checked(prefix: Prefix) -> AfterValidator:
    message = f"must be a {_NAMES[prefix]} id: {prefix}_ and 26 characters (a ULID)"

    def check(value: str) -> str:
        if not is_id(value, prefix):
            raise PydanticCustomError("id_shape", message)
        return value

    return AfterValidator(check)


def _schema(prefix: Prefix) -> WithJsonSchema:
    return WithJsonSchema(
        {"type": "string", "pattern": f"^{prefix}_{_ULID}$", "minLength": 30, "maxLength": 30}
    )


UserId = Annotated[str, _checked("usr"), _schema("usr")]
SessionId = Annotated[str, _checked("ses"), _schema("ses")]
WebhookId = Annotated[str, _checked("whk"), _schema("whk")]
KeyId = Annotated[str, _checked("key"), _schema("key")]
