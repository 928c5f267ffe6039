"""What SnapStart's priming sends each route, and the made-up world that answers it.

`hellojohn.edge.snapstart.prime` sends every route of the function requests that are refused
(an unknown key, a token with a bad signature) and one that succeeds: a request with a key, a
tenant and a user that exist only here, in `World`, whose items the priming's loopback server
answers (no request leaves the process). So the route's handler, its models' validation and
serialisation, the store's expressions, the response path and the CORS grant all run once before
the snapshot, as they would on the first real request.

Nothing made here is a secret or kept: the keys, tokens, password hash and signing seed below
are public constants no tenant has (a real key is random, `hellojohn.rules.opaque`); the world
is built for one priming and dropped with it; the ids, salts and tokens the success paths make
are sent to the loopback server and dropped; and `prime` empties every data cache afterwards
(`hellojohn.edge.caches.forget_data`), so no made-up item is ever served.

`REQUESTS` is the table: a route's body and query, by method and path. A route that needs
neither (a GET, a POST with no body) needs no entry; one that does and has none is refused at
validation, and tests/test_snapstart.py fails (every route of every API function must succeed).
"""

import hashlib
import json
import sys
from dataclasses import dataclass, field
from typing import Any

from hellojohn.records import Device, Tenant, User

TENANT_ID = "tnt_" + "0" * 26
USER_ID = "usr_" + "0" * 26
SESSION_ID = "ses_" + "0" * 26  # the caller's own session (its access token's, its refresh token's)
OTHER_SESSION_ID = "ses_" + "1" * 26  # the session the revoke routes revoke
CHANGE_ID = "chg_" + "0" * 26
ORIGIN = "https://priming.invalid"
EMAIL = "priming@example.com"
PASSWORD = "Priming-Pass-4711"  # public: the made-up user's, never anyone's
OTHER_PASSWORD = "Priming-Pass-5822"
PASSWORD_HASH = (
    "$argon2id$v=19$m=8,t=1,p=1$R7q6nKW3Y7y+kXNpZkpE0g$leb/KL9uS1ci150U4zGJKRIKeD8k6ifMBx38dSv4XX4"
)
"""PASSWORD's Argon2id hash at priming's trivial cost (`passwords.trivial_cost`: t=1, m=8 KiB),
made once and written here (public, as PASSWORD is): priming verifies it (sign-in, password
change) in microseconds, and at that cost it needs no rehash."""
SECRET_KEY = "sk_test_snapstart-priming-known-to-priming-only"
PUBLISHABLE_KEY = "pk_test_snapstart-priming-known-to-priming-only"
SEED = "snapstart priming: a public seed, not the service's"  # the signing seed's stand-in
REFRESH_SECRET = "priming" * 7  # the refresh token's secret part (at least 32 characters)
VERIFY_TOKEN = "priming-verification" * 3
CANCEL_TOKEN = "priming-cancel-link" * 3  # the notices' links (hellojohn.rules.notices)
RESTORE_TOKEN = "priming-restore-link" * 3
FAR = 2**31 - 1  # expiries: far ahead of any clock

REQUESTS: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/v1/auth/email/verify"): {"body": {"token": VERIFY_TOKEN}},
    ("POST", "/v1/auth/email/cancel"): {"body": {"token": CANCEL_TOKEN}},
    ("POST", "/v1/auth/email/restore"): {"body": {"token": RESTORE_TOKEN}},
    ("PATCH", "/v1/auth/me"): {"body": {"name": "Priming"}},
    ("POST", "/v1/auth/password/change"): {
        "body": {"current_password": PASSWORD, "new_password": OTHER_PASSWORD}
    },
    ("POST", "/v1/auth/refresh"): {"body": {"refresh_token": f"{USER_ID}.{SESSION_ID}.{REFRESH_SECRET}"}},
    ("POST", "/v1/auth/sign-in"): {"body": {"email": EMAIL, "password": PASSWORD}},
    ("POST", "/v1/users"): {
        "body": {"email": "new.priming@example.com", "password": PASSWORD, "phone_number": "+14155550100"}
    },
    ("GET", "/v1/users"): {"query": {"limit": "20"}},
    ("GET", "/v1/users/<user_id>/events"): {"query": {"limit": "20"}},
    ("PATCH", "/v1/users/<user_id>"): {"body": {"name": "Priming"}},
    ("PATCH", "/v1/users/<user_id>/metadata"): {"body": {"public_metadata": {"plan": "priming"}}},
    ("POST", "/v1/users/<user_id>/password"): {"body": {"password": OTHER_PASSWORD}},
}
"""A route's priming request beyond its credential: `body` (JSON) and `query` (strings)."""

