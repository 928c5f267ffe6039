"""SnapStart's runtime hooks: what every API function does before its snapshot and after a restore.

Lambda snapshots an initialised process when a version is published and restores copies of it on
cold starts, many copies of one snapshot. So:

- before the snapshot (`prime`), do what a first request would otherwise do lazily: import the
  modules its routes need, create its AWS clients, load its data files, and send each route
  requests that are refused (a key and an access token no tenant has) and one that succeeds
  (`hellojohn.edge.priming`: a made-up tenant, keys, user and signing seed), which primes routing,
  validation, the error path, the route's handler, the store's expressions and the response.
  Their AWS calls run botocore's whole path, signing, urllib3 and response parsing included, over
  a real HTTP connection to a server on 127.0.0.1 in this process that answers with the made-up
  items: the code a first call runs for the first time runs now, and nothing reaches AWS. Before
  the snapshot every socket is closed, the server's thread has ended and every data cache is
  empty. Nothing made during priming is kept: the ids, salts and tokens the success paths make
  are sent to the loopback server and dropped, and the ULID generator is replaced after a
  restore. (botocore resolves a client's credentials when the client is
  created, so the clients made here hold the init phase's credentials, as any client made at
  init does; on SnapStart those come from the container credentials endpoint and are refreshed
  by botocore when they expire);
- after a restore (`refresh`), reseed `random`, start a fresh ULID generator (python-ulid's keeps
  the last timestamp and randomness, which every copy would share), and empty every cache that
  holds data read from AWS or made at a given time (API keys, tenants, the signing seed and the key
  derived from it, the dummy password hash), so that no copy serves what another read before.

`hellojohn.edge.resolver.entry` registers both for every API function with `snapshot_restore_py` (part of
Lambda's Python runtime; `snapshot-restore-py` on PyPI for local use). The local runner and the
tests run the registered hooks as Lambda does (`run_before_snapshot` once the handler is imported,
`run_after_restore` before its first request), so what runs on AWS runs there too.
"""

import gc
import json
import os
import random
import socket
import sys
import threading
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from snapshot_restore_py import (  # type: ignore[import-untyped]
    get_after_restore,
    get_before_snapshot,
    register_after_restore,
    register_before_snapshot,
)

from hellojohn.edge import caches
from hellojohn.edge import priming as made_up

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver


def _serve(server: socket.socket, stop: threading.Event, answer: Callable[[str, bytes], bytes]) -> None:
    """The loopback server's loop: each request answered by `answer(X-Amz-Target, body)` with 200,
    on kept-alive connections, until `stop`."""
    while not stop.is_set():
        conn, _ = server.accept()
        with conn:
            data = b""
            while chunk := conn.recv(65536):
                data += chunk
                while b"\r\n\r\n" in data:
                    head, _, rest = data.partition(b"\r\n\r\n")
                    fields = dict(_field(line) for line in head.split(b"\r\n")[1:])
                    length = int(fields.get(b"content-length", 0))
                    if len(rest) < length:
                        break  # the body is still arriving
                    data = rest[length:]
                    body = answer(fields.get(b"x-amz-target", b"").decode(), rest[:length])
                    conn.sendall(_HEAD % len(body) + body)


_HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\n"
    b"x-amzn-RequestId: snapstart-priming\r\nContent-Length: %d\r\n\r\n"
)


def _field(line: bytes) -> tuple[bytes, bytes]:
    name, _, value = line.partition(b":")
    return name.strip().lower(), value.strip()


class _Loopback:
    """A server on 127.0.0.1 in this process (a thread), and a botocore URLLib3Session to reach it."""

    def __init__(self) -> None:
        from botocore.httpsession import URLLib3Session

        self.world: made_up.World | None = None  # None: every call is answered `{}` (nothing found)
        self._server = socket.create_server(("127.0.0.1", 0))
        self._port = self._server.getsockname()[1]
        self._stop = threading.Event()
        serving = (self._server, self._stop, self._answer)
        self._thread = threading.Thread(target=_serve, args=serving, daemon=True)
        self._thread.start()
        self._session = URLLib3Session()

    def _answer(self, target: str, body: bytes) -> bytes:
        found = self.world.answer(target, body) if self.world is not None else {}
        return json.dumps(found).encode()

    def send(self, request: Any, **_: Any) -> Any:
        """botocore's `before-send`: the signed request, re-addressed here, over a real connection."""
        from urllib.parse import urlsplit

        parts = urlsplit(request.url)
        request.url = f"http://127.0.0.1:{self._port}{parts.path or '/'}" + (
            f"?{parts.query}" if parts.query else ""
        )
        return self._session.send(request)

    def close(self) -> None:
        """Every socket closed (none may be in the snapshot), the thread ended."""
        self._session.close()
        self._stop.set()
        socket.create_connection(("127.0.0.1", self._port)).close()  # wakes the accept to see `stop`
        self._thread.join()
        self._server.close()


