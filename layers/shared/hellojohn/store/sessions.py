"""Session items: refresh-token hashes, in the user's own item collection."""

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from hellojohn.records import Device, User
from hellojohn.store import keys
from hellojohn.store.client import (
    cancellation_reasons,
    dynamodb,
    error_code,
    failed_item,
    from_item,
    get_many,
    table_name,
    to_item,
)
from hellojohn.store.users import Condition
from hellojohn.timeutil import now as _now

AUTH_TIME = "auth_time"
"""A session item attribute: when the password was last proved in the session (sign-in, a
reauthentication, a password change); refresh copies it into each new access token."""

REVOKED_ALL = "sessions_revoked"
"""A user item attribute: a fresh random mark written by every revoke-all, so that a sign-in that
read the user before it cannot open a session after it (`revoked_all_is`)."""


def revoked_all_is(mark: str | None) -> Condition:
    """No revoke-all since the user item was read (its mark is still the one read)."""
    if mark is None:
        return Condition("attribute_not_exists(#revoked_all)", {"#revoked_all": REVOKED_ALL})
    return Condition("#revoked_all = :revoked_all", {"#revoked_all": REVOKED_ALL}, {":revoked_all": mark})


@dataclass(frozen=True)
class SessionItem:
    id: str
    user_id: str
    refresh_hash: str
    previous_refresh_hash: str | None
    created_at: int
    expires_at: int
    last_refreshed_at: int | None = None
    user_agent: str | None = None  # None: not known (sessions made before these were recorded)
    ip: str | None = None
    auth_time: int = 0  # the last proof of the password in this session (tokens.issue's auth_time)

    @classmethod
    def from_item(cls, d: dict[str, Any]) -> "SessionItem":
        def number(name: str) -> int | None:
            return int(d[name]) if d.get(name) is not None else None

        return cls(
            id=d.get("session_id") or str(d["SK"]).removeprefix(keys.SESSION_SK_PREFIX),
            user_id=d.get("user_id", ""),
            refresh_hash=d.get("refresh_hash", ""),
            previous_refresh_hash=d.get("previous_refresh_hash"),
            created_at=number("created_at") or 0,
            expires_at=number("expires_at") or 0,
            last_refreshed_at=number("last_refreshed_at"),
            user_agent=d.get("user_agent"),
            ip=d.get("ip"),
            # a session item made before auth_time was recorded: its sign-in was the last proof
            auth_time=number(AUTH_TIME) or number("created_at") or 0,
        )


def put_session(
    tid: str,
    uid: str,
    sid: str,
    refresh_hash: str,
    now: int,
    expires_at: int,
    device: Device | None = None,
) -> dict[str, Any]:
    """A transaction item creating a session (the caller adds it to the user's transaction)."""
    device = device or Device()
    return {
        "Put": {
            "TableName": table_name(),
            "Item": {
                **keys.session(tid, uid, sid),
                **to_item(
                    {
                        "session_id": sid,
                        "user_id": uid,
                        "tenant_id": tid,
                        "refresh_hash": refresh_hash,
                        "created_at": now,
                        AUTH_TIME: now,  # the password was just proved
                        "expires_at": expires_at,
                        "ttl": expires_at,
                        "user_agent": device.user_agent,  # None: left out (to_item)
                        "ip": device.ip,
                    }
                ),
            },
            "ConditionExpression": "attribute_not_exists(PK)",
        }
    }


