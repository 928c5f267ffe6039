"""Prefixed ULID identifiers (`usr_`, `tnt_`, `ses_`, `key_`, `chg_`) and their validation."""

import re
from typing import Literal

Prefix = Literal["usr", "tnt", "ses", "key", "chg"]

_SHAPE = re.compile(r"^(usr|tnt|ses|key|chg)_[0-9A-HJKMNP-TV-Z]{26}$")


def new_id(prefix: Prefix) -> str:
    from ulid import ULID  # imported on first use: its import reads package metadata (~15 ms)

    return f"{prefix}_{ULID()}"


def is_id(value: str, prefix: Prefix) -> bool:
    """True when `value` is a well-formed id of that kind (cheap; no lookup)."""
    return len(value) == len(prefix) + 27 and value.startswith(prefix + "_") and bool(_SHAPE.match(value))