PATH_VALUES = {"user_id": USER_ID, "session_id": OTHER_SESSION_ID}
"""What a path parameter is in a priming request (another name: the literal "prime")."""


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass
class World:
    """The items the loopback server answers with, by (PK, SK), in DynamoDB's JSON; the seed."""

    items: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    recording: bool = False  # the writes answered are kept as the world's items (while it is built)

    def put(self, item: dict[str, Any]) -> None:
        self.items[(item["PK"]["S"], item["SK"]["S"])] = item

    def get(self, key: dict[str, Any]) -> dict[str, Any] | None:
        return self.items.get((key["PK"]["S"], key["SK"]["S"]))

    def query(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """The items under the key condition's partition (the table's or GSI1's), its sort key
        condition applied (`BETWEEN`, `begins_with`), in sort key order."""
        values = {k: v.get("S") for k, v in params.get("ExpressionAttributeValues", {}).items()}
        condition = params["KeyConditionExpression"]
        pk_name, sk_name = ("GSI1PK", "GSI1SK") if params.get("IndexName") == "GSI1" else ("PK", "SK")
        pk = values[":pk"]
        found = sorted(
            (i for i in self.items.values() if i.get(pk_name, {}).get("S") == pk),
            key=lambda i: str(i.get(sk_name, {}).get("S")),
            reverse=params.get("ScanIndexForward") is False,
        )
        if "BETWEEN" in condition:
            low, high = (values[n] for n in condition.split("BETWEEN")[1].replace(" ", "").split("AND"))
            return [i for i in found if str(low) <= i[sk_name]["S"] <= str(high)]
        if "begins_with" in condition:
            prefix = values[condition.split(",")[1].strip(" )")]
            return [i for i in found if i[sk_name]["S"].startswith(str(prefix))]
        return found

    def answer(self, target: str, body: bytes) -> dict[str, Any]:
        """The answer to one JSON-protocol call (`X-Amz-Target`): reads find the world's items,
        writes succeed and change nothing (an update returns the item as it is), except that
        while `recording`, the items put are kept."""
        operation = target.rpartition(".")[2]
        params = json.loads(body or b"{}")
        if self.recording:
            items = [{"Put": params}] if operation == "PutItem" else params.get("TransactItems", [])
            puts = [t["Put"] for t in items if "Put" in t]
            for put in puts:
                self.put(put["Item"])
        answers = {
            "GetSecretValue": self._secret,
            "GetItem": self._get_item,
            "BatchGetItem": self._batch_get_item,
            "Query": self._query,
            "UpdateItem": self._update_item,
        }
        if operation == "BatchWriteItem":
            return {"UnprocessedItems": {}}
        return answers[operation](params) if operation in answers else {}  # a write: done

    def _secret(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"Name": params.get("SecretId", ""), "SecretString": json.dumps({"seed": SEED})}

    def _get_item(self, params: dict[str, Any]) -> dict[str, Any]:
        item = self.get(params["Key"])
        return {"Item": item} if item else {}

    def _batch_get_item(self, params: dict[str, Any]) -> dict[str, Any]:
        found = {
            table: [i for i in (self.get(k) for k in request["Keys"]) if i]
            for table, request in params["RequestItems"].items()
        }
        return {"Responses": found, "UnprocessedKeys": {}}

    def _query(self, params: dict[str, Any]) -> dict[str, Any]:
        items = self.query(params)[: params.get("Limit", 1000)]
        return {"Items": items, "Count": len(items), "ScannedCount": len(items)}

    def _update_item(self, params: dict[str, Any]) -> dict[str, Any]:
        item = self.get(params["Key"])
        return {"Attributes": item} if item and params.get("ReturnValues") else {}


def furnish(w: World, email: bool) -> None:
    """A tenant with both kinds of key, one user with two live sessions, a pending email change
    and its verification token, the notices' cancel and restore links, and one entry of history:
    each item as the store writes it (its writes recorded, answered by the loopback server).
    `email`: the function normalises addresses (its `email` need), so the user's email key and
    claim exist too."""
    from hellojohn.records import ApiKey
    from hellojohn.store import keys, tenants
    from hellojohn.store.client import to_item

    w.recording = True
    tenant = Tenant(TENANT_ID, "Priming", allowed_origins=(ORIGIN,), verify_url_base=ORIGIN)
    tenants.create(
        tenant,
        [
            (_digest(SECRET_KEY), ApiKey("key_secret", TENANT_ID, "secret")),
            (_digest(PUBLISHABLE_KEY), ApiKey("key_publishable", TENANT_ID, "publishable")),
        ],
    )
    pending = "pending.priming@example.com"
    user = User(
        USER_ID,
        TENANT_ID,
        EMAIL,
        email_verified=True,
        name="Priming",
        pending_email=pending,
        pending_change_id=CHANGE_ID,
        pending_requested_at=1,
        pending_token_hash=_digest(VERIFY_TOKEN),
        pending_expires_at=FAR,
        created_at=1,
        updated_at=1,
        password_hash=PASSWORD_HASH,
        sessions={SESSION_ID: FAR, OTHER_SESSION_ID: FAR},
    )
    # as `store.users.user_item` writes it, with a fixed change stamp (no id is made: ulid stays
    # unloaded where the function makes none) and, where the function normalises addresses (the
    # `email` need), the email key and its claim (elsewhere email_validator stays unloaded)
    item = {
        **keys.user(TENANT_ID, USER_ID),
        "GSI1PK": {"S": keys.users_index_pk(TENANT_ID)},
        "GSI1SK": {"S": USER_ID},
        **to_item({**user.to_item(), "change": {"id": CHANGE_ID, "actor": "system"}}),
    }
    if email:
        from hellojohn.fields import email_key

        item["email_key"] = {"S": email_key(EMAIL)}
        w.put({**keys.email_claim(TENANT_ID, email_key(EMAIL)), "user_id": {"S": USER_ID}})
    w.put(item)
    # only what the function's own modules read: a module priming alone would load is init wasted
    if "hellojohn.store.sessions" in sys.modules:
        from hellojohn.store import sessions

        device = Device("127.0.0.1", "priming")
        for sid in (SESSION_ID, OTHER_SESSION_ID):
            session = sessions.put_session(TENANT_ID, USER_ID, sid, _digest(REFRESH_SECRET), 1, FAR, device)
            w.put(session["Put"]["Item"])
        verification = sessions.Verification(TENANT_ID, USER_ID, pending, CHANGE_ID, FAR)
        w.put(sessions.put_verification(_digest(VERIFY_TOKEN), verification)["Put"]["Item"])
    if "hellojohn.store.notices" in sys.modules:  # the notices' links: cancel the pending change,
        from hellojohn.store import notices  # restore the address the user had before EMAIL

        links = (  # (kind, token, the link's `email`, its `new_email`), as rules.notices makes them
            ("cancel", CANCEL_TOKEN, EMAIL, pending),
            ("restore", RESTORE_TOKEN, "before.priming@example.com", EMAIL),
        )
        for kind, token, email_, new_email in links:
            link = notices.Link(TENANT_ID, USER_ID, kind, CHANGE_ID, email_, new_email, FAR)
            if kind == "restore":  # with the user's restore links naming it
                notices.add_restore_link(_digest(token), link, notices.RestoreLinks({}), 1)
            else:
                notices.put_link(_digest(token), link)
    if "hellojohn.rules.history" in sys.modules:  # the user's creation, as its history has it
        from hellojohn.rules import change_events, history
        from hellojohn.store import audit
        from hellojohn.store.client import from_item

        event = change_events.for_change(None, from_item(item), "1", "1970-01-01T00:00:01Z")
        if event is not None:
            audit.put(TENANT_ID, USER_ID, str(event.detail["change_id"]), history.entry_of(event), FAR)
    w.recording = False


def request(method: str, path: str, bearer: str | None, origin: bool) -> dict[str, Any]:
    """A route's priming request (API Gateway's proxy event) with `bearer` as its credential, and
    with an `Origin` (a browser's request: the CORS grant reads the tenant) if `origin`."""
    names = [p.strip("<>") if p.startswith("<") else None for p in path.split("/")]
    values = {name: PATH_VALUES.get(name, "prime") for name in names if name}
    concrete = "/".join(values[name] if name else p for name, p in zip(names, path.split("/"), strict=True))
    extra = REQUESTS.get((method, path), {})
    headers = {"Origin": ORIGIN, "User-Agent": "priming"} if origin else {"User-Agent": "priming"}
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
        headers["X-Tenant-ID"] = TENANT_ID
    if method == "OPTIONS":
        headers["Access-Control-Request-Method"] = "POST"
    body = extra.get("body")
    if body is not None:
        headers["Content-Type"] = "application/json"
    query = extra.get("query")
    return {
        "resource": path.replace("<", "{").replace(">", "}"),
        "path": concrete,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": values or None,
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
        "requestContext": {
            "requestId": "snapstart-priming",
            "httpMethod": method,
            "stage": "prime",
            "identity": {"sourceIp": "127.0.0.1", "userAgent": "priming"},
        },
    }
