"""Primary keys of every item kind: one place, so no two modules spell them differently."""

USER_SK = "USER"


def tenant(tid: str) -> dict[str, dict[str, str]]:
    return {"PK": {"S": f"TNT#{tid}"}, "SK": {"S": "TENANT"}}


def api_key(key_hash: str) -> dict[str, dict[str, str]]:
    return {"PK": {"S": f"KEY#{key_hash}"}, "SK": {"S": "KEY"}}


def user_pk(tid: str, uid: str) -> str:
    return f"TNT#{tid}#USR#{uid}"


def user(tid: str, uid: str) -> dict[str, dict[str, str]]:
    return {"PK": {"S": user_pk(tid, uid)}, "SK": {"S": USER_SK}}


def session(tid: str, uid: str, sid: str) -> dict[str, dict[str, str]]:
    return {"PK": {"S": user_pk(tid, uid)}, "SK": {"S": f"SES#{sid}"}}


def email_claim(tid: str, key: str) -> dict[str, dict[str, str]]:
    return {"PK": {"S": f"TNT#{tid}#EMAIL#{key}"}, "SK": {"S": "EMAIL"}}


def verification(token_hash: str) -> dict[str, dict[str, str]]:
    return {"PK": {"S": f"VFY#{token_hash}"}, "SK": {"S": "VERIFY"}}


def users_index_pk(tid: str) -> str:
    return f"TNT#{tid}#USERS"
