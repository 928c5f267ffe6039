"""Page cursors: the id of a page's last item, opaque to the caller (URL-safe base64), checked
on the way back in so a cursor this API never returned is a 422, not a query."""

import base64
import binascii

from hellojohn import errors, ids
from hellojohn.errors import FieldIssue


def encode(last_id: str) -> str:
    return base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")


def decode(cursor: str, prefix: ids.Prefix) -> str:
    try:
        last_id = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        last_id = ""
    if not ids.is_id(last_id, prefix):
        raise errors.validation_failed([FieldIssue("cursor", "is not a cursor this API returned")])
    return last_id
