"""Tenants and API keys, cached in memory for at most CACHE_TTL_SECONDS (60 s by default).

The caches are what let a warm function spend one AWS call on a typical admin write: the key and
the tenant settings are read once a minute, not once a request. A revoked key or a changed
setting therefore takes effect within 60 s.
"""

import threading
from collections.abc import Callable

from cachetools import TTLCache

from hellojohn import ids
from hellojohn.config import settings
from hellojohn.records import ApiKey, Tenant
from hellojohn.rules import opaque
from hellojohn.store import tenants as store

_lock = threading.Lock()
_tenants: TTLCache[str, Tenant | None] | None = None
_keys: TTLCache[str, ApiKey | None] | None = None


def _caches() -> tuple[TTLCache[str, Tenant | None], TTLCache[str, ApiKey | None]]:
    global _tenants, _keys  # noqa: PLW0603 - process-wide caches, created on first use
    if _tenants is None or _keys is None:
        ttl = settings().cache_ttl_seconds
        _tenants = TTLCache(maxsize=1024, ttl=max(ttl, 0.001))
        _keys = TTLCache(maxsize=4096, ttl=max(ttl, 0.001))
    return _tenants, _keys


def clear_caches() -> None:
    global _tenants, _keys  # noqa: PLW0603
    _tenants = _keys = None


def _cached[V](cache: TTLCache[str, V | None], key: str, load: Callable[[str], V | None]) -> V | None:
    """`cache[key]`, loaded on a miss; the store is read outside the lock (a miss read twice at
    once costs a second read, never a wrong answer)."""
    with _lock:
        if key in cache:
            return cache[key]
    found = load(key)
    with _lock:
        cache[key] = found
    return found


def tenant(tid: str) -> Tenant | None:
    if not ids.is_id(tid, "tnt"):
        return None
    return _cached(_caches()[0], tid, store.get)


def api_key(value: str) -> ApiKey | None:
    """The key record for a presented secret or publishable key, found by its hash."""
    return _cached(_caches()[1], opaque.digest(value), store.key_by_hash)
