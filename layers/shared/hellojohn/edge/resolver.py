"""The HTTP edge shared by every API function: the resolver, the error shape, and body hygiene.

Every error, whether raised by the rules (`ApiError`), by request validation, or by a body that
is not JSON at all, leaves through `error_response` in the contract's one shape.

Order of a request (`entry`): the caller is authenticated first, then the body's hygiene is
checked, then Powertools routes and validates it. Authentication cannot be a Powertools
middleware: the resolver always runs its request validation before any middleware
(`Route._build_middleware_stack`), so an anonymous caller would learn what is wrong with its
body. Each function serves one route, so its one credential is declared with `entry`.
"""

import base64
import json
import re
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.utilities.data_classes.api_gateway_proxy_event import APIGatewayProxyEvent
from pydantic import BaseModel

from hellojohn import actors, config, errors, signals
from hellojohn.edge import auth, cors, reverification, snapstart
from hellojohn.errors import ApiError, FieldIssue
from hellojohn.logs import logger
from hellojohn.models import ErrorResponse, build_models
from hellojohn.records import Device, User

MAX_BODY_BYTES = 64 * 1024
MAX_JSON_DEPTH = 32
JSON = "application/json"


def error_result(err: ApiError, request_id: str) -> dict[str, Any]:
    """A refusal as a Lambda proxy result (for what is refused before the resolver runs)."""
    return {
        "statusCode": err.status,
        "multiValueHeaders": {"Content-Type": [JSON], **{k: [v] for k, v in err.headers.items()}},
        "body": json.dumps(err.payload(request_id)),
        "isBase64Encoded": False,
    }


def _request_id(event: dict[str, Any]) -> str:
    context = event.get("requestContext") or {}
    return str(context.get("requestId") or "")


def _validation_error(exc: RequestValidationError) -> ApiError:
    """Pydantic's errors, in the contract's words (Powertools' default carries no message)."""
    issues = exc.errors()
    for issue in issues:
        kind = issue.get("type")
        loc = [str(p) for p in issue.get("loc", ())]
        if kind == "json_invalid":
            return errors.invalid_json()
        if kind == "forbidden_field":
            fields = str((issue.get("ctx") or {}).get("fields", "")).split(",")
            return errors.forbidden_field([f for f in fields if f])
        if loc == ["body"] and kind == "missing":
            return errors.invalid_request("A JSON request body is required")
        if loc == ["body"] and kind in ("model_attributes_type", "dict_type", "model_type"):
            return errors.invalid_request("The JSON body must be an object")
    details = []
    for issue in issues:
        loc = [str(p) for p in issue.get("loc", ()) if p not in ("body", "query", "path", "header")]
        field = ".".join(loc) or "body"
        message = str(issue.get("msg", "is invalid"))
        if issue.get("type") == "extra_forbidden":
            message = "is not a known field"
        if issue.get("type") == "not_nullable":  # raised by a model validator: name the field
            field, message = str((issue.get("ctx") or {}).get("field", field)), "cannot be null"
        elif issue.get("type") == "temporary_signs_out":  # SetPassword's validator
            field = str((issue.get("ctx") or {}).get("field", field))
            message = message.removeprefix(f"{field} ")
        message = message.removeprefix("Value error, ")
        details.append(FieldIssue(field, message))
    return errors.validation_failed(details)


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"duplicate key {key!r}")
        seen[key] = value
    return seen


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_JSON_DEPTH:
        return level
    if isinstance(value, dict):
        return max([_depth(v, level + 1) for v in value.values()] or [level + 1])
    if isinstance(value, list):
        return max([_depth(v, level + 1) for v in value] or [level + 1])
    return level


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity: Python accepts them, JSON does not


def _raw_body(event: dict[str, Any]) -> bytes:
    body = event["body"]
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except ValueError:
            return b"\xff"  # not base64 at all: reported as invalid text below
    return str(body).encode("utf-8", "surrogatepass")  # a lone surrogate stays, to be refused below