# only while `prime` runs, and only in its thread and context: a request another thread serves meanwhile
# (the tests' threads, in one process with many functions) goes to AWS as usual
_loopback: ContextVar[_Loopback | None] = ContextVar("hellojohn_priming_loopback", default=None)


def priming() -> bool:
    """True while the before-snapshot hook runs (its calls reach only its loopback server)."""
    return _loopback.get() is not None


def _to_loopback(request: Any, **_: Any) -> Any:
    """botocore's `before-send`: while priming, the signed request goes to the loopback server;
    otherwise None (botocore sends it as usual)."""
    loopback = _loopback.get()
    return loopback.send(request) if loopback is not None else None


def _answered(clients: Iterable[Any]) -> None:
    """Every call these clients make while priming runs botocore's whole path (validation,
    serialisation, endpoint rules, signing, urllib3 and http.client on a real connection, response
    parsing and retry checks) against the loopback server, not AWS: a `before-send` handler
    re-addresses each request there. The answer is always 200 and `{}`.

    The handler stays registered after priming, answering None (botocore then sends as usual):
    registering or unregistering a handler empties the client's cache of which handlers each event
    has, and the first real request would build it again for every event it emits."""
    if _loopback.get() is None:
        raise RuntimeError("AWS calls are answered only while priming")
    for client in clients:
        client.meta.events.register_first("before-send", _to_loopback, unique_id="hellojohn.edge.snapstart")


def _clients() -> list[Any]:
    """The clients the function has created (the primers create them)."""
    found = []
    if "hellojohn.store.client" in sys.modules:
        dynamodb = sys.modules["hellojohn.store.client"].dynamodb
        if dynamodb.cache_info().currsize:
            found.append(dynamodb())
    if "aws_lambda_powertools.utilities.parameters.constants" in sys.modules:
        providers = sys.modules["aws_lambda_powertools.utilities.parameters.constants"].DEFAULT_PROVIDERS
        found += [p.client for p in providers.values() if hasattr(p, "client")]
    return found


def _wire() -> None:
    """What the first real call loads beyond botocore's request path: urllib3's IDNA codec for the
    host name, and SigV4 signing, exercised with fixed, fake credentials (never the function's:
    those are resolved after the restore)."""
    import encodings.idna  # noqa: F401
    import stringprep  # noqa: F401

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method="POST", url="https://dynamodb.us-east-1.amazonaws.com/", data=b"{}")
    SigV4Auth(Credentials("PRIMING", "not-a-secret"), "dynamodb", "us-east-1").add_auth(request)


def _dynamodb() -> None:
    from hellojohn.store.client import dynamodb, table_name

    _wire()
    client = dynamodb()
    _answered([client])
    client.get_item(TableName=table_name(), Key={"PK": {"S": "prime"}, "SK": {"S": "prime"}})


def _tokens() -> None:
    """PyJWT, Powertools Parameters and the Secrets Manager client; one token signed and verified
    with a fixed, public key (not the service's: that is read on the first request)."""
    import hashlib

    import jwt
    from aws_lambda_powertools.utilities import parameters  # noqa: F401
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from hellojohn.adapters import secrets_manager
    from hellojohn.rules import tokens

    _wire()
    client = secrets_manager.secrets_provider().client
    _answered([client])
    client.get_secret_value(SecretId="priming")
    key = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"priming, not a secret").digest())
    token = jwt.encode(
        {"iss": "priming", "exp": 2**31}, key, algorithm=tokens.ALGORITHM, headers={"kid": "p"}
    )
    jwt.get_unverified_header(token)
    jwt.decode(token, key.public_key(), algorithms=[tokens.ALGORITHM], issuer="priming")


