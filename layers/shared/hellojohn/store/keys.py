"""Primary keys of every item kind: one place, so no two modules spell them differently."""

import hashlib

USER_SK = "USER"
SESSION_SK_PREFIX = "SES#"  # sorts before USER_SK: a user's sessions and the user are one key range


def tenant(tid: str) -> dict[str, dict[str, str]]:
    return {"PK": {"S": f"TNT#{tid}"}, "SK": {"S": "TENANT"}}


def api_key(key_hash: str) -> dict[str, dict[str, str]]:
    return {"PK": {"S": f"KEY#{key_hash}"}, "SK": {"S": "KEY"}}


def user_pk(tid: str, uid: str) -> str:
    return f"TNT#{tid}#USR#{uid}"


def user(tid: str, uid: str) -> dict[str, dict[str, str]]:
    return {"PK": {"S": user_pk(tid, uid)}, "SK": {"S": USER_SK}}


def session(tid: str, uid: str, sid: str) -> dict[str, dict[str, str]]:
    return {"PK": {"S": user_pk(tid, uid)}, "SK": {"S": f"{SESSION_SK_PREFIX}{sid}"}}


AUDIT_PREFIX = "EVT#"


def audit_entry(tid: str, uid: str, change_id: str) -> dict[str, dict[str, str]]:
    """One entry of a user's history, in the user's item collection: change ids are ULIDs, so
    the sort key orders entries by time (newest first is a descending Query)."""
    return {"PK": {"S": user_pk(tid, uid)}, "SK": {"S": f"{AUDIT_PREFIX}{change_id}"}}


def email_claim(tid: str, key: str) -> dict[str, dict[str, str]]:
    return {"PK": {"S": f"TNT#{tid}#EMAIL#{key}"}, "SK": {"S": "EMAIL"}}


def verification(token_hash: str) -> dict[str, dict[str, str]]:
    return {"PK": {"S": f"VFY#{token_hash}"}, "SK": {"S": "VERIFY"}}


def users_index_pk(tid: str) -> str:
    return f"TNT#{tid}#USERS"


def guesses(tid: str, email_key: str) -> dict[str, dict[str, str]]:
    """The stand-in that counts sign-in guesses for an address no user has (hellojohn.store.guesses)."""
    digest = hashlib.sha256(email_key.encode()).hexdigest()
    return {"PK": {"S": f"TNT#{tid}#GUESS#{digest}"}, "SK": {"S": "GUESS"}}


def mail_to(tid: str, email_key: str, hour: int) -> dict[str, dict[str, str]]:
    """How many verification emails an address was sent in one hour (removed by TTL)."""
    digest = hashlib.sha256(email_key.encode()).hexdigest()
    return {"PK": {"S": f"TNT#{tid}#MAILTO#{digest}#{hour}"}, "SK": {"S": "MAILTO"}}


def notice_link(token_hash: str) -> dict[str, dict[str, str]]:
    """A security notice's link token (cancel an email change, restore the old address), by its hash."""
    return {"PK": {"S": f"NTC#{token_hash}"}, "SK": {"S": "NOTICE"}}


def restore_links(tid: str, uid: str) -> dict[str, dict[str, str]]:
    """The user's restore links still usable (hellojohn.store.links.RestoreLinks). A partition of
    its own, not the user's: the worker that writes it may not write user items."""
    return {"PK": {"S": restore_links_pk(tid, uid)}, "SK": {"S": "RESTORE"}}


def restore_links_pk(tid: str, uid: str) -> str:
    return f"TNT#{tid}#RESTORE#{uid}"


def idempotency_pk(tid: str, caller: str) -> str:
    """The partition of a caller's idempotency records (an API key's id, or a session's)."""
    return f"IDEM#{tid}#{caller}"


LINK_SK_PREFIX = "LINK#"


def link_noted(tid: str, uid: str, token_hash: str) -> dict[str, dict[str, str]]:
    """That the user has a notice link token (by its hash), beside the user's restore links: the
    purge of a deleted user finds its link tokens there (hellojohn.rules.purge)."""
    return {"PK": {"S": restore_links_pk(tid, uid)}, "SK": {"S": f"{LINK_SK_PREFIX}{token_hash}"}}


def notice_sent(tid: str, change_id: str, kind: str) -> dict[str, dict[str, str]]:
    """That the notice of `kind` for a change went out (a redelivered job sends nothing), TTL."""
    return {"PK": {"S": f"TNT#{tid}#NOTICE#{change_id}#{kind}"}, "SK": {"S": "NOTICE"}}


def webhooks_pk(tid: str) -> str:
    """A tenant's webhook endpoints and their count: one partition (at most 20 endpoints)."""
    return f"TNT#{tid}#WEBHOOKS"


WEBHOOK_PREFIX = "WHK#"
WEBHOOK_COUNT_SK = "COUNT"  # the count of the tenant's endpoints, moved with each create and delete


def webhook(tid: str, wid: str) -> dict[str, dict[str, str]]:
    return {"PK": {"S": webhooks_pk(tid)}, "SK": {"S": f"{WEBHOOK_PREFIX}{wid}"}}


def webhook_count(tid: str) -> dict[str, dict[str, str]]:
    return {"PK": {"S": webhooks_pk(tid)}, "SK": {"S": WEBHOOK_COUNT_SK}}


DELIVERY_PREFIX = "DLV#"


def deliveries_pk(tid: str, wid: str) -> str:
    """An endpoint's delivery attempts, keyed by an id of their own (a ULID: newest first is a
    descending Query). A partition per endpoint, apart from the endpoints': the delivery worker
    writes here and may not write an endpoint but to disable it."""
    return f"TNT#{tid}#WHK#{wid}"


def delivery(tid: str, wid: str, attempt_id: str) -> dict[str, dict[str, str]]:
    return {"PK": {"S": deliveries_pk(tid, wid)}, "SK": {"S": f"{DELIVERY_PREFIX}{attempt_id}"}}
