"""`Idempotency-Key` on the POSTs that change state, through Powertools' idempotency utility.

With the header, the first request runs and its response (status, body, ETag) is stored; a
retry with the same key, from the same caller, on the same route, with the same request gets that
response back without running again; the same key with a different request is 422. Without the
header nothing here touches AWS: the request runs as it would without this module.

Records live in the service's one table, next to nothing else:

| item | PK | SK |
|---|---|---|
| idempotency record | `IDEM#{tid}#{caller}` | `IDEM#{tid}#{caller}#{METHOD /route}#{sha256(key)}` |

`caller` is the API key's id (admin callers) or the session id (signed-in users), so neither
another tenant, nor another key, nor another session of the same user can see or replay a
response. Neither key is `USER`, so the table stream's filter drops these items. DynamoDB's TTL
(attribute `ttl`) removes a record after EXPIRES_AFTER_SECONDS.

A stored response is served only to a caller who could make the request now: a replay to an
access token reads the user again (its session still live, else 401 `session_revoked`; the user
not disabled, else 403 `user_disabled`), as every access-token request does; a secret key was
checked by the authentication every request passes, replays included (`edge.auth`).

AWS calls with a key (DynamoDB): first run +2 (a conditional PutItem marking the key in progress,
an UpdateItem storing the response); replay 1 (the PutItem fails and returns the stored record),
plus the GetItem of the user for an access token; a run that fails +2 (the PutItem, a
DeleteItem, so a retry runs again). Without a key: none.

Nothing in a record lets a password be tested: the request fingerprint (Powertools' `validation`
hash, SHA-256 of the request) is taken over the body with each password field replaced by its
HMAC-SHA-256 under the fingerprint key (Secrets Manager, `FINGERPRINT_KEY_SECRET`; only the
functions whose bodies carry a password may read it). Without the key, a record's hash cannot be
checked against a guessed password; a different password is still a different request.

Only successful responses are stored: an error leaves nothing behind, so the retry runs again.
Sign-in, refresh and email verification are not covered: their responses carry secrets (tokens)
that must never be written anywhere, and each is safe to retry or single-use by nature.
"""

import copy
import hashlib
import hmac
import json
import re
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyInconsistentStateError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from pydantic import BaseModel

from hellojohn import errors
from hellojohn.edge.auth import KeyCaller
from hellojohn.errors import FieldIssue
from hellojohn.store import keys
from hellojohn.store.client import dynamodb, table_name
from hellojohn.timeutil import DAY

if TYPE_CHECKING:
    from hellojohn.rules.tokens import AccessClaims

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
EXPIRES_AFTER_SECONDS = DAY
MAX_KEY_LENGTH = 255
PASSWORD_FIELDS = ("password", "current_password", "new_password")
_KEY_SHAPE = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, no spaces


def _config(context: Any = None) -> IdempotencyConfig:
    config = IdempotencyConfig(
        event_key_jmespath="key",
        payload_validation_jmespath="request",
        expires_after_seconds=EXPIRES_AFTER_SECONDS,
        hash_function="sha256",
        response_hook=_mark_replayed,
    )
    if callable(getattr(context, "get_remaining_time_in_millis", None)):
        config.register_lambda_context(context)  # an in-progress key is freed when the invocation times out
    return config


@cache
def _prototype() -> DynamoDBPersistenceLayer:
    """Built (and configured) once per process; each request works on its own shallow copy.

    A copy, not a new layer, because the constructor registers a user-agent hook on the client
    every time (it would pile up on the shared client), and not the prototype itself because
    the partition key is per caller.
    """
    layer = DynamoDBPersistenceLayer(
        table_name=table_name(),
        key_attr="PK",
        sort_key_attr="SK",
        expiry_attr="ttl",
        boto3_client=dynamodb(),
    )
    layer.configure(_config())
    return layer


def _layer(partition: str) -> DynamoDBPersistenceLayer:
    layer = copy.copy(_prototype())
    layer.client = dynamodb()
    layer.table_name = table_name()
    layer.static_pk_value = partition
    return layer


def _mark_replayed(response: Any, idempotent_data: DataRecord) -> Any:
    return {**response, "replayed": True} if isinstance(response, dict) else response


def _freeze(response: Response[Any]) -> dict[str, Any]:
    body = response.body
    if isinstance(body, BaseModel):
        body = body.model_dump(mode="json")
    elif isinstance(body, str | bytes):
        body = json.loads(body) if body else None
    headers = {k: v for k, v in (response.headers or {}).items() if k.lower() == "etag"}
    return {"status": response.status_code, "body": body, "headers": headers}


