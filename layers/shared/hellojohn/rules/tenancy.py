"""Tenants and API keys, cached in memory for at most CACHE_TTL_SECONDS (60 s by default).

The caches are what let a warm function spend one AWS call on a typical admin write: the key and
the tenant settings are read once a minute, not once a request. A revoked key or a changed
setting therefore takes effect within 60 s.
"""

import threading

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


def tenant(tid: str) -> Tenant | None:
    if not ids.is_id(tid, "tnt"):
        return None
    cache, _ = _caches()
    with _lock:
        if tid in cache:
            return cache[tid]
    found = store.get(tid)
    with _lock:
        cache[tid] = found
    return found


def api_key(value: str) -> ApiKey | None:
    """The key record for a presented secret or publishable key, found by its hash."""
    _, cache = _caches()
    key_hash = opaque.digest(value)
    with _lock:
        if key_hash in cache:
            return cache[key_hash]
    found = store.key_by_hash(key_hash)
    with _lock:
        cache[key_hash] = found
    return found
