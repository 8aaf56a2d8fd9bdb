"""The production cache (core/redis_cache.py) on a Redis server of its own: one client per pool, the same
answers as Django's backend, through a restart of Redis; and the sign-in limits counted there, not in the
database cache table that only stands in while Redis is away."""

import shutil
import socket
import subprocess
import threading
import time

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import override_settings

from core.ratelimit import limit_hit

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs Debian's redis-server")


class RedisServer:
    def __init__(self, tmp_path):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.dir = tmp_path
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        self.process = subprocess.Popen([*command, "--dir", str(self.dir)], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def _caches(url: str) -> dict:
    """As config/settings/production.py sets them with REDIS_URL."""
    return {
        "default": {
            "BACKEND": "core.redis_cache.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        },
        "ratelimit_fallback": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "portal_cache"},
    }


def test_every_call_of_every_thread_uses_one_client(redis_server):
    with override_settings(CACHES=_caches(redis_server.url)):
        cache = caches["default"]
        clients = []  # the clients themselves, kept alive: ids of freed ones could be reused

        def calls(n: int) -> None:
            for i in range(50):
                cache.set(f"k{n}-{i}", {"n": n, "i": i})
                assert cache.get(f"k{n}-{i}") == {"n": n, "i": i}
                clients.append(cache._cache.get_client(write=True))
                clients.append(cache._cache.get_client())

        threads = [threading.Thread(target=calls, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len({id(client) for client in clients}) == 1
        assert cache.get_many([f"k{n}-49" for n in range(4)]) == {f"k{n}-49": {"n": n, "i": 49} for n in range(4)}


def test_it_answers_as_djangos_backend(redis_server):
    with override_settings(CACHES=_caches(redis_server.url)):
        cache = caches["default"]
        assert cache.add("counter", 0, timeout=60) is True
        assert cache.add("counter", 5, timeout=60) is False
        assert [cache.incr("counter") for _ in range(3)] == [1, 2, 3]
        cache.set("gone", "x", timeout=60)
        assert cache.delete("gone") is True
        assert cache.get("gone", "default") == "default"
        assert "counter" in cache and "gone" not in cache


def test_the_client_goes_on_after_redis_restarts(redis_server):
    with override_settings(CACHES=_caches(redis_server.url)):
        cache = caches["default"]
        cache.set("before", 1)
        redis_server.stop()
        with pytest.raises(Exception):  # noqa: B017 - whatever redis-py raises with nobody listening
            cache.get("before")
        redis_server.start()  # empty: it keeps nothing on disk
        assert cache.get("before") is None
        cache.set("after", 2)
        assert cache.get("after") == 2


@pytest.mark.django_db
def test_the_sign_in_limits_are_counted_in_redis_not_in_the_database(redis_server):
    with override_settings(CACHES=_caches(redis_server.url)):
        from django.core.management import call_command

        call_command("createcachetable", verbosity=0)
        hits = [limit_hit(scope="test", key="1.2.3.4", limit=2, window_seconds=600) for _ in range(3)]
        assert hits == [True, True, False]
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM portal_cache")
            assert cursor.fetchone() == (0,)
        redis_keys = caches["default"]._cache.get_client().keys("*")
        assert any(key.startswith(b":1:ratelimit:test:1.2.3.4:") for key in redis_keys)
