"""Django's Redis cache, with one redis-py client per connection pool instead of one per cache call.

Django's RedisCacheClient wraps its pool in a new `redis.Redis` for every get, set or delete, and building
one costs more Python than the command it sends (its event dispatcher, a dictionary of some two hundred
response callbacks): on the pensioner's pages, which read their session and the current period from Redis
on every request, that was the largest part of the cache's time. A `redis.Redis` keeps nothing of a call
between calls (each command borrows a connection from the pool and gives it back), so one per pool serves
every call and every thread of the process, as redis-py means it to.
"""

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(self._servers[index], **self._pool_options)
            client = self._clients[index] = self._client(connection_pool=self._pools[index])
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