def check_body(event: dict[str, Any]) -> ApiError | None:
    """Size, media type and JSON hygiene, checked before any route sees the body."""
    if event.get("body") is None or event.get("body") == "":
        return None
    raw = _raw_body(event)
    if len(raw) > MAX_BODY_BYTES:
        return errors.payload_too_large(MAX_BODY_BYTES)
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    media = str(headers.get("content-type", "")).split(";")[0].strip().lower()
    if media != JSON:
        return errors.unsupported_media_type()
    return _check_json(raw)


def _check_json(raw: bytes) -> ApiError | None:
    """Strict UTF-8, strict JSON (no duplicate keys, NaN or lone surrogates), at most 32 deep."""
    too_deep = errors.invalid_json(f"The JSON body is nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        text = raw.decode("utf-8")  # strict: invalid UTF-8 and encoded surrogates are refused
        parsed = json.loads(text, object_pairs_hook=_reject_duplicates, parse_constant=_no_constant)
        if "\\u" in text:  # only an escape can make a lone surrogate (\ud800): re-encode to find one
            json.dumps(parsed, ensure_ascii=False).encode("utf-8")
    except RecursionError:
        return too_deep
    except UnicodeDecodeError:
        return errors.invalid_json("The request body is not valid UTF-8")
    except UnicodeEncodeError:
        return errors.invalid_json("The JSON body contains a lone UTF-16 surrogate")
    except ValueError as exc:
        return errors.invalid_json(f"The request body is not valid JSON: {str(exc)[:200]}")
    return too_deep if _depth(parsed) > MAX_JSON_DEPTH else None


def json_object(event: dict[str, Any]) -> dict[str, Any]:
    """The request's JSON body when it is an object (after `check_body`), else empty."""
    if event.get("body") is None or event.get("body") == "":
        return {}
    try:
        parsed = json.loads(_raw_body(event))
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _media_type_lowered(event: dict[str, Any]) -> dict[str, Any]:
    """The event with its Content-Type's media type in lower case, parameters kept: media types are
    case-insensitive (RFC 9110, 8.3.1), and Powertools compares them to "application/json" as is."""

    def lowered(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        media, sep, params = value.partition(";")
        return media.strip().lower() + sep + params

    single = event.get("headers") or {}
    multi = event.get("multiValueHeaders") or {}
    return {
        **event,
        "headers": {k: lowered(v) if k.lower() == "content-type" else v for k, v in single.items()} or None,
        "multiValueHeaders": {
            k: [lowered(v) for v in vs] if k.lower() == "content-type" else vs for k, vs in multi.items()
        }
        or None,
    }


def make_app() -> APIGatewayRestResolver:
    """One resolver per function, with the shared error mapping registered."""
    app = APIGatewayRestResolver(enable_validation=True)

    @app.exception_handler(ApiError)  # type: ignore[untyped-decorator]
    def _api_error(err: ApiError) -> Response[Any]:
        return _respond(err, _request_id(app.current_event.raw_event))

    @app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
    def _invalid(exc: RequestValidationError) -> Response[Any]:
        return _respond(_validation_error(exc), _request_id(app.current_event.raw_event))

    @app.exception_handler(RequestUnsupportedContentType)  # type: ignore[untyped-decorator]
    def _unsupported(_: RequestUnsupportedContentType) -> Response[Any]:  # e.g. text/plain, no body
        return _respond(errors.unsupported_media_type(), _request_id(app.current_event.raw_event))

    @app.not_found
    def _not_found(_: Exception) -> Response[Any]:
        return _respond(errors.not_found("No such route"), _request_id(app.current_event.raw_event))

    @app.exception_handler(Exception)  # type: ignore[untyped-decorator]
    def _unexpected(exc: Exception) -> Response[Any]:
        logger.exception("unhandled error")
        return _respond(_internal_error(), _request_id(app.current_event.raw_event))

    return app


def _internal_error() -> ApiError:
    return ApiError(500, "internal_error", "Something went wrong on our side; it has been logged")


def _respond(err: ApiError, request_id: str) -> Response[Any]:
    if err.status >= 500:
        logger.error("request failed", extra={"code": err.code, "status": err.status})
    else:
        logger.info("request refused", extra={"code": err.code, "status": err.status})
    return Response(
        status_code=err.status,
        content_type=JSON,
        body=json.dumps(err.payload(request_id)),
        headers=dict(err.headers),
    )


class Authenticate(Protocol):
    """Who is calling (`hellojohn.edge.auth`), from the request's headers; raises ApiError (401, 403)."""

    __name__: str  # its OpenAPI security scheme is looked up by it (SECURITY_SCHEMES)

    def __call__(self, event: APIGatewayProxyEvent, /) -> Any: ...


CALLER = "caller"

SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "secretKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "sk_live_… / sk_test_…, with X-Tenant-ID",
    },
    "publishableKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "pk_live_… / pk_test_…, with X-Tenant-ID",
    },
    "accessToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT (EdDSA)"},
}
"""The OpenAPI security scheme of each credential of `hellojohn.edge.auth` (by its function's name)."""
_SCHEME_OF = {"secret_key": "secretKey", "publishable_key": "publishableKey", "access_token": "accessToken"}