def reverified(tid: str, uid: str, sid: str, now: int, refresh_hash: str | None = None) -> dict[str, Any]:
    """A transaction item recording a fresh proof of the password in a session (its `auth_time`):
    a reauthentication, which also rotates the refresh token (`refresh_hash`: the new one's; the
    tokens before it are no longer refreshable, not even within the reuse interval: no previous
    hash is kept), or a password change. Only on a session item that exists."""
    names = {"#auth_time": AUTH_TIME}
    values: dict[str, Any] = {":now": {"N": str(now)}}
    expression = "SET #auth_time = :now"
    if refresh_hash is not None:
        names.update({"#refreshed": "last_refreshed_at", "#previous": "previous_refresh_hash"})
        values[":new"] = {"S": refresh_hash}
        expression += ", refresh_hash = :new, #refreshed = :now REMOVE #previous"
    return {
        "Update": {
            "TableName": table_name(),
            "Key": keys.session(tid, uid, sid),
            "UpdateExpression": expression,
            "ConditionExpression": "attribute_exists(PK)",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }


def delete_session(tid: str, uid: str, sid: str) -> dict[str, Any]:
    return {"Delete": {"TableName": table_name(), "Key": keys.session(tid, uid, sid)}}


def get_user_and_session(tid: str, uid: str, sid: str) -> tuple[User | None, SessionItem | None]:
    """Both items in one BatchGetItem (strongly consistent)."""
    user: User | None = None
    session: SessionItem | None = None
    for d in get_many([keys.user(tid, uid), keys.session(tid, uid, sid)]):
        if d["SK"] == keys.USER_SK:
            user = User.from_item(d)
        else:
            session = SessionItem.from_item(d)
    return user, session


class RotationLost(Exception):
    """The refresh token was rotated concurrently (`session`: the item as it was then), the session
    revoked or the user disabled (`reasons`: the transaction's, item by item)."""

    def __init__(self, reasons: list[str], session: SessionItem | None = None) -> None:
        super().__init__("rotation lost")
        self.reasons = reasons
        self.session = session


def rotation(
    tid: str, uid: str, sid: str, old_hash: str, new_hash: str, expires_at: int, now: int
) -> list[dict[str, Any]]:
    """The refresh's transaction: swap the refresh hash if it is still the one presented and the
    session is still active; the same write records when the session was last refreshed."""
    return [
        {
            "Update": {
                "TableName": table_name(),
                "Key": keys.session(tid, uid, sid),
                "UpdateExpression": "SET refresh_hash = :new, previous_refresh_hash = :old, "
                "expires_at = :exp, #ttl = :exp, #refreshed = :now",
                "ConditionExpression": "refresh_hash = :old",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                "ExpressionAttributeNames": {"#ttl": "ttl", "#refreshed": "last_refreshed_at"},
                "ExpressionAttributeValues": {
                    ":new": {"S": new_hash},
                    ":old": {"S": old_hash},
                    ":exp": {"N": str(expires_at)},
                    ":now": {"N": str(now)},
                },
            }
        },
        {
            "ConditionCheck": {
                "TableName": table_name(),
                "Key": keys.user(tid, uid),
                "ConditionExpression": "attribute_exists(#s.#sid) AND #d = :false",
                "ExpressionAttributeNames": {"#s": "sessions", "#sid": sid, "#d": "disabled"},
                "ExpressionAttributeValues": {":false": {"BOOL": False}},
            }
        },
    ]


def rotate(tid: str, uid: str, sid: str, old_hash: str, new_hash: str, expires_at: int, now: int) -> None:
    """The refresh's transaction (`rotation`); RotationLost when a condition fails."""
    try:
        dynamodb().transact_write_items(
            TransactItems=rotation(tid, uid, sid, old_hash, new_hash, expires_at, now)  # type: ignore[arg-type]
        )
    except ClientError as exc:
        if error_code(exc) == "TransactionCanceledException":
            old = failed_item(exc, 0)
            session = SessionItem.from_item(old) if old else None
            raise RotationLost(cancellation_reasons(exc), session) from None
        raise


_LISTED = (
    "SK",
    "sessions",
    "purge_at",
    "session_id",
    "created_at",
    "last_refreshed_at",
    "expires_at",
    "user_agent",
    "ip",
)


def list_sessions(tid: str, uid: str) -> tuple[dict[str, int] | None, list[SessionItem]]:
    """The user's `sessions` map (None: no such user, or one past its purge) and its session items,
    from one Query of the user's item collection (strongly consistent): the session items (`SES#…`)
    sort just before the user item (`USER`), so the key range `SES#` … `USER` holds both and
    nothing else of the user's.
    Only the attributes a listing shows are returned (no refresh hashes, no profile). A collection
    larger than a Query's 1 MB page (over a thousand sessions) takes one more Query per page."""
    names = {f"#a{i}": name for i, name in enumerate(_LISTED)}
    params: dict[str, Any] = {
        "TableName": table_name(),
        "KeyConditionExpression": "PK = :pk AND SK BETWEEN :first AND :user",
        "ExpressionAttributeValues": {
            ":pk": {"S": keys.user_pk(tid, uid)},
            ":first": {"S": keys.SESSION_SK_PREFIX},
            ":user": {"S": keys.USER_SK},
        },
        "ProjectionExpression": ", ".join(names),
        "ExpressionAttributeNames": names,
        "ConsistentRead": True,
    }
    live: dict[str, int] | None = None
    found: list[SessionItem] = []
    while True:
        out = dynamodb().query(**params)
        for raw in out.get("Items", []):
            d = from_item(raw)
            gone = d.get("purge_at") is not None and int(d["purge_at"]) <= _now()  # User.gone
            if d["SK"] == keys.USER_SK and not gone:
                live = {k: int(v) for k, v in (d.get("sessions") or {}).items()}
            elif str(d["SK"]).startswith(keys.SESSION_SK_PREFIX):
                found.append(SessionItem.from_item(d))
        if not out.get("LastEvaluatedKey"):
            return live, found
        params["ExclusiveStartKey"] = out["LastEvaluatedKey"]


def delete_sessions(tid: str, uid: str, sids: list[str]) -> int:
    """BatchWriteItem deletes, 25 a call, retrying unprocessed items; returns the calls made."""
    calls = 0
    for start in range(0, len(sids), 25):
        request: dict[str, Any] = {
            table_name(): [
                {"DeleteRequest": {"Key": keys.session(tid, uid, sid)}} for sid in sids[start : start + 25]
            ]
        }
        while request:
            calls += 1
            out = dynamodb().batch_write_item(RequestItems=request)
            request = dict(out.get("UnprocessedItems") or {})
    return calls
