"""Who is making the change a request (or a worker) is about to write, and under which request.

The HTTP edge sets the actor once the caller is authenticated; a worker sets the system actor for
each message. Every write of a user item stamps it (`stamp`) as the item's `change` attribute, so
the table's stream carries who changed what, and under which request, on the very record of the
change: the change events and the audit history are built from that record, never from the
request (which gains no round trip). A context variable, not a global: requests served on threads
(the tests, the local runner) each see their own.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal

from hellojohn import ids

Kind = Literal["secret_key", "user", "system"]
VIA_RESTORE = "restore"  # `via` of a restore link's write: its email change offers no restore link


@dataclass(frozen=True)
class Actor:
    kind: Kind
    id: str | None = None  # the key id (`secret_key`), the user id (`user`; None: the changed user)
    request_id: str | None = None
    via: str | None = None  # how, when the outbox must know it: VIA_RESTORE (the restore link)
    reverified_at: int | None = None  # the fresh proof of the password the request needed (auth_time)


SYSTEM = Actor("system")
_current: ContextVar[Actor] = ContextVar("hellojohn_actor", default=SYSTEM)


@contextmanager
def acting(actor: Actor) -> Iterator[None]:
    token = _current.set(actor)
    try:
        yield
    finally:
        _current.reset(token)


def current() -> Actor:
    return _current.get()


def stamp() -> dict[str, Any]:
    """The `change` attribute of one write: the actor, the request, and an id of its own (a
    consumer's key for dropping a redelivered event; two writes of one request differ by it)."""
    actor = _current.get()
    out: dict[str, Any] = {"id": ids.new_id("chg"), "actor": actor.kind}
    if actor.id:
        out["actor_id"] = actor.id
    if actor.request_id:
        out["request_id"] = actor.request_id
    if actor.via:
        out["via"] = actor.via
    if actor.reverified_at:
        out["reverified_at"] = actor.reverified_at
    return out