def caller_of(app: APIGatewayRestResolver) -> Any:
    """The caller `entry` authenticated for this request (a KeyCaller or AccessClaims)."""
    return app.context[CALLER]


def _authenticate(
    app: APIGatewayRestResolver, authenticate: Authenticate | None, event: dict[str, Any]
) -> ApiError | None:
    """Authenticate before anything looks at the body: a refusal here is all an anonymous
    caller learns (401, or 403/400 for a credential of the wrong kind or tenant)."""
    if authenticate is None:
        return None
    try:
        app.context[CALLER] = authenticate(APIGatewayProxyEvent(event))
    except ApiError as err:
        return err
    except Exception:  # noqa: BLE001 - as the resolver's own handler answers an error in a route
        logger.exception("unhandled error")
        return _internal_error()
    return None


def _actor(caller: Any, request_id: str, reverified_at: int | None = None) -> actors.Actor:
    """Who the request's writes are by: a secret key (its id), or the user (a publishable key's
    caller is the user it signs in or verifies; an access token names the user, and the proof of
    the password a request needing one relied on: `hellojohn.edge.reverification`)."""
    if getattr(caller, "kind", None) == "secret":  # an edge.auth.KeyCaller
        return actors.Actor("secret_key", caller.key_id, request_id)
    user_id = getattr(caller, "user_id", None)
    return actors.Actor("user", user_id, request_id or None, reverified_at=reverified_at)


def routes_of(app: APIGatewayRestResolver) -> list[Any]:
    """The resolver's routes (each with `.method`, `.path`, `.func`). Powertools has no public way
    to list them (its OpenAPI generation reads the same two private lists), so this is the one place
    that does; tests/unit/test_powertools_private.py fails if they change."""
    return list(app._static_routes) + list(app._dynamic_routes)