def _passwords() -> None:
    """argon2 and the hasher at the configured cost, and the common-password list (Argon2's
    memory: `_argon2_memory`, at the end of priming)."""
    from hellojohn.rules import passwords

    passwords.common_passwords()
    passwords.hasher()
    import argon2.exceptions  # noqa: F401  (imported by passwords.verify)


def _argon2_memory() -> None:
    """Argon2's memory (ARGON2_MEMORY_KIB, 19 MiB) put in the process's heap, last thing before the
    snapshot. glibc serves the first allocation that large with mmap and returns it on free,
    raising its mmap threshold, so the second comes from the heap and, freed, stays at its top, its
    pages in the snapshot; without that, the first request's hash would fault all of them in,
    zero-filled (measured: about 4,900 page faults, 10 ms of CPU). Two allocations do it, without
    spending hashes at the configured cost (priming's own are at a trivial one:
    `passwords.trivial_cost`). Done last, and with a margin, because what priming keeps alive after
    it would sit in that free space: done with the other primers, the first create still faulted
    in about 450 pages. On Lambda a restored copy loads the snapshot's pages as they are first
    touched, so there the saving is what zero-filling costs over that, not measured here."""
    from hellojohn.config import settings

    size = (settings().argon2_memory_kib + _ARGON2_MARGIN_KIB) * 1024
    for _ in range(2):
        bytearray(size)  # allocated, zero-filled (touched) and freed


_ARGON2_MARGIN_KIB = 2048  # over Argon2's own allocation: room for what a request allocates before it


def _trivial_cost() -> AbstractContextManager[None]:
    from hellojohn.rules import passwords

    return passwords.trivial_cost()


def _ids() -> None:
    import ulid  # noqa: F401  (no id: an id made now would be in every restored copy)


def _email() -> None:
    """email_validator compiles its Unicode patterns on first use: validate a fixed address."""
    from hellojohn import fields

    fields.normalise_email("priming@example.com")


def _phone() -> None:
    from hellojohn import fields

    fields.normalise_phone("+14155550100")


def _profile() -> None:
    import hellojohn.rules.changes  # noqa: F401


# gc.freeze() after priming: off, as it did not measurably help (docs/PERFORMANCE.md measures both)
FREEZE = False
PRIMERS: dict[str, Callable[[], None]] = {
    "dynamodb": _dynamodb,
    "tokens": _tokens,
    "passwords": _passwords,
    "ids": _ids,
    "email": _email,
    "phone": _phone,
    "profile": _profile,
}


# Bearer values no tenant has: a key (its lookup finds no such key) and an access token with no
# valid signature (under priming's seed); both are refused
_REFUSED_BEARERS = (
    "sk_test_snapstart-priming",
    "eyJhbGciOiJFZERTQSIsImtpZCI6InByaW1pbmciLCJ0eXAiOiJKV1QifQ.e30.cHJpbWluZw",
)

primed: dict[str, tuple[int, ...]] = {}
"""The statuses each route ("METHOD /path") answered its priming requests with (the last priming)."""


def _bearers() -> tuple[str, ...]:
    """The refused credentials, then priming's own keys and (where the function has tokens) an
    access token of its made-up user, signed under its seed: the route succeeds with one of them."""
    known: tuple[str, ...] = (made_up.SECRET_KEY, made_up.PUBLISHABLE_KEY)
    if "hellojohn.rules.tokens" in sys.modules:
        from hellojohn import timeutil
        from hellojohn.rules import tokens

        user, tenant, session = made_up.USER_ID, made_up.TENANT_ID, made_up.SESSION_ID
        token, _ = tokens.issue(user, tenant, session, "member", timeutil.now())
        known += (token,)
    return _REFUSED_BEARERS + known


def _unlogged(_: Any) -> bool:
    """A logging filter that drops every record. Not a raised level: setting a level empties every
    logger's cache of which levels are on, which the first real request would then fill again."""
    return False


