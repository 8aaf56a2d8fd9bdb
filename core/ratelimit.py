"""A fixed-window counter in Django's cache: shared by every process when CACHES is Redis (production).

When the cache cannot count (Redis down or too slow to answer), the counter moves to the cache named
FALLBACK_ALIAS if settings have one (production: the database cache table), so sign-in keeps its limits
through a Redis outage; with no cache able to count, LimitsUnavailable lets the caller refuse politely
instead of answering 500 or letting every request through.
"""

import logging
import time

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.http import HttpRequest

FALLBACK_ALIAS = "ratelimit_fallback"
log = logging.getLogger(__name__)


class LimitsUnavailable(Exception):
    """No cache could count the hit."""


def limit_hit(*, scope: str, key: str, limit: int, window_seconds: int) -> bool:
    """Counts one hit; True while the hits in the current window are within `limit`.

    `add` then `incr` are each atomic in Redis and in the local-memory cache, so concurrent
    processes never lose a hit (the database fallback may, under load: an outage's approximation).
    """
    window = int(time.time() // window_seconds)
    cache_key = f"ratelimit:{scope}:{key}:{window}"
    for alias in ("default", FALLBACK_ALIAS):
        if alias not in settings.CACHES:
            continue
        try:
            return _count(caches[alias], cache_key, window_seconds + 60) <= limit
        except Exception:  # whatever the backend raises when its server is away (redis, database errors)
            log.warning("rate-limit cache %r cannot count", alias, exc_info=True)
    raise LimitsUnavailable


def _count(cache: BaseCache, cache_key: str, timeout: int) -> int:
    cache.add(cache_key, 0, timeout=timeout)
    try:
        return cache.incr(cache_key)
    except ValueError:  # evicted between add and incr
        cache.add(cache_key, 1, timeout=timeout)
        return 1


def client_ip(request: HttpRequest) -> str:
    """The caller's address from settings.CLIENT_IP_HEADER (REMOTE_ADDR unless a proxy sets another).

    Behind a proxy that appends to X-Forwarded-For, the last entry is the one the proxy itself saw.
    """
    raw = request.META.get(settings.CLIENT_IP_HEADER) or request.META.get("REMOTE_ADDR", "")
    return raw.split(",")[-1].strip() or "unknown"