def entry(
    app: APIGatewayRestResolver, authenticate: Authenticate | None = None, needs: Iterable[str] = ()
) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The function's `lambda_handler`: authentication, body checks, then the resolver, then
    `X-Request-ID` and CORS. `authenticate` is the route's credential (None: public).

    Called at import, once the routes exist: it builds the models they take and return, so the
    first request finds them built (Powertools' validation then reuses their schemas), and it
    registers SnapStart's hooks (`hellojohn.edge.snapstart`): before the snapshot, the `needs` (keys
    of `snapstart.MODULES`: what the routes' first requests would otherwise import or build); after
    a restore, fresh randomness and empty caches. The handler is `signals.observed`: traced, and
    its counters written when it returns."""
    config.require()  # a configuration that cannot work fails the cold start, not every request
    build_models(*(route.func for route in routes_of(app)))
    for route in routes_of(app):  # what the OpenAPI document says each operation needs (scripts/openapi.py)
        route.security = [{_SCHEME_OF[authenticate.__name__]: []}] if authenticate is not None else None

    @logger.inject_lambda_context(clear_state=True)
    def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        request_id = _request_id(event)
        # API Gateway's request id, as `correlation_id_path=API_GATEWAY_REST` would set it, without
        # a JMESPath search on every request
        logger.set_correlation_id(request_id or None)
        app.context.clear()
        refused = _authenticate(app, authenticate, event) or check_body(event)
        reverified_at = None
        if refused is None and authenticate is auth.access_token:
            try:
                reverified_at = reverification.check(app.context[CALLER], event, lambda: json_object(event))
            except ApiError as err:
                refused = err
        if refused is not None:
            app.context.clear()
            _respond(refused, request_id)
            result: dict[str, Any] = error_result(refused, request_id)
        else:
            with actors.acting(_actor(app.context.get(CALLER), request_id, reverified_at)):
                result = app.resolve(_media_type_lowered(event), context)
        headers = result.setdefault("multiValueHeaders", {})
        headers["X-Request-ID"] = [request_id]
        cors.apply(event, result)
        return result

    observed = signals.observed(lambda_handler)  # traced, its counters flushed (hellojohn.signals)
    snapstart.install(app, needs)
    return observed


def device_of(app: APIGatewayRestResolver) -> Device:
    """Where the request comes from, as API Gateway saw it (`requestContext.identity`: the client's
    address, not a forwarded header a client could write; its User-Agent), bounded for storage."""
    identity = (app.current_event.raw_event.get("requestContext") or {}).get("identity") or {}
    return Device.of(identity.get("sourceIp"), identity.get("userAgent"))


IF_MATCH_VERSION = re.compile(r'(?:W/)?"([1-9][0-9]{0,17})"|([1-9][0-9]{0,17})', re.ASCII)
"""An ETag this API issues (`"7"`; weakened `W/"7"` as a proxy that compresses may send it back;
bare `7`): ASCII digits, no leading zero, at most 18 of them (a version never gets there, and a
longer one would overflow boto3's 38-digit Decimal context on the way to DynamoDB)."""


def if_match(app: APIGatewayRestResolver) -> int | None:
    """The version an `If-Match` names, None when absent or `*`. The one parser of If-Match:
    anything that is not one version this API issued (other digits than ASCII, too many digits, a
    list of tags, the header twice, anything else) matches no version: 412, never 500."""
    event = app.current_event
    sent = [v for k, vs in (event.multi_value_headers or {}).items() if k.lower() == "if-match" for v in vs]
    raw = event.headers.get("if-match")
    if raw is None and not sent:
        return None
    if len(sent) > 1:
        raise errors.precondition_failed()
    value = (raw if raw is not None else sent[0]).strip(" \t")
    if value in ("", "*"):
        return None
    found = IF_MATCH_VERSION.fullmatch(value)
    if found is None:
        raise errors.precondition_failed()
    return int(found.group(1) or found.group(2))


def with_etag(model: BaseModel, user: User, status: int = 200) -> Response[Any]:
    return Response(status_code=status, content_type=JSON, body=model, headers={"ETag": user.etag})


def error_responses(*statuses: int, success: int = 200) -> dict[int, OpenAPIResponse]:
    """OpenAPI entries for the route's success response and the errors it can return (all in the
    contract's shape). The success entry has no content of its own, so Powertools documents the
    route's return model there (given `responses`, it would otherwise document no success at all)."""
    always = (400, 401, 403, 413, 415, 422, 429, 500, 503)
    found: dict[int, OpenAPIResponse] = {
        status: {"description": "Error", "content": {JSON: {"model": ErrorResponse}}}
        for status in sorted(set(always) | set(statuses))
    }
    found[success] = (
        {"description": "No Content", "content": {}} if success == 204 else {"description": "Success"}
    )
    return found