def _prime_routes(
    app: "APIGatewayRestResolver", handler: Callable[[dict[str, Any], Any], Any], store: bool, email: bool
) -> None:
    """Each route's refused requests and its successful one, the loopback server answering."""
    from hellojohn.edge.resolver import routes_of  # http imports this module: not at the top

    loopback = _loopback.get()
    if loopback is None:
        raise RuntimeError("routes are primed only while priming")
    loopback.world = made_up.World()  # the signing seed's stand-in, for a function without the store
    _answered(_clients())
    if store:
        made_up.furnish(loopback.world, email=email)
    bearers = _bearers()
    for route in routes_of(app):
        path = "/v1/prime" if route.path == ".+" else route.path  # the preflight's any path
        statuses = []
        for bearer in bearers:
            event = made_up.request(route.method, path, bearer, origin=store)
            result = handler(event, _PrimingContext())
            statuses.append(int(result["statusCode"]))
        primed[f"{route.method} {path}"] = tuple(statuses)


def prime(
    app: "APIGatewayRestResolver", handler: Callable[[dict[str, Any], Any], Any], needs: Iterable[str]
) -> None:
    """Before the snapshot: the function's lazy work done now, without a call to AWS: its `needs`,
    then each route's refused requests and its successful one (`hellojohn.edge.priming`), through
    `handler` (the function's `lambda_handler`), the loopback server answering the AWS calls."""
    from hellojohn import signals
    from hellojohn.logs import logger

    logger.addFilter(_unlogged)  # the priming requests are not requests anyone made
    unmute = signals.mute()  # nor are they traffic: no counter, no trace
    needs = tuple(needs)
    store = "dynamodb" in needs  # the store's client exists: the made-up items can be read
    gc.disable()  # nothing made during priming is garbage worth a collection
    loopback = _Loopback()
    token = _loopback.set(loopback)
    try:
        for need in needs:
            PRIMERS[need]()
        # priming's hashes are dropped: none at the configured cost
        with _trivial_cost() if "passwords" in needs else nullcontext():
            _prime_routes(app, handler, store, email="email" in needs)
    finally:
        loopback.close()
        _loopback.reset(token)
        caches.forget_data()  # the made-up tenant, keys and seed: never served
        gc.enable()
        logger.removeFilter(_unlogged)
        unmute()
    if FREEZE:
        gc.collect()
        gc.freeze()  # what init made would stay out of every later collection
    if "passwords" in needs:
        _argon2_memory()


def refresh() -> None:
    """After a restore: fresh randomness, and no cached data that another copy may hold too (only
    for modules the function has loaded: the hook imports nothing)."""

    random.seed(os.urandom(32))
    loaded = sys.modules
    if "ulid" in loaded:
        import ulid

        ulid.default_generator = ulid.ULIDGenerator()
    caches.forget_data()
    if "aws_lambda_powertools.logging.logger" in loaded:  # the first request after it is a cold start
        setattr(loaded["aws_lambda_powertools.logging.logger"], "is_cold_start", True)  # noqa: B010


class _PrimingContext:
    function_name = "snapstart-priming"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:snapstart-priming"
    aws_request_id = "snapstart-priming"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def install(
    app: "APIGatewayRestResolver", handler: Callable[[dict[str, Any], Any], Any], needs: Iterable[str]
) -> None:
    """Register the function's hooks (called by `hellojohn.edge.resolver.entry`)."""
    unknown = set(needs) - set(PRIMERS)
    if unknown:
        raise ValueError(f"no primer for {sorted(unknown)}")
    register_before_snapshot(prime, app, handler, tuple(needs))
    register_after_restore(refresh)


def registered() -> tuple[int, int]:
    """How many before-snapshot and after-restore hooks are registered so far."""
    return len(get_before_snapshot()), len(get_after_restore())


def _run(hooks: list[Any], since: int) -> int:
    for func, args, kwargs in hooks[since:]:
        func(*args, **kwargs)
    return len(hooks)


def run_before_snapshot(since: int = 0) -> int:
    """Run the registered before-snapshot hooks (from index `since`), as Lambda does at publish;
    returns how many there are, to pass as `since` next time."""
    return _run(get_before_snapshot(), since)


def run_after_restore(since: int = 0) -> int:
    """Run the registered after-restore hooks, as Lambda does before a restored copy's first request."""
    return _run(get_after_restore(), since)
