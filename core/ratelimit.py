"""A fixed-window counter in Django's cache: shared by every process when CACHES is Redis (production)."""

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def limit_hit(*, scope: str, key: str, limit: int, window_seconds: int) -> bool:
    """Counts one hit; True while the hits in the current window are within `limit`.

    `add` then `incr` are each atomic in Redis and in the local-memory cache, so concurrent
    processes never lose a hit.
    """
    window = int(time.time() // window_seconds)
    cache_key = f"ratelimit:{scope}:{key}:{window}"
    cache.add(cache_key, 0, timeout=window_seconds + 60)
    try:
        hits = cache.incr(cache_key)
    except ValueError:  # evicted between add and incr
        cache.add(cache_key, 1, timeout=window_seconds + 60)
        hits = 1
    return hits <= limit


def client_ip(request: HttpRequest) -> str:
    """The caller's address from settings.CLIENT_IP_HEADER (REMOTE_ADDR unless a proxy sets another).

    Behind a proxy that appends to X-Forwarded-For, the last entry is the one the proxy itself saw.
    """
    raw = request.META.get(settings.CLIENT_IP_HEADER) or request.META.get("REMOTE_ADDR", "")
    return raw.split(",")[-1].strip() or "unknown"
