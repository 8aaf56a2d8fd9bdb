"""Readiness checks that know no app: the database, the cache, the django-q2 broker.

Each check returns normally when the dependency answers and raises otherwise; the caller
(portal.views.health) names the failing ones. Only the cache's round trip writes (a key that is deleted
again), and only to the database when the cache lives there (production without REDIS_URL).
"""

import uuid

import redis
from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django_q.models import OrmQ

# A broker that does not answer within this many seconds counts as down: a probe must not hang.
REDIS_TIMEOUT_SECONDS = 2


def database_check() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def cache_check() -> None:
    """A round trip through the default cache: what one process writes, the next must read back."""
    cache = caches["default"]
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    try:
        if cache.get(key) != "1":
            raise RuntimeError("the cache did not return what was just written to it")
    finally:
        cache.delete(key)


def broker_check() -> None:
    """Redis broker: a ping. ORM broker: a read of its queue table, in the database it names."""
    cluster = settings.Q_CLUSTER
    if "redis" in cluster:
        redis_client(cluster["redis"]).ping()
    else:
        OrmQ.objects.using(cluster.get("orm", "default")).exists()


def redis_client(config: str | dict) -> redis.Redis:
    """The broker's Redis from Q_CLUSTER["redis"]: a URL (as production.py sets) or redis-py's arguments."""
    timeouts = {"socket_connect_timeout": REDIS_TIMEOUT_SECONDS, "socket_timeout": REDIS_TIMEOUT_SECONDS}
    if isinstance(config, str):
        return redis.Redis.from_url(config, **timeouts)
    return redis.Redis(**{**timeouts, **config})