def _thaw(frozen: dict[str, Any]) -> Response[Any]:
    headers = dict(frozen.get("headers") or {})
    if frozen.get("replayed"):
        headers[REPLAYED_HEADER] = "true"
    body = frozen.get("body")
    return Response(
        status_code=int(frozen["status"]),
        content_type="application/json",
        body="" if body is None else body,
        headers=headers,
    )


def fingerprint_key() -> bytes:
    """The key password fields are HMAC'd with: its own secret, not the token-signing seed, so
    the admin functions that need it hold nothing that can mint tokens (cached 300 s)."""
    from aws_lambda_powertools.utilities import parameters

    from hellojohn.adapters.secrets_manager import secrets_provider
    from hellojohn.config import settings

    s = settings()
    secrets_provider()
    raw = parameters.get_secret(s.fingerprint_key_secret, max_age=s.signing_key_max_age_seconds)
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    return str(json.loads(text)["key"]).encode()


def without_passwords(body: Any) -> Any:
    """The body as it is fingerprinted: each password field keyed (HMAC-SHA-256), never plain."""
    if not isinstance(body, dict) or not any(isinstance(body.get(f), str) for f in PASSWORD_FIELDS):
        return body
    secret = fingerprint_key()
    return {
        k: hmac.new(secret, v.encode(), hashlib.sha256).hexdigest()
        if k in PASSWORD_FIELDS and isinstance(v, str)
        else v
        for k, v in body.items()
    }


def key(app: APIGatewayRestResolver) -> str | None:
    """The request's Idempotency-Key, None when absent; a malformed one is 400."""
    raw = app.current_event.headers.get(HEADER.lower())
    if raw is None:
        return None
    if not _KEY_SHAPE.match(raw):
        raise errors.invalid_request(
            f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters without spaces"
        )
    return raw


def _may_replay(caller: "KeyCaller | AccessClaims") -> None:
    """A stored response is the caller's only while the caller could still make the request: a
    session must be live and its user not disabled (the user read again: one GetItem). A secret
    key was checked before the request got here, as on every request (`auth.secret_key`)."""
    if isinstance(caller, KeyCaller):
        return
    from hellojohn.rules import account  # only a replay to an access token reads the user again

    if account.me(caller).disabled:
        raise errors.user_disabled()


def once(
    app: APIGatewayRestResolver, caller: "KeyCaller | AccessClaims", work: Callable[[], Response[Any]]
) -> Response[Any]:
    """Run `work` once per Idempotency-Key (scoped to tenant, caller and route), or just run it.
    The caller is the API key (its id) or the session (its id) the request authenticated with."""
    idempotency_key = key(app)
    if idempotency_key is None:
        return work()
    event = app.current_event
    route = f"{event.http_method.upper()} {event.resource}"
    if isinstance(caller, KeyCaller):
        partition = keys.idempotency_pk(caller.tenant.id, caller.key_id)
    else:
        partition = keys.idempotency_pk(caller.tenant_id, caller.session_id)
    try:
        body = event.json_body if event.body else None
    except ValueError:
        body = event.body
    request = {
        "key": idempotency_key,
        "request": {
            "path": dict(event.path_parameters or {}),
            "body": without_passwords(body),
            "if_match": event.headers.get("if-match"),
        },
    }

    def frozen(request: dict[str, Any]) -> dict[str, Any]:
        return _freeze(work())

    run: Callable[..., dict[str, Any]] = idempotent_function(
        frozen,
        data_keyword_argument="request",
        persistence_store=_layer(partition),
        config=_config(app.lambda_context),
        key_prefix=f"{partition}#{route}",
    )
    try:
        stored = run(request=request)
    except IdempotencyValidationError:
        raise errors.validation_failed(
            [FieldIssue(HEADER, "was already used with a different request")],
            f"This {HEADER} was already used with a different request",
        ) from None
    except IdempotencyAlreadyInProgressError:
        err = errors.conflict(f"A request with this {HEADER} is still in progress; retry shortly")
        err.headers["Retry-After"] = "1"
        raise err from None
    except (IdempotencyPersistenceLayerError, IdempotencyInconsistentStateError):
        raise errors.service_unavailable() from None
    if stored.get("replayed"):
        _may_replay(caller)
    return _thaw(stored)
