"""Sign-in through a cache outage: the limits move to the database cache table, or the page refuses in
Persian; never a 500, never a request let through uncounted."""

import socket

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from core.ratelimit import LimitsUnavailable, limit_hit
from enrollment.sms.models import OutboxMessage
from portal import otp
from portal.models import LoginCode

LOGIN = reverse("portal:login")


def _nobody_listens() -> str:
    """A Redis URL whose port nobody listens on: the cache is 'down'."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def _caches(*, fallback: bool) -> dict:
    redis_down = {
        "BACKEND": "core.redis_cache.RedisCache",  # production's
        "LOCATION": _nobody_listens(),
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
    chosen = {"default": redis_down}
    if fallback:
        chosen["ratelimit_fallback"] = {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "portal_cache",
        }
    return chosen


@pytest.fixture
def redis_down_with_fallback(db):
    with override_settings(CACHES=_caches(fallback=True)):
        call_command("createcachetable", verbosity=0)
        yield


@pytest.fixture
def redis_down_alone(db):
    with override_settings(CACHES=_caches(fallback=False)):
        yield


def test_the_limit_is_counted_in_the_database_while_redis_is_down(redis_down_with_fallback):
    hits = [limit_hit(scope="test", key="1.2.3.4", limit=2, window_seconds=600) for _ in range(3)]
    assert hits == [True, True, False]


def test_with_no_cache_able_to_count_the_limit_says_so(redis_down_alone):
    with pytest.raises(LimitsUnavailable):
        limit_hit(scope="test", key="1.2.3.4", limit=2, window_seconds=600)


def test_sign_in_works_through_the_outage_on_the_fallback(client, pensioner_a, redis_down_with_fallback):
    response = client.post(LOGIN, {"national_code": pensioner_a.national_code})
    assert response.status_code == 302 and response.url == reverse("portal:login_code")
    assert LoginCode.objects.filter(national_code=pensioner_a.national_code).count() == 1


def test_sign_in_with_no_cache_refuses_in_persian_and_writes_nothing(client, pensioner_a, redis_down_alone):
    response = client.post(LOGIN, {"national_code": pensioner_a.national_code})
    assert response.status_code == 200
    assert otp.UNAVAILABLE in response.content.decode()
    assert not LoginCode.objects.exists() and not OutboxMessage.objects.exists()
